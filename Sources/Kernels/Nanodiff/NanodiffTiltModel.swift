import Foundation

/// The smooth part of a tilt map that is not a boundary: a quadratic large-scale field plus the
/// elastic field of each located dislocation, fitted robustly with weights from the per-position
/// errors. `NanodiffBoundaryFinder` tests candidate steps against what this model leaves.
///
/// A straight dislocation along the beam turns the lattice by a field that is homogeneous of
/// degree −1 in the distance from its core: for any Burgers vector, Poisson ratio and either
/// tilt component, a combination of x³, x²y, xy², y³ over r⁴ (Hirth & Lothe's edge and screw
/// fields span exactly these). A core placed a fraction of a step off, and the beam's blur,
/// add the next multipole order (degree −2: x⁴ … y⁴ over r⁶). So each core contributes 9
/// columns whose amplitudes are fitted, not assumed; positions within `coreExclusion` steps of a
/// core (where the peak leaves the rocking range) are left out.
public struct NanodiffTiltModel: Sendable {
    /// Positions (map indices) the model is fitted on.
    public private(set) var positions: [Int]
    /// Design matrix, row-major [positions.count, columns].
    public private(set) var design: [Double]
    public private(set) var columns: Int
    /// When set, the misfit variance varies over the map (`NanodiffLocalMisfit`, over these
    /// `positions`) instead of one τ² from the residuals' MAD.
    public var localMisfit: NanodiffLocalMisfit?
    /// Steps from `coreExclusion` on: closer positions are not modelled.
    public static let coreExclusion = 1.5
    /// Core regularisation (steps), numerical only: the fitted positions are ≥ 1.5 steps out, and
    /// a Gaussian beam's average of these harmonic fields is the field itself (mean-value
    /// property), so the beam size needs no softening.
    static let coreSoftening = 0.1

    /// The model over the positions of a width×height map where `usable` is true and that lie
    /// at least `coreExclusion` from every core.
    public init(width: Int, height: Int, usable: [Bool], cores: [SIMD2<Double>]) {
        var kept: [Int] = []
        for i in 0..<(width * height) where usable[i] {
            let p = SIMD2(Double(i % width), Double(i / width))
            if cores.allSatisfy({ (($0 - p) * ($0 - p)).sum() > Self.coreExclusion * Self.coreExclusion }) { kept.append(i) }
        }
        positions = kept
        columns = 6 + 9 * cores.count
        design = []
        design.reserveCapacity(kept.count * columns)
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        let sx = max(1, cx), sy = max(1, cy)
        for i in kept {
            let x = Double(i % width), y = Double(i / width)
            let u = (x - cx) / sx, v = (y - cy) / sy
            design += [1, u, v, u * u, u * v, v * v]
            for c in cores {
                let dx = x - c.x, dy = y - c.y
                let r2 = dx * dx + dy * dy + Self.coreSoftening * Self.coreSoftening
                let r4 = r2 * r2, r6 = r4 * r2
                design += [dx * dx * dx / r4, dx * dx * dy / r4, dx * dy * dy / r4, dy * dy * dy / r4]
                design += [dx * dx * dx * dx / r6, dx * dx * dx * dy / r6, dx * dx * dy * dy / r6, dx * dy * dy * dy / r6, dy * dy * dy * dy / r6]
            }
        }
    }

    /// Adds a column (one value per fitted position), e.g. a boundary already found.
    public mutating func append(column: [Double]) {
        precondition(column.count == positions.count, "a column needs one value per fitted position")
        var out: [Double] = []
        out.reserveCapacity(positions.count * (columns + 1))
        for (k, value) in column.enumerated() {
            out += design[(k * columns)..<((k + 1) * columns)]
            out.append(value)
        }
        design = out
        columns += 1
    }

    /// Drops the fitted positions flagged in `drop` (one flag per fitted position) with their rows.
    public mutating func remove(_ drop: [Bool]) {
        precondition(drop.count == positions.count, "one flag per fitted position")
        var kept: [Int] = [], rows: [Double] = []
        rows.reserveCapacity(design.count)
        for (k, i) in positions.enumerated() where !drop[k] {
            kept.append(i)
            rows += design[(k * columns)..<((k + 1) * columns)]
        }
        positions = kept
        design = rows
    }

