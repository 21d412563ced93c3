#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Depth along a traced line as one smooth curve fitted against the cross-sections of every
/// view at once (a penalised spline in arc length whose smoothness the data choose), instead
/// of per-point depths pooled over neighbours and smoothed afterwards (`STEM4DLineDepthFit`).
///
/// Model. At point i of the curve (normal n_i) view v shows the line's cross-section displaced
/// along n_i by e_{v,i} = c_i + (z(s_i) − z_i)·a_{v,i} + ε_{v,i}, a_{v,i} = t_v·n_i, against
/// the template profile (the mean over all views of the points within ±`window`, each sampled
/// at its own current depth z_i); c_i is the curve's lateral error (common to the views),
/// z(s) the depth as a cubic B-spline in arc length s. Each point's displacement is measured
/// from its own cross-section only (one Gauss–Newton step against the pooled template), so
/// neighbouring points' errors are nearly independent, which is what lets the data choose the
/// smoothness. var ε_{v,i} = σ_v² / E_i: E_i the template's gradient energy at the point (a
/// faint stretch measures worse), σ_v² each view's own noise measured from its pixels.
/// Eliminating c_i per point leaves one observation of the depth per point, y_i, with weight
/// E_i Σ_v (a_{v,i} − ā_i)² / σ_v² (views weighted by 1/σ_v², ā their weighted mean): a pair
/// across the line's direction counts, a pair along it does not.
///
/// The depth curve minimises Σ_i W_i (y_i − z(s_i))² + λ Σ_k (Δ²β_k)² (P-spline, Eilers and
/// Marx 1996: many knots, second-difference penalty on the coefficients), λ by restricted
/// maximum likelihood (the spline as a mixed model, the noise scale profiled out; Wood 2011),
/// which, unlike GCV, does not undersmooth when neighbouring errors are mildly correlated.
/// Gauss–Newton on the whole curve: the profiles are re-sampled at the new depths and the fit
/// repeated until the curve moves less than 0.01 px. Points far off the curve (a crossing, a
/// stretch of another line) are down-weighted (Huber weights of the standardised residual).
public struct STEM4DLineDepthSpline: Sendable, Hashable {
    /// Half-length (points) of the template pooling and of the normal's pooling.
    public var window = 3
    /// Sampling step and half-width of the cross-section, px.
    public var step = 0.5
    public var halfWidth: Double
    /// Largest |z|, scan px.
    public var zRange: Double
    /// Gauss–Newton passes over the whole curve at most.
    public var iterations = 12
    /// See `STEM4DLineDepthFit.posedFraction`.
    public var posedFraction = 0.1
    /// Points per spline segment (knot spacing), and the most segments: the penalty, not the
    /// knots, sets the smoothness, so the knots only need to be denser than any bend.
    public var pointsPerSegment = 3.0
    public var maxSegments = 40
    /// Points per independent observation: the views are smoothed before the cross-sections are
    /// read, so neighbouring points' errors are correlated over about 4 × that σ (the caller sets
    /// it); REML (like GCV) undersmooths correlated errors, so they are averaged in blocks.
    public var block = 2
    /// log₁₀ λ searched (λ relative to the mean weight).
    public static let logLambdas: [Double] = stride(from: -6.0, through: 8.0, by: 0.25).map { $0 }
    /// Huber's constant for the points' robustness weights (standardised residuals).
    public static let huber = 2.0

    /// A fit with cross-sections of ±`halfWidth` px, depths within ±`zRange`.
    public init(halfWidth: Double, zRange: Double) { self.halfWidth = halfWidth; self.zRange = zRange }

    /// The result of a fit.
    public struct Result: Sendable, Hashable {
        /// Depth per point, scan px.
        public var z: [Double]
        /// Whether the views pose each point's depth (`posedFraction`).
        public var posed: [Bool]
        /// RMS of the views' displacements left after the fit, px.
        public var rms: Double
        /// The smoothing chosen (log₁₀ λ) and the spline's effective degrees of freedom.
        public var logLambda: Double
        public var edf: Double
        /// Each view's measured noise σ_v (relative to the views' mean; 1 when not measurable).
        public var viewSigma: [Double]
        /// Passes run, and the largest depth change of the last.
        public var passes: Int
        public var lastMove = 0.0
    }

