import Foundation

/// The tilt model's misfit as a smooth random field rather than independent scatter: the test of
/// a step is generalised least squares with covariance
/// V = R^(−½) (Σ + T P_ℓ T) R^(−½), Σ = diag(σᵢ²) the Poisson errors, T = diag(τᵢ) the local misfit
/// (`NanodiffLocalMisfit`), P_ℓ(i, j) = exp(−dᵢⱼ² / 2ℓ²) its correlation over the scan, R the
/// bisquare weights (kriging with a non-stationary variance; Cressie 1993, ch. 3).
///
/// Why (docs/nanodiff.md, session 7): with independent misfit (`local`), a boundary the model has
/// not yet been told about inflates τ over the whole half-plane next to it (what the quadratic
/// bend leaves of a step is a sawtooth, largest at the line), so the positions that carry the
/// step's evidence weigh as little as its own residual — the test saturates and weak steps near
/// cores are missed. Modelled as a field that is smooth over ℓ steps, the same misfit can follow
/// a bend or a core's halo but not a jump from one position to the next: the step keeps its
/// evidence, and smooth misfit along a line no longer looks like one (κ is not needed).
/// ℓ is chosen per map and fit by maximum likelihood (profiled over the model's coefficients)
/// among `lengths`; ℓ = 0 is the independent misfit of `local`.
public struct NanodiffCorrelatedMisfit {
    /// Correlation lengths tried (scan steps); 0 = independent.
    public static let lengths: [Double] = [0, 0.7, 1, 1.5, 2, 3, 4.5, 6]

    /// Indices (into the model's fitted positions) of the positions with weight, in order.
    public let kept: [Int]
    /// The chosen correlation length (steps).
    public let length: Double
    /// The Cholesky factor of V over `kept` (row-major, m×m).
    let factor: [Double]
    /// (L⁻¹X)ᵀ (k×m, row-major) and the Cholesky factor of its Gram matrix (k×k).
    let whitenedDesignT: [Double], gram: [Double]
    /// L⁻¹(y − Xβ̂): the whitened residuals of the null fit.
    let residuals: [Double]
    let columns: Int
    /// Residual degrees of freedom: kept positions minus columns.
    public let dof: Int
    let algebra: NanodiffDenseAlgebra

    /// The null fit of `y` (one value per `model` position) with errors `sigma` under the misfit
    /// field whose variance and bisquare weights are those of the robust fit `fit`.
    /// For ℓ above the local misfit's bandwidth τᵢ² is smoothed again from the fit's residuals
    /// over ℓ: the variance of a field correlated over ℓ cannot be read from a smaller window.
    public init?(model: NanodiffTiltModel, y: [Double], sigma: [Double], fit: NanodiffTiltModel.Fit, width: Int, height: Int,
                 lengths: [Double] = lengths, algebra: NanodiffDenseAlgebra = .reference) {
        let kept = model.positions.indices.filter { fit.robust[$0] > 0 }
        let m = kept.count, k = model.columns
        guard m > k + 2, fit.tau2.count == model.positions.count else { return nil }
        self.kept = kept
        self.columns = k
        self.algebra = algebra
        dof = m - k
        let xy = kept.map { SIMD2(Double(model.positions[$0] % width), Double(model.positions[$0] / width)) }
        let scale = kept.map { 1 / fit.robust[$0].squareRoot() }
        var x = [Double](repeating: 0, count: m * k)
        for (r, i) in kept.enumerated() { for c in 0..<k { x[r * k + c] = model.design[i * k + c] } }
        let yk = kept.map { y[$0] }
        var best: (logLikelihood: Double, length: Double, factor: [Double], x: [Double], gram: [Double], e: [Double])?
        for length in lengths {
            let bandwidth = model.localMisfit?.bandwidth ?? NanodiffLocalMisfit.defaultBandwidth
            let tau2 = length > bandwidth
                ? NanodiffLocalMisfit(width: width, height: height, positions: model.positions, bandwidth: length).variance(residuals: fit.residuals, sigma: sigma)
                : fit.tau2
            let tau = kept.map { tau2[$0].squareRoot() }
            let diagonal = kept.map { sigma[$0] * sigma[$0] + tau2[$0] }
            var v = [Double](repeating: 0, count: m * m)
            for i in 0..<m {
                for j in 0...i {
                    let value: Double
                    if i == j {
                        value = diagonal[i]
                    } else if length > 0 {
                        let d = xy[i] - xy[j]
                        value = tau[i] * tau[j] * exp(-(d * d).sum() / (2 * length * length))
                    } else {
                        value = 0
                    }
                    v[i * m + j] = value * scale[i] * scale[j]
                }
            }
            guard algebra.cholesky(&v, size: m) else { continue }
            var xw = x, yw = yk
            v.withUnsafeBufferPointer { l in
                xw.withUnsafeMutableBufferPointer { algebra.triangularSolve(false, m, k, l.baseAddress!, m, $0.baseAddress!, k) }
                yw.withUnsafeMutableBufferPointer { algebra.triangularSolve(false, m, 1, l.baseAddress!, m, $0.baseAddress!, 1) }
            }
            var g = [Double](repeating: 0, count: k * k), rhs = [Double](repeating: 0, count: k)
            for r in 0..<m {
                for a in 0..<k {
                    rhs[a] += xw[r * k + a] * yw[r]
                    for b in 0...a { g[a * k + b] += xw[r * k + a] * xw[r * k + b] }
                }
            }
            guard let chol = NanodiffTiltModel.cholesky(g, size: k) else { continue }
            let beta = SmallCholesky.solve(chol, size: k, rhs)
            let e = (0..<m).map { r in yw[r] - (0..<k).reduce(0) { $0 + xw[r * k + $1] * beta[$1] } }
            // Profile log-likelihood: −½ eᵀe − log|L|.
            let logLikelihood = -0.5 * e.reduce(0) { $0 + $1 * $1 } - (0..<m).reduce(0) { $0 + log(v[$1 * m + $1]) }
            if best == nil || logLikelihood > best!.logLikelihood { best = (logLikelihood, length, v, xw, chol, e) }
        }
        guard let best else { return nil }
        length = best.length
        factor = best.factor
        var xt = [Double](repeating: 0, count: k * m)
        for r in 0..<m { for a in 0..<k { xt[a * m + r] = best.x[r * k + a] } }
        whitenedDesignT = xt
        gram = best.gram
        residuals = best.e
    }

