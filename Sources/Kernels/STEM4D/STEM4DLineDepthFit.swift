#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Depth along a traced curve from the shifts of its cross-section between the views.
///
/// At each point, the profile across the curve (along its normal n, over a window of
/// neighbouring points) is sampled in every view where a point at the current depth z would
/// appear. At the true depth the profiles coincide; off by Δ, view v's profile is displaced
/// by Δ·(t_v·n). The displacement e_v of each view against the views' mean profile is measured
/// by one Gauss–Newton step (Σ(f_v − G)G′ / ΣG′²) and Δ is the least-squares fit of
/// e_v = c + Δ·a_v, a_v = t_v·n, over all views, iterated. Only the component of each
/// disparity along the curve's normal is used (along the curve a shift is invisible), and the
/// least squares weighs each stereo pair by how well it is posed for this direction, so a line
/// along one baseline takes its depth from the pair across it. Depths are then smoothed along
/// the curve (robust local-linear fit).
public struct STEM4DLineDepthFit: Sendable, Hashable {
    /// Half-length of the window of points pooled at each point.
    public var window = 3
    /// Sampling step and half-width of the cross-section, px.
    public var step = 0.5
    public var halfWidth: Double
    /// Iterations (the depth stays within `maxChange` of its start).
    public var iterations = 6
    /// Largest |z|, scan px.
    public var zRange: Double
    /// The default of `smoothing`.
    public static let defaultSmoothing = 6
    /// Half-length of the smoothing along the curve, points.
    public var smoothing = defaultSmoothing
    /// A point is posed when the views' spread along its normal, Σ(a_v − ā)², is at least this
    /// fraction of the largest over all directions (0.1: a single pair within ≈18° of the
    /// line's direction is not).
    public var posedFraction = 0.1
    /// Smooth the depths at the scale the data allow (`STEM4DLineDepthSmoothing`, LPA-ICI)
    /// instead of over ±`smoothing` points; false: the fixed smoothing (the method of 4 December).
    public var adaptiveSmoothing = false
    /// Measure each view's displacement with its own background level and slope across the
    /// line as nuisance terms (least squares on [G′, 1, s]): a slope differing between views
    /// correlates with the odd G′ and shifts every point of the line alike; false: against
    /// G′ alone (the method of 4 December).
    public var backgroundSlope = false
    /// Weigh every point's cross-section by the mean profile's derivative averaged over the
    /// window's points (one line, one profile) instead of each point's own: at low dose G′ of
    /// one cross-section is as much noise as signal, which inflates ΣG′² and shrinks every
    /// Gauss–Newton step towards zero (the capped, clamped iterations must undo it); with w̄,
    /// Σ(f_v − G)·w̄ / ΣG′·w̄ is hardly shrunk, at the same relative spread. Only without
    /// `backgroundSlope`; false: each point's own G′ (the method of 4 December).
    public var pooledWeights = false
    /// Other lines near this one (points, depths, Gaussian width of their dip, px): each view's
    /// displacement is measured jointly with theirs — the mean profile's derivative G′ is split
    /// into this line's part and theirs (by each part's share of a two-Gaussian model's
    /// squared derivative at every sample) and f_v − G is regressed on both, so a neighbour's
    /// flank moving between the views is not read as this line's shift
    /// (`STEM4DLineSweepStereo.modelNeighbours`). Empty: G′ alone (the method of 4 December).
    public var neighbours: [Neighbour] = []
    /// Another line near the one fitted: its points, depths and the Gaussian width of its dip
    /// in the views the fit reads, px.
    public struct Neighbour: Sendable, Hashable {
        public var points: [SIMD2<Double>]
        public var z: [Double]
        public var width: Double
        public init(points: [SIMD2<Double>], z: [Double], width: Double) { self.points = points; self.z = z; self.width = width }
    }
    /// This line's own Gaussian width, px, for the split (with `neighbours`).
    public var ownWidth = 1.0
    /// The views' mean tilt (set in `fit`).
    var meanTilt = SIMD2<Double>(0, 0)

    /// A fit with cross-sections of ±`halfWidth` px, depths within ±`zRange`.
    public init(halfWidth: Double, zRange: Double) { self.halfWidth = halfWidth; self.zRange = zRange }