    /// Depths of `curve` from `start` (a depth per point, e.g. `STEM4DLineDepthFit`'s), `views`
    /// lightly smoothed. Each pass moves a point's observation by at most `maxChange`.
    public func fit(curve: [SIMD2<Double>], start: [Double], views: [STEM4DLineView], maxChange: Double) -> Result {
        let n = curve.count, nv = views.count
        var result = Result(z: start, posed: [Bool](repeating: false, count: n), rms: 0, logLambda: .nan, edf: .nan,
                            viewSigma: [Double](repeating: 1, count: nv), passes: 0)
        guard n >= 4, nv >= 2 else { return result }
        // Normals pooled over ±window (as STEM4DLineDepthFit), and each view's a_{v,i}.
        let raw = STEM4DLineDepthFit.normals(curve)
        let normals: [SIMD2<Double>] = curve.indices.map { i in
            var s = SIMD2<Double>(0, 0)
            for j in max(0, i - window)...min(n - 1, i + window) { s += (raw[j] * raw[i]).sum() >= 0 ? raw[j] : -raw[j] }
            return s / max(1e-12, (s * s).sum().squareRoot())
        }
        let a = normals.map { nrm in views.map { $0.tx * nrm.x + $0.ty * nrm.y } }
        let spreadMax = STEM4DLineDepthFit.largestSpread(views)
        for i in 0..<n {
            let m = a[i].reduce(0, +) / Double(nv)
            let spread = a[i].map { ($0 - m) * ($0 - m) }.reduce(0, +)
            result.posed[i] = spread > 1e-12 && spread >= posedFraction * spreadMax
        }
        // Arc length and the B-spline basis (4 non-zero values per point).
        var s = [Double](repeating: 0, count: n)
        for i in 1..<n { let d = curve[i] - curve[i - 1]; s[i] = s[i - 1] + (d * d).sum().squareRoot() }
        let segments = max(1, min(maxSegments, Int((Double(n) / pointsPerSegment).rounded())))
        let basis = Self.basis(s, lo: s[0], hi: s[n - 1], segments: segments)
        let k = segments + 3
        let penalty = Self.secondDifferencePenalty(k)

        let offsets = stride(from: -halfWidth, through: halfWidth + 1e-9, by: step).map { $0 }
        var z = start.map { min(max($0, -zRange), zRange) }
        let viewVar = Self.viewVariances(views)
        var robust = [Double](repeating: 1, count: n)
        var damping = 1.0, previousMove = Double.infinity
        for pass in 0..<iterations {
            result.passes = pass + 1
            guard let measured = displacements(curve: curve, normals: normals, z: z, offsets: offsets, views: views) else { break }
            // One observation of the depth per point.
            var y = z, w = [Double](repeating: 0, count: n)
            for i in 0..<n where measured.energy[i] > 0 {
                var sw = 0.0, sa = 0.0, se = 0.0
                for v in 0..<nv { let wv = 1 / viewVar[v]; sw += wv; sa += wv * a[i][v]; se += wv * measured.e[v][i] }
                let am = sa / sw, em = se / sw
                var saa = 0.0, sea = 0.0
                for v in 0..<nv { let wv = 1 / viewVar[v]; saa += wv * (a[i][v] - am) * (a[i][v] - am); sea += wv * (measured.e[v][i] - em) * (a[i][v] - am) }
                guard saa > 1e-12 else { continue }
                y[i] = z[i] + min(max(sea / saa, -maxChange), maxChange)
                w[i] = measured.energy[i] * saa
            }
            // Neighbouring points' errors are correlated over the views' smoothing (their cross-sections
            // overlap); blocks of `block` points are nearly independent observations, which REML needs.
            let wr = zip(w, robust).map(*)
            var by: [Double] = [], bw: [Double] = [], bs: [Double] = []
            for b0 in stride(from: 0, to: n, by: block) {
                var sw = 0.0, sy = 0.0, ss = 0.0
                for i in b0..<min(n, b0 + block) where wr[i] > 0 { sw += wr[i]; sy += wr[i] * y[i]; ss += wr[i] * s[i] }
                guard sw > 0 else { continue }
                by.append(sy / sw); bw.append(sw); bs.append(ss / sw)
            }
            let blockBasis = Self.basis(bs, lo: s[0], hi: s[n - 1], segments: segments)
            guard let spline = penalisedFit(y: by, weights: bw, basis: blockBasis, size: k, penalty: penalty, evaluateAt: basis) else { break }
            let zNew = spline.fitted.map { min(max($0, -zRange), zRange) }
            result.logLambda = spline.logLambda; result.edf = spline.edf
            // The RMS of the views' displacements left under the new curve.
            var rss = 0.0, rssCount = 0.0
            for i in 0..<n where measured.energy[i] > 0 && w[i] > 0 {
                let d = zNew[i] - z[i]
                var sw = 0.0, sc = 0.0
                for v in 0..<nv { let wv = 1 / viewVar[v]; sw += wv; sc += wv * (measured.e[v][i] - d * a[i][v]) }
                let c = sc / sw
                for v in 0..<nv {
                    let r = measured.e[v][i] - c - d * a[i][v]
                    rss += r * r; rssCount += 1
                }
            }
            result.rms = rssCount > 0 ? (rss / rssCount).squareRoot() : 0
            // Robustness weights from the standardised residuals (scale: 1.4826 MAD).
            let u = (0..<n).map { w[$0] > 0 ? (y[$0] - spline.fitted[$0]) * w[$0].squareRoot() : Double.nan }.filter(\.isFinite)
            if u.count >= 4 {
                let scale = 1.4826 * STEM4DLineDepthFit.median(u.map(abs))
                if scale > 0 {
                    robust = (0..<n).map { i in
                        guard w[i] > 0 else { return 1 }
                        let r = abs(y[i] - spline.fitted[i]) * w[i].squareRoot() / scale
                        return r > Self.huber ? Self.huber / r : 1
                    }
                }
            }
            // Damped when a pass moves the curve as far as the one before (at low dose the
            // per-point steps are far from linear and a full step can oscillate).
            let full = zip(zNew, z).map { abs($0 - $1) }.max() ?? 0
            if pass > 0 && full > 0.9 * previousMove { damping = max(damping / 2, 1.0 / 16) }
            previousMove = full
            let moved = damping * full
            result.lastMove = moved
            z = zip(z, zNew).map { $0 + damping * ($1 - $0) }
            if moved < 0.01 { break }
        }
        result.z = z
        result.viewSigma = viewVar.map { $0.squareRoot() }
        return result
    }