    /// Per candidate column (`h`: `count` columns, row-major over the model's fitted positions,
    /// [positions × count]) the F ratio of adding it to the null model: the drop in whitened RSS,
    /// (h̃ᵀẽ)² / (h̃ᵀh̃ − ‖L_G⁻¹X̃ᵀh̃‖²), over what is left per residual degree of freedom; 0 for a
    /// column the model already spans; and each column's fitted amplitude (the step).
    public func ratios(_ h: [Double], count: Int) -> (f: [Double], step: [Double]) {
        let m = kept.count, k = columns
        var hw = [Double](repeating: 0, count: m * count)
        for (r, i) in kept.enumerated() { for c in 0..<count { hw[r * count + c] = h[i * count + c] } }
        factor.withUnsafeBufferPointer { l in
            hw.withUnsafeMutableBufferPointer { algebra.triangularSolve(false, m, count, l.baseAddress!, m, $0.baseAddress!, count) }
        }
        let rss = residuals.reduce(0) { $0 + $1 * $1 }
        var out = [Double](repeating: 0, count: count), step = out
        // −X̃ᵀH̃ (k×count) as one product: 0 − X̃ᵀ·(H̃ᵀ)ᵀ.
        var proj = [Double](repeating: 0, count: k * count), ht = [Double](repeating: 0, count: count * m)
        var hh = [Double](repeating: 0, count: count), he = [Double](repeating: 0, count: count)
        for r in 0..<m {
            let e = residuals[r]
            for c in 0..<count {
                let v = hw[r * count + c]
                ht[c * m + r] = v
                hh[c] += v * v
                he[c] += v * e
            }
        }
        whitenedDesignT.withUnsafeBufferPointer { xb in
            ht.withUnsafeBufferPointer { hb in
                proj.withUnsafeMutableBufferPointer { algebra.subtractProduct(k, count, m, xb.baseAddress!, m, hb.baseAddress!, m, $0.baseAddress!, count) }
            }
        }
        for c in 0..<count {
            let z = SmallCholesky.forward(gram, size: k, (0..<k).map { -proj[$0 * count + c] })
            let q = hh[c] - z.reduce(0) { $0 + $1 * $1 }
            guard q > 1e-9 * hh[c], hh[c] > 0 else { continue }
            let drop = he[c] * he[c] / q
            out[c] = drop / max(1e-300, rss - drop) * Double(dof)
            step[c] = he[c] / q
        }
        return (out, step)
    }
}
