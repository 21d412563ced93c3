import Foundation

/// Finds tilt boundaries — straight lines across which the lattice turns by a step — by a
/// generalised likelihood-ratio test over every candidate line, against a model of everything
/// else the tilt maps hold.
///
/// Both tilt maps are modelled jointly (`NanodiffTiltModel`): a quadratic large-scale field and
/// the fitted elastic field of each located dislocation, with per-position weights from the
/// Poisson centroid errors plus a fitted misfit variance τ² (what the model cannot follow),
/// robustly (bisquare). For a candidate line the alternative adds a step — a half-plane
/// indicator, one amplitude per tilt map — and the test statistic is the F ratio of the drop in
/// weighted residual sum of squares (2 amplitudes) to what is left per degree of freedom. Under
/// the null (no step, model right up to independent errors) it is F(2, ν), so the threshold is
/// its upper α/M quantile, M the number of lines tried (angle every 2°, offset every half step):
/// a Bonferroni bound on the scan over lines, α the per-map false-alarm rate. The best line is
/// reported, added to the model, and the search repeats. Sums over half-planes are prefix sums
/// over positions sorted along each angle's normal, so a search costs O(angles · N · K) for N
/// positions and K model columns, not O(lines · N · K).
public enum NanodiffBoundaryFinder {
    /// Per-map false-alarm rate: the chance that a map without a boundary yields a line.
    public static let defaultFalseAlarm = 0.01
    /// Fewest fitted positions on each side of a candidate line.
    static let minimumSide = 3

    /// The boundaries found and what the model left unexplained.
    public struct Search: Sendable {
        public var boundaries: [NanodiffDefect]
        /// τ per tilt map after the last fit (rad): the model misfit, the noise floor a step must
        /// clear besides the Poisson errors.
        public var misfit: [Double]
        /// The F statistic of each reported line and the threshold it cleared.
        public var statistics: [(f: Double, threshold: Double)]

        public init(boundaries: [NanodiffDefect] = [], misfit: [Double] = [], statistics: [(f: Double, threshold: Double)] = []) {
            self.boundaries = boundaries
            self.misfit = misfit
            self.statistics = statistics
        }
    }

    /// Tilt boundaries of the maps `tilts` (each width×height, NaN missing; e.g. tilt_x and
    /// tilt_y) with per-position errors `sigmas` (same layout), around the dislocation cores
    /// `cores`. A boundary's `strength` is its step (rad, the larger of the two maps' steps in
    /// magnitude, √(s_x² + s_y²), with that map's sign); `points` the line's ends in the map.
    /// `strain` (same layout), when given, locates strained regions that are left out of the
    /// model (`NanodiffStrainRegionMask`).
    /// `null` decides how the best line's statistic is judged (`NanodiffBoundaryNull`); `step`
    /// how a found line enters the model (`NanodiffBoundaryStep`); `misfit` whether the misfit
    /// variance is one τ² or varies over the map (`NanodiffLocalMisfit`).
    public static func find(tilts: [[Double]], sigmas: [[Double]], width: Int, height: Int, cores: [SIMD2<Double>] = [],
                            strain: [Double]? = nil, falseAlarm: Double = defaultFalseAlarm, maxBoundaries: Int = 3,
                            null: NanodiffBoundaryNull = .standard, step: NanodiffBoundaryStep = .standard,
                            misfit: NanodiffLocalMisfit.Mode = .standard, algebra: NanodiffDenseAlgebra = .reference) -> [NanodiffDefect] {
        search(tilts: tilts, sigmas: sigmas, width: width, height: height, cores: cores, strain: strain, falseAlarm: falseAlarm,
               maxBoundaries: maxBoundaries, null: null, step: step, misfit: misfit, algebra: algebra).boundaries
    }

