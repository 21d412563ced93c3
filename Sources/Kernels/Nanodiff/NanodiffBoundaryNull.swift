import Foundation

/// How the best candidate line's statistic is judged against the null hypothesis "no step".
///
/// The best line is the maximum of the F statistic over ~10⁴ strongly overlapping lines, so it
/// is not F-distributed; and the residuals it is computed from are spatially correlated where
/// the model cannot follow the field (around a strained region, near cores). The three nulls:
public enum NanodiffBoundaryNull: String, Sendable, CaseIterable, Codable {
    /// Session 4's test: the κ-corrected F (`NanodiffResidualCorrelation`) against the F(2, ν/κ)
    /// quantile at α/M, Bonferroni over the M lines (conservative: the lines are not independent).
    case analytic
    /// The κ-corrected F against the simulated maximum over all lines of F when the errors are
    /// independent Gaussian with the fitted weights (what the model assumes): the scan over
    /// lines is calibrated exactly for this map's geometry, mask and model, the correlation by κ.
    case simulated
    /// The uncorrected F against a dependent wild bootstrap of the maximum: the residuals of the
    /// fit *with* the best line, multiplied by a smooth random field whose correlation length is
    /// the residuals' own (Shao 2010, "The dependent wild bootstrap", JASA 105:218), projected
    /// off the null model and scanned over every line as the data were. Heteroscedastic and
    /// correlated misfit is reproduced where it is, so no κ correction is needed.
    case bootstrap

    /// The null jobs use: session 4's, which neither simulated null beat (docs/nanodiff.md,
    /// session 5).
    public static let standard: NanodiffBoundaryNull = .analytic
}

/// The line scan with everything that does not depend on the residuals precomputed, so the
/// maximum F over all lines of a new residual field costs O(angles · N) instead of
/// O(angles · N · K): for each angle the positions sorted along its normal, and for each offset
/// the number of positions beyond it and, per map, the step column's weighted norm after
/// projection off the model, q = hᵀWh − ‖L⁻¹XᵀWh‖². Only Σ₊ w·r depends on the residuals.
struct NanodiffLineScan {
    let lines: LineGrid
    /// Per angle: fitted-position indices (into `model.positions`) by decreasing distance along the normal.
    let orders: [[Int]]
    /// Per angle and offset (offsets decreasing, as scanned): positions beyond the offset.
    let splits: [[Int]]
    /// Per map, angle and offset: q, or 0 where the line is not tested (too few positions on a side).
    let q: [[[Double]]]

    init(model: NanodiffTiltModel, fits: [NanodiffTiltModel.Fit], lines: LineGrid, width: Int) {
        self.lines = lines
        let n = model.positions.count, k = model.columns
        let coordinates = model.positions.map { SIMD2(Double($0 % width), Double($0 / width)) }
        var orders: [[Int]] = [], splits: [[Int]] = []
        var q = [[[Double]]](repeating: [], count: fits.count)
        for angle in 0..<lines.angles.count {
            let normal = lines.normal(angle)
            let s = coordinates.map { (($0 - lines.centre) * normal).sum() }
            let order = (0..<n).sorted { s[$0] > s[$1] }
            var c = [[Double]](repeating: [Double](repeating: 0, count: k), count: fits.count)
            var hWh = [Double](repeating: 0, count: fits.count)
            var count = 0, next = 0
            var split: [Int] = [], qa = [[Double]](repeating: [], count: fits.count)
            for offset in stride(from: lines.offsets.count - 1, through: 0, by: -1) {
                let o = lines.offsets[offset]
                while next < n && s[order[next]] > o {
                    let i = order[next]
                    for (m, fit) in fits.enumerated() where fit.weights[i] > 0 {
                        let w = fit.weights[i]
                        hWh[m] += w
                        for a in 0..<k { c[m][a] += w * model.design[i * k + a] }
                    }
                    if fits[0].weights[i] > 0 { count += 1 }
                    next += 1
                }
                split.append(next)
                var values = [Double](repeating: 0, count: fits.count)
                if count >= NanodiffBoundaryFinder.minimumSide, n - next >= NanodiffBoundaryFinder.minimumSide {
                    for (m, fit) in fits.enumerated() {
                        let z = SmallCholesky.forward(fit.gram, size: k, c[m])
                        let value = hWh[m] - z.reduce(0) { $0 + $1 * $1 }
                        guard value > 1e-12 * hWh[m] else { values = [Double](repeating: 0, count: fits.count); break }
                        values[m] = value
                    }
                }
                for m in fits.indices { qa[m].append(values[m]) }
            }
            orders.append(order)
            splits.append(split)
            for m in fits.indices { q[m].append(qa[m]) }
        }
        self.orders = orders
        self.splits = splits
        self.q = q
    }