    /// Each view's disparity noise σ_v² (relative, mean 1). e_{v,i} = Σ_k (f_v − G)G′ / E_i, so
    /// var e_{v,i} = s_v² / E_i with s_v the view's pixel noise, measured here from the view
    /// itself (neighbour differences, robust: `STEM4DParticleModelState.pixelNoise`) — a view with
    /// fewer counts is noisier in units of its level. (From the displacements' own residuals it
    /// is not identifiable: a line of one direction leaves two residual degrees of freedom per
    /// point for four variances, and which view of a pair is the noisy one cannot be told.)
    static func viewVariances(_ views: [STEM4DLineView]) -> [Double] {
        let raw = views.map { v -> Double in
            let s = STEM4DParticleModelState.pixelNoise(v.image.pixels.map(Double.init), w: v.image.cols, h: v.image.rows)
            return s * s
        }
        let mean = raw.reduce(0, +) / Double(max(1, raw.count))
        guard mean > 0, raw.allSatisfy({ $0.isFinite && $0 > 0 }) else { return [Double](repeating: 1, count: views.count) }
        return raw.map { $0 / mean }
    }

    /// Each view's displacement e[v][i] (px along the point's normal) against the template, and
    /// the template's gradient energy per point (0: no contrast, no observation).
    func displacements(curve: [SIMD2<Double>], normals: [SIMD2<Double>], z: [Double], offsets: [Double],
                       views: [STEM4DLineView]) -> (e: [[Double]], energy: [Double])? {
        let n = curve.count, m = offsets.count
        guard m >= 3 else { return nil }
        // Profiles f[v][i*m + k].
        let f: [[Double]] = views.map { view in
            var p = [Double](repeating: 0, count: n * m)
            for i in 0..<n {
                let px = curve[i].x - z[i] * view.tx, py = curve[i].y - z[i] * view.ty, nrm = normals[i]
                for (k, o) in offsets.enumerated() { p[i * m + k] = Double(view.image.sample(px + o * nrm.x, py + o * nrm.y)) }
            }
            return p
        }
        // Mean over views, then the running mean over ±window points (the template).
        var meanProfile = [Double](repeating: 0, count: n * m)
        for p in f { for j in meanProfile.indices { meanProfile[j] += p[j] } }
        let inv = 1 / Double(views.count)
        for j in meanProfile.indices { meanProfile[j] *= inv }
        var e = [[Double]](repeating: [Double](repeating: 0, count: n), count: views.count)
        var energy = [Double](repeating: 0, count: n)
        var template = [Double](repeating: 0, count: m), gradient = [Double](repeating: 0, count: m)
        for i in 0..<n {
            let lo = max(0, i - window), hi = min(n - 1, i + window)
            for k in 0..<m { template[k] = 0 }
            for j in lo...hi { for k in 0..<m { template[k] += meanProfile[j * m + k] } }
            let c = 1 / Double(hi - lo + 1)
            var en = 0.0
            for k in 0..<m {
                template[k] *= c
            }
            for k in 0..<m {
                gradient[k] = (k == 0 || k == m - 1) ? 0 : (template[k + 1] - template[k - 1]) / (2 * step)
                en += gradient[k] * gradient[k]
            }
            guard en > 0 else { continue }
            energy[i] = en
            for v in views.indices {
                var num = 0.0
                for k in 1..<(m - 1) { num += (f[v][i * m + k] - template[k]) * gradient[k] }
                e[v][i] = num / en
            }
        }
        guard energy.contains(where: { $0 > 0 }) else { return nil }
        return (e, energy)
    }