    /// `find` with the misfit and statistics (for the quality study).
    public static func search(tilts: [[Double]], sigmas: [[Double]], width: Int, height: Int, cores: [SIMD2<Double>] = [],
                              strain: [Double]? = nil, falseAlarm: Double = defaultFalseAlarm, maxBoundaries: Int = 3,
                              null: NanodiffBoundaryNull = .standard, step: NanodiffBoundaryStep = .standard,
                              misfit: NanodiffLocalMisfit.Mode = .standard, algebra: NanodiffDenseAlgebra = .reference) -> Search {
        var out = Search(boundaries: [], misfit: [], statistics: [])
        let n = width * height
        guard width >= 6, height >= 6, !tilts.isEmpty, tilts.count == sigmas.count,
              tilts.allSatisfy({ $0.count == n }), sigmas.allSatisfy({ $0.count == n }) else { return out }
        let region = strain.map { NanodiffStrainRegionMask.mask(strain: $0, width: width, height: height, cores: cores) }
        let usable = (0..<n).map { i in
            region?[i] != true && tilts.indices.allSatisfy { tilts[$0][i].isFinite && sigmas[$0][i].isFinite && sigmas[$0][i] > 0 }
        }
        var model = NanodiffTiltModel(width: width, height: height, usable: usable, cores: cores)
        if misfit != .global { model.localMisfit = NanodiffLocalMisfit(width: width, height: height, positions: model.positions) }
        let lines = LineGrid(width: width, height: height)
        let lineRate = falseAlarm / Double(lines.count)
        for iteration in 0...maxBoundaries {
            let fits = tilts.indices.map { m in
                model.fit(model.positions.map { tilts[m][$0] }, sigma: model.positions.map { sigmas[m][$0] })
            }
            guard fits.allSatisfy({ $0 != nil }) else { break }
            let f = fits.map { $0! }
            out.misfit = f.map(\.misfit)
            guard out.boundaries.count < maxBoundaries, f.allSatisfy({ $0.dof > 2 }) else { break }
            let best: (line: LineGrid.Line, f: Double, steps: [Double], parts: [Double])
            let statistic: Double, threshold: Double
            // The found line's columns in the model: the sharp step, or the blurred step that fits
            // best with its offset and blur derivatives.
            func modelColumn(_ line: LineGrid.Line) -> [[Double]] {
                if step == .blurred {
                    let c = NanodiffBlurredStep.columns(line: line, lines: lines, model: model, fits: f, width: width)
                    return [c.step] + c.derivatives
                }
                return [model.positions.map { lines.side(line, position: $0, width: width) ? 1.0 : 0 }]
            }
            let column: [[Double]]
            var lineDistance: [Double]?
            if null == .analytic && (misfit == .correlated || (misfit.whitensFirstLine && out.boundaries.isEmpty)) {
                // Generalised least squares under a misfit field correlated over the scan
                // (`NanodiffCorrelatedMisfit`): the scan, the found line's refinement and the test
                // all in its whitened metric; the null is F(2, ν) at α/M without κ.
                let fields = tilts.indices.compactMap { m in
                    NanodiffCorrelatedMisfit(model: model, y: model.positions.map { tilts[m][$0] }, sigma: model.positions.map { sigmas[m][$0] },
                                             fit: f[m], width: width, height: height, families: misfit.correlationFamilies, algebra: algebra)
                }
                guard fields.count == tilts.count, let b = correlatedBestLine(model: model, fields: fields, lines: lines, width: width) else { break }
                // The reported step is the weighted fit's (as under `local`): the whitened amplitude
                // shrinks where the step's own residual has raised τ beside the line.
                let sharp = model.positions.map { lines.side(b.line, position: $0, width: width) ? 1.0 : 0 }
                best = (b.line, b.f, weightedSteps(sharp, model: model, fits: f), b.parts)
                let refined = NanodiffBlurredStep.correlatedColumns(line: best.line, lines: lines, model: model, fields: fields, width: width)
                column = refined.columns
                lineDistance = refined.distance
                statistic = best.f
                let nu = max(3, Double(fields.map(\.dof).min() ?? 3))
                threshold = nu / 2 * (pow(lineRate, -2 / nu) - 1)
            } else if null == .analytic {
                guard let b = bestLine(model: model, fits: f, lines: lines, width: width) else { break }
                best = b
                column = modelColumn(best.line)
                let test = correlationCorrected(best, column: column, model: model, tilts: tilts, sigmas: sigmas, fits: f, width: width, height: height)
                // Upper quantile of F(2, ν): P(F > x) = (1 + 2x/ν)^(−ν/2).
                statistic = test.f
                threshold = test.nu / 2 * (pow(lineRate, -2 / test.nu) - 1)
            } else {
                let scan = NanodiffLineScan(model: model, fits: f, lines: lines, width: width)
                guard let b = scan.best(residuals: f.map(\.residuals), weights: f.map(\.weights), dof: f.map(\.dof)) else { break }
                best = b
                column = modelColumn(best.line)
                let alternative = alternativeResiduals(column: column, model: model, tilts: tilts, sigmas: sigmas, width: width, height: height)
                let noise: (inout SeededRandom) -> [[Double]]
                if null == .simulated {
                    statistic = zip(best.parts, alternative.kappa).reduce(0) { $0 + $1.0 / $1.1 } / Double(tilts.count)
                    noise = NanodiffBoundaryReplicates.white(fits: f)
                } else {
                    statistic = best.f
                    noise = NanodiffBoundaryReplicates.wild(residuals: alternative.residuals, positions: model.positions, width: width,
                                                            height: height, radius: alternative.radius.max() ?? 0)
                }
                let maxima = NanodiffBoundaryReplicates.maxima(scan: scan, model: model, fits: f, replicates: NanodiffBoundaryReplicates.count,
                                                               seed: 0x6E44_1F00 &+ UInt64(iteration), noise: noise).sorted()
                // The exact Monte Carlo test: p = (1 + #{F* ≥ F}) / (B + 1) ≤ α ⇔ at most
                // c = ⌊α(B + 1)⌋ − 1 replicates reach F ⇔ F exceeds the (c + 1)-th largest, the
                // threshold reported (B = 399, α = 0.01: c = 3).
                let exceed = Int((falseAlarm * Double(maxima.count + 1) + 1e-9).rounded(.down)) - 1
                let rank = max(0, min(maxima.count - 1, maxima.count - 1 - max(0, exceed)))
                threshold = maxima[rank]
            }
            guard statistic > threshold else { break }
            let strength = best.steps.max { abs($0) < abs($1) }.map { ($0 < 0 ? -1 : 1) * (best.steps.reduce(0) { $0 + $1 * $1 }).squareRoot() } ?? 0
            let ends = lines.ends(best.line)
            let centre = (ends.0 + ends.1) / 2
            out.boundaries.append(NanodiffDefect(kind: .tiltBoundary, x: centre.x, y: centre.y, strength: strength,
                                                 points: [[ends.0.x, ends.0.y], [ends.1.x, ends.1.y]]))
            out.statistics.append((statistic, threshold))
            for c in column { model.append(column: c) }
            if let lineDistance {
                // Under the correlated misfit the positions where the beam straddles a found line
                // leave the model, as a core's neighbourhood does: what a step seen through an
                // unknown beam leaves there is sharp, so the whitened test would report it as a
                // second line beside the first (docs/nanodiff.md, session 7).
                model.remove(lineDistance.map { abs($0) <= NanodiffTiltModel.coreExclusion })
                model.localMisfit = NanodiffLocalMisfit(width: width, height: height, positions: model.positions)
            }
        }
        return out
    }