    /// The line with the largest joint F (mean over the maps of each map's F for one step) for
    /// residuals `residuals[m]` with weights `weights[m]` and degrees of freedom `dof[m]`;
    /// `parts` the per-map F, `steps` the per-map step amplitudes.
    func best(residuals: [[Double]], weights: [[Double]], dof: [Int]) -> (line: LineGrid.Line, f: Double, steps: [Double], parts: [Double])? {
        let maps = residuals.count
        let rss = (0..<maps).map { m in zip(residuals[m], weights[m]).reduce(0) { $0 + $1.1 * $1.0 * $1.0 } }
        var bestF = 0.0, bestAt: (angle: Int, j: Int)? = nil
        var hWr = [Double](repeating: 0, count: maps)
        for angle in orders.indices {
            let order = orders[angle], split = splits[angle]
            for m in 0..<maps { hWr[m] = 0 }
            var next = 0
            for j in split.indices {
                while next < split[j] {
                    let i = order[next]
                    for m in 0..<maps { hWr[m] += weights[m][i] * residuals[m][i] }
                    next += 1
                }
                guard q[0][angle][j] > 0 else { continue }
                var f = 0.0
                for m in 0..<maps {
                    let drop = hWr[m] * hWr[m] / q[m][angle][j]
                    f += drop / max(1e-300, rss[m] - drop) * Double(dof[m])
                }
                f /= Double(maps)
                if f > bestF { bestF = f; bestAt = (angle, j) }
            }
        }
        guard let at = bestAt else { return nil }
        // Recompute the winner's parts and steps.
        let order = orders[at.angle]
        var sums = [Double](repeating: 0, count: maps)
        for next in 0..<splits[at.angle][at.j] {
            let i = order[next]
            for m in 0..<maps { sums[m] += weights[m][i] * residuals[m][i] }
        }
        var parts: [Double] = [], steps: [Double] = []
        for m in 0..<maps {
            let qv = q[m][at.angle][at.j]
            let drop = sums[m] * sums[m] / qv
            parts.append(drop / max(1e-300, rss[m] - drop) * Double(dof[m]))
            steps.append(sums[m] / qv)
        }
        return (LineGrid.Line(angle: at.angle, offset: lines.offsets.count - 1 - at.j), bestF, steps, parts)
    }
}

/// Monte Carlo maxima of the line scan under the null: replicate error fields, projected off
/// the null model with its weights (r* = ε* − X(XᵀWX)⁻¹XᵀWε*), scanned over every line.
enum NanodiffBoundaryReplicates {
    /// Replicates per test. The decision is the exact Monte Carlo test (Barnard 1963): reject
    /// when p = (1 + #{F* ≥ F}) / (B + 1) ≤ α, so B + 1 is a multiple of 1/α for α = 0.01.
    static let count = 399