    /// Uniform cubic B-spline basis over [s.first, s.last] in `segments` segments: per point the
    /// first basis index and its four values.
    static func basis(_ s: [Double], lo: Double, hi: Double, segments: Int) -> [(first: Int, values: SIMD4<Double>)] {
        let h = max(1e-9, (hi - lo) / Double(segments))
        return s.map { x in
            let t = (x - lo) / h
            let j = min(max(Int(t.rounded(.down)), 0), segments - 1)
            let u = t - Double(j), u2 = u * u, u3 = u2 * u
            return (j, SIMD4((1 - u) * (1 - u) * (1 - u) / 6, (3 * u3 - 6 * u2 + 4) / 6, (-3 * u3 + 3 * u2 + 3 * u + 1) / 6, u3 / 6))
        }
    }

    /// DᵀD for the second-difference matrix D ((k − 2) × k), row-major k × k.
    static func secondDifferencePenalty(_ k: Int) -> [Double] {
        var p = [Double](repeating: 0, count: k * k)
        guard k >= 3 else { return p }
        for r in 0..<(k - 2) {
            let d: [(Int, Double)] = [(r, 1), (r + 1, -2), (r + 2, 1)]
            for (i, a) in d { for (j, b) in d { p[i * k + j] += a * b } }
        }
        return p
    }

    /// The P-spline fit with λ chosen by REML over `logLambdas`: fitted values, log₁₀ λ, and
    /// the effective degrees of freedom tr((BᵀWB + λP)⁻¹BᵀWB). Nil with fewer than four
    /// weighted points.
    func penalisedFit(y: [Double], weights: [Double], basis: [(first: Int, values: SIMD4<Double>)], size k: Int,
                      penalty: [Double], evaluateAt points: [(first: Int, values: SIMD4<Double>)]) -> (fitted: [Double], logLambda: Double, edf: Double)? {
        let used = weights.filter { $0 > 0 }
        guard used.count >= 4 else { return nil }
        let meanW = used.reduce(0, +) / Double(used.count)
        let w = weights.map { $0 / meanW }
        var btwb = [Double](repeating: 0, count: k * k), btwy = [Double](repeating: 0, count: k)
        for (i, b) in basis.enumerated() where w[i] > 0 {
            for p in 0..<4 {
                btwy[b.first + p] += w[i] * b.values[p] * y[i]
                for q in 0..<4 { btwb[(b.first + p) * k + b.first + q] += w[i] * b.values[p] * b.values[q] }
            }
        }
        let nEff = Double(used.count)
        let nullDim = min(2, k)
        let ridge = 1e-9 * ((0..<k).map { btwb[$0 * k + $0] }.max() ?? 1)
        func solve(_ logLambda: Double) -> (beta: [Double], score: Double, l: [Double])? {
            let lambda = pow(10, logLambda)
            let a = zip(btwb, penalty).map { $0 + lambda * $1 }
            guard let l = SmallCholesky.factor(a, size: k, ridge: ridge) else { return nil }
            let beta = SmallCholesky.solve(l, size: k, btwy)
            var rss = 0.0
            for (i, b) in basis.enumerated() where w[i] > 0 {
                var f = 0.0
                for p in 0..<4 { f += b.values[p] * beta[b.first + p] }
                rss += w[i] * (y[i] - f) * (y[i] - f)
            }
            var pen = 0.0
            for i in 0..<k { for j in 0..<k { pen += beta[i] * penalty[i * k + j] * beta[j] } }
            let dev = rss + lambda * pen
            guard dev > 0 else { return nil }
            var logDet = 0.0
            for i in 0..<k { logDet += 2 * log(l[i * k + i]) }
            // −2 × restricted log-likelihood, the scale profiled out (constants dropped).
            let score = (nEff - Double(nullDim)) * log(dev) + logDet - Double(k - nullDim) * log(lambda)
            return (beta, score, l)
        }
        var best: (beta: [Double], score: Double, l: [Double], logLambda: Double)?
        for g in Self.logLambdas {
            if let r = solve(g), best == nil || r.score < best!.score { best = (r.beta, r.score, r.l, g) }
        }
        guard let best else { return nil }
        let fitted = points.map { b in (0..<4).map { b.values[$0] * best.beta[b.first + $0] }.reduce(0, +) }
        // edf = tr(A⁻¹ BᵀWB), column by column.
        var edf = 0.0
        for j in 0..<k {
            let col = (0..<k).map { btwb[$0 * k + j] }
            edf += SmallCholesky.solve(best.l, size: k, col)[j]
        }
        return (fitted, best.logLambda, edf)
    }
}