    /// Per map, the residuals of the fit with the candidate line's column (what is left when the
    /// step is real: the noise to resample) and their correlation area κ and radius
    /// (`NanodiffResidualCorrelation`, on the standardised residuals r·√w).
    static func alternativeResiduals(column: [[Double]], model: NanodiffTiltModel, tilts: [[Double]], sigmas: [[Double]], width: Int, height: Int)
        -> (residuals: [[Double]], kappa: [Double], radius: [Int]) {
        var withLine = model
        for c in column { withLine.append(column: c) }
        var residuals: [[Double]] = [], kappa: [Double] = [], radius: [Int] = []
        for m in tilts.indices {
            guard let fit = withLine.fit(withLine.positions.map { tilts[m][$0] }, sigma: withLine.positions.map { sigmas[m][$0] }) else {
                residuals.append([Double](repeating: 0, count: model.positions.count)); kappa.append(1); radius.append(0); continue
            }
            var z = [Double](repeating: .nan, count: width * height)
            for (k, i) in withLine.positions.enumerated() { z[i] = fit.residuals[k] * fit.weights[k].squareRoot() }
            let c = NanodiffResidualCorrelation.correlation(z, width: width, height: height)
            residuals.append(fit.residuals); kappa.append(c.kappa); radius.append(c.radius)
        }
        return (residuals, kappa, radius)
    }