    /// The replicates' maximum F: `noise(m, &rng)` gives map m's error field over the model's
    /// positions (one call per map per replicate, maps in order).
    static func maxima(scan: NanodiffLineScan, model: NanodiffTiltModel, fits: [NanodiffTiltModel.Fit], replicates: Int, seed: UInt64,
                       noise: (inout SeededRandom) -> [[Double]]) -> [Double] {
        var rng = SeededRandom(seed: seed)
        let k = model.columns, n = model.positions.count
        let weights = fits.map(\.weights), dof = fits.map(\.dof)
        var out: [Double] = []
        out.reserveCapacity(replicates)
        for _ in 0..<replicates {
            let eps = noise(&rng)
            var residuals: [[Double]] = []
            for (m, fit) in fits.enumerated() {
                var rhs = [Double](repeating: 0, count: k)
                model.design.withUnsafeBufferPointer { x in
                    for i in 0..<n where fit.weights[i] > 0 {
                        let we = fit.weights[i] * eps[m][i]
                        for a in 0..<k { rhs[a] += x[i * k + a] * we }
                    }
                }
                let beta = SmallCholesky.solve(fit.gram, size: k, rhs)
                var r = eps[m]
                model.design.withUnsafeBufferPointer { x in
                    for i in 0..<n {
                        var s = 0.0
                        for a in 0..<k { s += x[i * k + a] * beta[a] }
                        r[i] -= s
                    }
                }
                residuals.append(r)
            }
            out.append(scan.best(residuals: residuals, weights: weights, dof: dof)?.f ?? 0)
        }
        return out
    }

    /// Independent Gaussian errors with the fits' weights (σᵢ² = 1/wᵢ; zero where wᵢ = 0).
    static func white(fits: [NanodiffTiltModel.Fit]) -> (inout SeededRandom) -> [[Double]] {
        { rng in fits.map { fit in fit.weights.map { w in w > 0 ? rng.gaussian() / w.squareRoot() : 0 } } }
    }

    /// Dependent wild bootstrap: `residuals[m]` times one smooth standard-normal multiplier field
    /// shared by the maps (their misfits share a cause), box-smoothed white noise of side
    /// 2·`radius` + 1 so multipliers stay correlated over the residuals' own correlation length.
    static func wild(residuals: [[Double]], positions: [Int], width: Int, height: Int, radius: Int) -> (inout SeededRandom) -> [[Double]] {
        { rng in
            let field = multipliers(width: width, height: height, radius: radius, rng: &rng)
            return residuals.map { r in positions.indices.map { r[$0] * field[positions[$0]] } }
        }
    }

    /// A width×height field of unit-variance Gaussian multipliers, white noise averaged over
    /// (2·radius + 1)² boxes (correlation (1 − |dx|/L)(1 − |dy|/L) at lag (dx, dy), L = 2·radius + 1).
    static func multipliers(width: Int, height: Int, radius: Int, rng: inout SeededRandom) -> [Double] {
        let side = 2 * radius + 1
        let pw = width + side - 1, ph = height + side - 1
        let white = (0..<(pw * ph)).map { _ in rng.gaussian() }
        // Separable box sums: rows, then columns.
        var rows = [Double](repeating: 0, count: width * ph)
        for y in 0..<ph {
            var s = 0.0
            for x in 0..<side { s += white[y * pw + x] }
            rows[y * width] = s
            if width > 1 {
                for x in 1..<width {
                    s += white[y * pw + x + side - 1] - white[y * pw + x - 1]
                    rows[y * width + x] = s
                }
            }
        }
        var out = [Double](repeating: 0, count: width * height)
        let norm = 1 / Double(side)
        for x in 0..<width {
            var s = 0.0
            for y in 0..<side { s += rows[y * width + x] }
            out[x] = s * norm
            if height > 1 {
                for y in 1..<height {
                    s += rows[(y + side - 1) * width + x] - rows[(y - 1) * width + x]
                    out[y * width + x] = s * norm
                }
            }
        }
        return out
    }

    /// The exact Monte Carlo p-value of `f` among `maxima`.
    static func pValue(_ f: Double, maxima: [Double]) -> Double {
        Double(1 + maxima.filter { $0 >= f }.count) / Double(maxima.count + 1)
    }
}