    /// Refined depths of `curve` (starting from `start`), whether each point's depth is posed
    /// (see `posedFraction`; unposed points keep their start), and the RMS misfit of the views'
    /// displacements after the fit, px; `raw`: each point's own depth before the smoothing
    /// along the curve. `views` should be lightly smoothed.
    public func fit(curve: [SIMD2<Double>], start: [Double], views: [STEM4DLineView],
                    maxChange: Double) -> (z: [Double], posed: [Bool], rms: Double, raw: [Double]) {
        var fitter = self
        fitter.meanTilt = SIMD2(views.map(\.tx).reduce(0, +), views.map(\.ty).reduce(0, +)) / Double(max(1, views.count))
        return fitter.fitting(curve: curve, start: start, views: views, maxChange: maxChange)
    }

    func fitting(curve: [SIMD2<Double>], start: [Double], views: [STEM4DLineView],
                 maxChange: Double) -> (z: [Double], posed: [Bool], rms: Double, raw: [Double]) {
        let normals = Self.normals(curve)
        let spreadMax = Self.largestSpread(views)
        var posed = [Bool](repeating: false, count: curve.count)
        let offsets = stride(from: -halfWidth, through: halfWidth + 1e-9, by: step).map { $0 }
        var z = start
        var misfit = 0.0, misfitCount = 0
        // Per converged point, the variance of its depth from the regression's residuals
        // (σ_e² / Σ(a_v − ā)², σ_e² on views − 2 degrees of freedom): the noise the adaptive
        // smoothing needs, measured from the views and not from the line's shape.
        var depthVariances: [Double] = []
        for i in curve.indices {
            let lo = max(0, i - window), hi = min(curve.count - 1, i + window)
            var n = SIMD2<Double>(0, 0)
            for j in lo...hi { n += (normals[j] * normals[i]).sum() >= 0 ? normals[j] : -normals[j] }
            n /= max(1e-12, (n * n).sum().squareRoot())
            let a = views.map { $0.tx * n.x + $0.ty * n.y }
            let aMean = a.reduce(0, +) / Double(a.count)
            let aVar = a.map { ($0 - aMean) * ($0 - aMean) }.reduce(0, +)
            guard aVar > 1e-12, aVar >= posedFraction * spreadMax else { continue }
            posed[i] = true
            for _ in 0..<iterations {
                // Each neighbour at its own depth along the start's slope (an inclined line's
                // depth changes across the window; one common depth would flatten its ends).
                let e = displacements(curve: curve, range: lo...hi, normal: n, z: (lo...hi).map { start[$0] + z[i] - start[i] },
                                      offsets: offsets, views: views)
                guard let e else { break }
                let eMean = e.reduce(0, +) / Double(e.count)
                var delta = zip(e, a).map { ($0 - eMean) * ($1 - aMean) }.reduce(0, +) / aVar
                delta = min(max(delta, -maxChange), maxChange)
                // A sub-step refinement of the start (the sweep's resolution): at low dose a
                // Gauss–Newton step on noise must not walk the depth away from it.
                z[i] = min(max(z[i] + delta, start[i] - maxChange, -zRange), start[i] + maxChange, zRange)
                if abs(delta) < 0.01 {
                    var ss = 0.0
                    for (ev, av) in zip(e, a) { let r = ev - eMean - delta * (av - aMean); misfit += r * r; misfitCount += 1; ss += r * r }
                    if e.count > 2 { depthVariances.append(ss / Double(e.count - 2) / aVar) }
                    break
                }
            }
        }
        let pointSigma = depthVariances.isEmpty ? nil : Self.median(depthVariances).squareRoot()
        let smooth = adaptiveSmoothing ? STEM4DLineDepthSmoothing.smoothed(z, pooled: window, sigma: pointSigma, fallbackHalf: smoothing)
                                       : Self.smoothed(z, half: smoothing)
        return (smooth, posed, misfitCount > 0 ? (misfit / Double(misfitCount)).squareRoot() : 0, z)
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The largest eigenvalue of Σ_v (t_v − t̄)(t_v − t̄)ᵀ: the views' spread along the best
    /// direction.
    static func largestSpread(_ views: [STEM4DLineView]) -> Double {
        let mx = views.map(\.tx).reduce(0, +) / Double(views.count), my = views.map(\.ty).reduce(0, +) / Double(views.count)
        var cxx = 0.0, cxy = 0.0, cyy = 0.0
        for v in views { cxx += (v.tx - mx) * (v.tx - mx); cxy += (v.tx - mx) * (v.ty - my); cyy += (v.ty - my) * (v.ty - my) }
        let m = (cxx + cyy) / 2, d = (cxx - cyy) / 2
        return m + (d * d + cxy * cxy).squareRoot()
    }

    /// Each view's displacement e_v (px, along `normal`) against the mean profile of the views
    /// at depths `z` (one per point), over the points `range` of `curve`; nil without contrast.
    func displacements(curve: [SIMD2<Double>], range: ClosedRange<Int>, normal n: SIMD2<Double>, z: [Double],
                       offsets: [Double], views: [STEM4DLineView]) -> [Double]? {
        let m = offsets.count
        var profiles = [[Double]](repeating: [Double](repeating: 0, count: range.count * m), count: views.count)
        for (v, view) in views.enumerated() {
            for (r, j) in range.enumerated() {
                let px = curve[j].x - z[r] * view.tx, py = curve[j].y - z[r] * view.ty
                for (k, s) in offsets.enumerated() {
                    profiles[v][r * m + k] = Double(view.image.sample(px + s * n.x, py + s * n.y))
                }
            }
        }
        let count = Double(views.count)
        var mean = [Double](repeating: 0, count: range.count * m)
        for p in profiles { for i in mean.indices { mean[i] += p[i] / count } }
        var gradient = [Double](repeating: 0, count: mean.count)
        var energy = 0.0
        for r in 0..<range.count {
            for k in 1..<(m - 1) {
                let g = (mean[r * m + k + 1] - mean[r * m + k - 1]) / (2 * step)
                gradient[r * m + k] = g
                energy += g * g
            }
        }
        guard energy > 0 else { return nil }
        if pooledWeights && !backgroundSlope {
            var w = [Double](repeating: 0, count: m)
            for r in 0..<range.count { for k in 1..<(m - 1) { w[k] += gradient[r * m + k] / Double(range.count) } }
            var cross = 0.0
            for r in 0..<range.count { for k in 1..<(m - 1) { cross += gradient[r * m + k] * w[k] } }
            guard cross > 0 else { return nil }
            return profiles.map { p in
                var sum = 0.0
                for r in 0..<range.count { for k in 1..<(m - 1) { sum += (p[r * m + k] - mean[r * m + k]) * w[k] } }
                return sum / cross
            }
        }
        if !neighbours.isEmpty && !backgroundSlope, let share = neighbourShare(curve: curve, range: range, normal: n, z: z, offsets: offsets) {
            // f_v − G ≈ e_v·G′(1 − π) + β_v·G′π, π the neighbours' share at each sample.
            var a11 = 0.0, a12 = 0.0, a22 = 0.0
            for i in mean.indices { let g = gradient[i], p = share[i]; a11 += g * g * (1 - p) * (1 - p); a12 += g * g * (1 - p) * p; a22 += g * g * p * p }
            let det = a11 * a22 - a12 * a12
            if det > 1e-12 * max(1e-300, a11 * a22) && a22 > 1e-9 * a11 {
                return profiles.map { p in
                    var b1 = 0.0, b2 = 0.0
                    for i in mean.indices { let d = (p[i] - mean[i]) * gradient[i]; b1 += d * (1 - share[i]); b2 += d * share[i] }
                    return (a22 * b1 - a12 * b2) / det
                }
            }
        }
        // f_v ≈ G(s + e_v) ≈ G + e_v·G′.
        guard backgroundSlope else {
            return profiles.map { p in zip(p, zip(mean, gradient)).map { ($0 - $1.0) * $1.1 }.reduce(0, +) / energy }
        }
        // f_v − G ≈ e_v·G′ + b₀ + b₁·s: the normal equations of the three, over the samples
        // where G′ is measured; e_v is the first coefficient.
        var a = [Double](repeating: 0, count: 9)
        for r in 0..<range.count {
            for k in 1..<(m - 1) {
                let x = [gradient[r * m + k], 1, offsets[k]]
                for u in 0..<3 { for v in 0..<3 { a[u * 3 + v] += x[u] * x[v] } }
            }
        }
        guard let inverse = STEM4DTraceDepthBreaks.inverse(a, 3) else { return nil }
        return profiles.map { p in
            var b = [0.0, 0.0, 0.0]
            for r in 0..<range.count {
                for k in 1..<(m - 1) {
                    let i = r * m + k, d = p[i] - mean[i]
                    b[0] += gradient[i] * d; b[1] += d; b[2] += offsets[k] * d
                }
            }
            return inverse[0] * b[0] + inverse[1] * b[1] + inverse[2] * b[2]
        }
    }

    /// Per sample of the window (row-major as in `displacements`), the neighbours' share of the
    /// squared derivative of a model of the cross-section: this line a Gaussian dip of
    /// `ownWidth` at offset 0, each neighbour one of its width where it crosses the row (in the
    /// views' mean frame: its offset along the normal, less its depth difference times the
    /// views' mean shift); nil when no neighbour crosses the window.
    func neighbourShare(curve: [SIMD2<Double>], range: ClosedRange<Int>, normal n: SIMD2<Double>, z: [Double], offsets: [Double]) -> [Double]? {
        let m = offsets.count
        var share = [Double](repeating: 0, count: range.count * m)
        let tangent = SIMD2(n.y, -n.x)
        func slope2(_ s: Double, _ w: Double) -> Double { let u = s / w; return u * u * exp(-u * u) / (w * w) }
        var any = false
        for (r, j) in range.enumerated() {
            let c = curve[j]
            var crossings: [(s: Double, w: Double)] = []
            for o in neighbours {
                var best = Double.infinity, bestS = 0.0
                for (k, q) in o.points.enumerated() {
                    let d = q - c, along = abs((d * tangent).sum()), across = (d * n).sum() - (o.z[k] - z[r]) * meanShift(n)
                    if along < best && abs(across) <= offsets[m - 1] + 3 * o.width { best = along; bestS = across }
                }
                if best <= 1.5 { crossings.append((bestS, o.width)) }
            }
            guard !crossings.isEmpty else { continue }
            any = true
            for (k, s) in offsets.enumerated() {
                let own = slope2(s, ownWidth)
                let others = crossings.map { slope2(s - $0.s, $0.w) }.reduce(0, +)
                share[r * m + k] = own + others > 0 ? others / (own + others) : 0
            }
        }
        return any ? share : nil
    }

    /// The views' mean shift per unit depth along `n` (set by `fit` for the current views).
    func meanShift(_ n: SIMD2<Double>) -> Double { meanTilt.x * n.x + meanTilt.y * n.y }

    /// Unit normals of a polyline (tangent from the neighbours two points away).
    static func normals(_ curve: [SIMD2<Double>]) -> [SIMD2<Double>] {
        curve.indices.map { i in
            let d = curve[min(curve.count - 1, i + 2)] - curve[max(0, i - 2)]
            let l = (d * d).sum().squareRoot()
            return l > 0 ? SIMD2(-d.y / l, d.x / l) : SIMD2(1, 0)
        }
    }

    /// Robust local-linear smoothing along the curve: at each point a straight line fitted to
    /// the depths of ±`half` points, once by least squares and once more with bisquare weights
    /// of the residuals (scale 4.685 × 1.4826 × MAD). Unlike a running mean or median it does
    /// not pull the ends of an inclined line towards its middle, and a few wild points do not
    /// move it.
    static func smoothed(_ v: [Double], half: Int) -> [Double] {
        guard half > 0, v.count > 2 else { return v }
        let first = v.indices.map { localLinear(v, at: $0, half: half, weights: nil) }
        let residuals = v.indices.map { abs(v[$0] - first[$0]) }.sorted()
        let scale = 4.685 * 1.4826 * residuals[residuals.count / 2]
        guard scale > 0 else { return first }
        let weights = v.indices.map { i -> Double in
            let u = (v[i] - first[i]) / scale
            return abs(u) < 1 ? (1 - u * u) * (1 - u * u) : 0
        }
        return v.indices.map { localLinear(v, at: $0, half: half, weights: weights) }
    }

    /// The weighted least-squares line through v[i − half … i + half] evaluated at i.
    static func localLinear(_ v: [Double], at i: Int, half: Int, weights: [Double]?) -> Double {
        let lo = max(0, i - half), hi = min(v.count - 1, i + half)
        var sw = 0.0, st = 0.0, sv = 0.0, stt = 0.0, stv = 0.0
        for j in lo...hi {
            let w = weights?[j] ?? 1, t = Double(j - i)
            sw += w; st += w * t; sv += w * v[j]; stt += w * t * t; stv += w * t * v[j]
        }
        guard sw > 0 else { return v[i] }
        let det = sw * stt - st * st
        guard abs(det) > 1e-12 else { return sv / sw }
        return (stt * sv - st * stv) / det
    }
}