    /// The best line's F and residual degrees of freedom corrected for spatially correlated
    /// residuals: what the model cannot follow (next to cores, around a strain centre) is smooth
    /// over several steps, so neighbouring residuals are not independent. Each map's F and ν are
    /// divided by its residuals' effective correlation area κ (`NanodiffResidualCorrelation`),
    /// estimated from the fit *with* the line, so a true step does not inflate its own κ.
    static func correlationCorrected(_ best: (line: LineGrid.Line, f: Double, steps: [Double], parts: [Double]), column: [[Double]],
                                     model: NanodiffTiltModel, tilts: [[Double]], sigmas: [[Double]], fits: [NanodiffTiltModel.Fit],
                                     width: Int, height: Int) -> (f: Double, nu: Double) {
        var withLine = model
        for c in column { withLine.append(column: c) }
        var f = 0.0, nu = Double.infinity
        for m in tilts.indices {
            var kappa = 1.0
            if let fit = withLine.fit(withLine.positions.map { tilts[m][$0] }, sigma: withLine.positions.map { sigmas[m][$0] }) {
                var z = [Double](repeating: .nan, count: width * height)
                for (k, i) in withLine.positions.enumerated() { z[i] = fit.residuals[k] * fit.weights[k].squareRoot() }
                kappa = NanodiffResidualCorrelation.effectiveArea(z, width: width, height: height)
            }
            f += best.parts[m] / kappa
            nu = min(nu, Double(fits[m].dof) / kappa)
        }
        return (f / Double(tilts.count), max(3, nu))
    }

    /// `bestLine` under the correlated misfit: every line's half-plane column whitened
    /// (`NanodiffCorrelatedMisfit.halfPlaneRatios`), one angle's offsets at a time.
    static func correlatedBestLine(model: NanodiffTiltModel, fields: [NanodiffCorrelatedMisfit], lines: LineGrid, width: Int)
        -> (line: LineGrid.Line, f: Double, steps: [Double], parts: [Double])? {
        let n = model.positions.count
        let coordinates = model.positions.map { SIMD2(Double($0 % width), Double($0 / width)) }
        var best: (line: LineGrid.Line, f: Double, steps: [Double], parts: [Double])?
        for angle in 0..<lines.angles.count {
            let normal = lines.normal(angle)
            let s = coordinates.map { (($0 - lines.centre) * normal).sum() }
            // Offsets with at least `minimumSide` fitted positions on each side.
            let sorted = s.sorted()
            let valid = lines.offsets.map { o -> Bool in
                var lo = 0, hi = n
                while lo < hi { let mid = (lo + hi) / 2; if sorted[mid] > o { hi = mid } else { lo = mid + 1 } }
                return n - lo >= minimumSide && lo >= minimumSide
            }
            guard valid.contains(true) else { continue }
            let results = fields.map { $0.halfPlaneRatios(s: s, offsets: lines.offsets) }
            for o in lines.offsets.indices where valid[o] {
                let f = results.reduce(0) { $0 + $1.f[o] } / Double(fields.count)
                // Lines that split the fitted positions alike have the same F up to rounding (the
                // running sums add positions in each angle's own order): the first keeps it, as
                // with session 7's exact ties.
                if f > (best?.f ?? 0) * (1 + 1e-9) {
                    best = (LineGrid.Line(angle: angle, offset: o), f, results.map { $0.step[o] }, results.map { $0.f[o] })
                }
            }
        }
        return best
    }

    /// Per map, the amplitude of column `h` added to the null fit with its weights: hᵀWr / (hᵀWh − ‖L⁻¹XᵀWh‖²).
    static func weightedSteps(_ h: [Double], model: NanodiffTiltModel, fits: [NanodiffTiltModel.Fit]) -> [Double] {
        let k = model.columns
        return fits.map { fit in
            var c = [Double](repeating: 0, count: k), hWh = 0.0, hWr = 0.0
            for i in model.positions.indices where fit.weights[i] > 0 && h[i] != 0 {
                let wh = fit.weights[i] * h[i]
                hWh += wh * h[i]
                hWr += wh * fit.residuals[i]
                for a in 0..<k { c[a] += wh * model.design[i * k + a] }
            }
            let z = SmallCholesky.forward(fit.gram, size: k, c)
            let q = hWh - z.reduce(0) { $0 + $1 * $1 }
            return q > 1e-12 * hWh && hWh > 0 ? hWr / q : 0
        }
    }