    /// A robust weighted fit of `y` (one value per fitted position) with errors `sigma`.
    public struct Fit: Sendable {
        /// Residuals y − Xβ.
        public var residuals: [Double]
        /// Weights w = ρ / (σ² + τ²): ρ the bisquare weight, τ² the model-misfit variance (per
        /// position with `localMisfit`).
        public var weights: [Double]
        /// The misfit τ (same unit as y): the scatter the model does not explain beyond σ (the
        /// root mean of τᵢ² with `localMisfit`).
        public var misfit: Double
        /// Cholesky factor of XᵀWX, row-major lower triangle [columns × columns].
        public var gram: [Double]
        /// Positions with non-zero weight, minus the columns: the residual degrees of freedom.
        public var dof: Int
        /// The misfit variance τᵢ² and bisquare weight ρᵢ per position that made `weights`
        /// (`NanodiffCorrelatedMisfit` builds its covariance from them).
        public var tau2: [Double] = []
        public var robust: [Double] = []
    }

    /// Iteratively reweighted least squares with Tukey's bisquare (c = 4.685, 95 % efficiency
    /// under Gaussian errors): positions the smooth model cannot follow (next to a core, inside
    /// an unmodelled strain centre) lose their weight instead of dragging the fit. τ comes from
    /// the residuals' MAD beyond the median measurement error.
    public func fit(_ y: [Double], sigma: [Double], iterations: Int = 8) -> Fit? {
        let n = positions.count, k = columns
        guard n > k + 2 else { return nil }
        var robust = [Double](repeating: 1, count: n)
        var tau2 = [Double](repeating: 0, count: n)
        let medianSigma2 = NanodiffLPAICI.median(sigma.map { $0 * $0 })
        let local = localMisfit.flatMap { $0.positions == positions ? $0 : nil }
        var result: Fit?
        for _ in 0..<iterations {
            let w = (0..<n).map { robust[$0] / (sigma[$0] * sigma[$0] + tau2[$0] + 1e-300) }
            guard let (beta, chol) = solve(y, weights: w) else { return result }
            let residuals = (0..<n).map { i in y[i] - (0..<k).reduce(0) { $0 + design[i * k + $1] * beta[$1] } }
            result = Fit(residuals: residuals, weights: w, misfit: (tau2.reduce(0, +) / Double(n)).squareRoot(), gram: chol,
                         dof: robust.filter { $0 > 0 }.count - k, tau2: tau2, robust: robust)
            if let local {
                tau2 = local.variance(residuals: residuals, sigma: sigma)
            } else {
                let scale = 1.4826 * NanodiffLPAICI.median(residuals.map(abs))
                tau2 = [Double](repeating: max(0, scale * scale - medianSigma2), count: n)
            }
            robust = (0..<n).map { i in
                let z = residuals[i] / (4.685 * (sigma[i] * sigma[i] + tau2[i]).squareRoot() + 1e-300)
                return abs(z) < 1 ? (1 - z * z) * (1 - z * z) : 0
            }
        }
        return result
    }

    /// β of the weighted least squares and the Cholesky factor of XᵀWX (nil when singular).
    func solve(_ y: [Double], weights w: [Double]) -> ([Double], [Double])? {
        let n = positions.count, k = columns
        var gram = [Double](repeating: 0, count: k * k), rhs = [Double](repeating: 0, count: k)
        design.withUnsafeBufferPointer { x in
            for i in 0..<n where w[i] > 0 {
                let row = i * k
                for a in 0..<k {
                    let xa = x[row + a] * w[i]
                    rhs[a] += xa * y[i]
                    for b in 0...a { gram[a * k + b] += xa * x[row + b] }
                }
            }
        }
        guard let chol = Self.cholesky(gram, size: k) else { return nil }
        return (SmallCholesky.solve(chol, size: k, rhs), chol)
    }

    /// Lower Cholesky factor of the Gram matrix (lower triangle used), with a relative ridge of
    /// 10⁻¹⁰ of its largest diagonal so a redundant column does not fail it.
    static func cholesky(_ a: [Double], size k: Int) -> [Double]? {
        SmallCholesky.factor(a, size: k, ridge: 1e-10 * (0..<k).map { a[$0 * k + $0] }.max()!)
    }
}