    /// The line with the largest joint F, with its steps per map.
    static func bestLine(model: NanodiffTiltModel, fits: [NanodiffTiltModel.Fit], lines: LineGrid, width: Int)
        -> (line: LineGrid.Line, f: Double, steps: [Double], parts: [Double])? {
        let n = model.positions.count, k = model.columns
        let coordinates = model.positions.map { SIMD2(Double($0 % width), Double($0 / width)) }
        var best: (line: LineGrid.Line, f: Double, steps: [Double], parts: [Double])?
        let rss = fits.map { fit in (0..<n).reduce(0) { $0 + fit.weights[$1] * fit.residuals[$1] * fit.residuals[$1] } }
        for angle in 0..<lines.angles.count {
            let normal = lines.normal(angle)
            let s = coordinates.map { (($0 - lines.centre) * normal).sum() }
            let order = (0..<n).sorted { s[$0] > s[$1] }
            // Running sums over the positions beyond the offset (the "+" side), per map.
            var c = [[Double]](repeating: [Double](repeating: 0, count: k), count: fits.count)
            var hWh = [Double](repeating: 0, count: fits.count), hWr = hWh
            var count = 0, next = 0
            for offset in stride(from: lines.offsets.count - 1, through: 0, by: -1) {
                let o = lines.offsets[offset]
                while next < n && s[order[next]] > o {
                    let i = order[next]
                    for (m, fit) in fits.enumerated() where fit.weights[i] > 0 {
                        let w = fit.weights[i]
                        hWh[m] += w
                        hWr[m] += w * fit.residuals[i]
                        for a in 0..<k { c[m][a] += w * model.design[i * k + a] }
                    }
                    if fits[0].weights[i] > 0 { count += 1 }
                    next += 1
                }
                guard count >= minimumSide, n - next >= minimumSide else { continue }
                var f = 0.0, steps: [Double] = [], parts: [Double] = []
                for (m, fit) in fits.enumerated() {
                    let z = SmallCholesky.forward(fit.gram, size: k, c[m])
                    let q = hWh[m] - z.reduce(0) { $0 + $1 * $1 }
                    guard q > 1e-12 * hWh[m] else { f = 0; break }
                    let drop = hWr[m] * hWr[m] / q
                    parts.append(drop / max(1e-300, rss[m] - drop) * Double(fit.dof))
                    f += parts[m]
                    steps.append(hWr[m] / q)
                }
                f /= Double(fits.count)
                if f > (best?.f ?? 0) { best = (LineGrid.Line(angle: angle, offset: offset), f, steps, parts) }
            }
        }
        return best
    }
}

/// The candidate lines: angle every 2°, offset from the map centre every half step.
struct LineGrid {
    struct Line: Equatable { var angle: Int, offset: Int }
    let angles: [Double]
    let offsets: [Double]
    let centre: SIMD2<Double>
    let width: Int, height: Int

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        let diagonal = Double(width * width + height * height).squareRoot()
        angles = Array(stride(from: 0.0, to: 180.0, by: 2.0))
        offsets = Array(stride(from: -diagonal / 2, through: diagonal / 2, by: 0.5))
        centre = SIMD2(Double(width - 1) / 2, Double(height - 1) / 2)
    }

    var count: Int { angles.count * offsets.count }

    /// Unit normal of lines at angle index `a` (their direction is (cos a, sin a)).
    func normal(_ a: Int) -> SIMD2<Double> {
        let r = angles[a] * .pi / 180
        return SIMD2(-sin(r), cos(r))
    }

    /// Whether map position `index` lies on the "+" side of `line`.
    func side(_ line: Line, position index: Int, width: Int) -> Bool {
        let p = SIMD2(Double(index % width), Double(index / width))
        return ((p - centre) * normal(line.angle)).sum() > offsets[line.offset]
    }

    /// The line's ends where it leaves the map rectangle.
    func ends(_ line: Line) -> (SIMD2<Double>, SIMD2<Double>) {
        let n = normal(line.angle), d = SIMD2(n.y, -n.x)
        let foot = centre + n * offsets[line.offset]
        var lo = -Double.infinity, hi = Double.infinity
        for (p, v, top) in [(foot.x, d.x, Double(width - 1)), (foot.y, d.y, Double(height - 1))] {
            if abs(v) < 1e-12 { continue }
            let a = (0 - p) / v, b = (top - p) / v
            lo = max(lo, min(a, b)); hi = min(hi, max(a, b))
        }
        if lo > hi { return (foot, foot) }
        return (foot + d * lo, foot + d * hi)
    }
}
