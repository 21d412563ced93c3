#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a residue-traced line's cell centres are smoothed along its length.
///
/// A line's traced path is the chain of cells where the denoised phase winds; the noise moves
/// that zero of the field by δρ/|∇ρ| (issue 12, thirteenth session: in a deep core dip the
/// gradient at the zero is small and the path runs 1.5–2.3 voxels beside the truth over 2–3
/// voxel stretches). Each cell's position noise is measured from the volume itself — the
/// smoothed field's noise σ_s over the Jacobian of the field across the line,
/// |∇Re ρ × ∇Im ρ| (`precisionMap`) — and the path is smoothed by a Rauch–Tung–Striebel
/// smoother with those variances, whose curvature noise is the maximum-likelihood value for the
/// piece: no smoothing width is set by hand.
public enum BCDILineSmoothing: String, CaseIterable, Hashable, Sendable {
    /// Two passes of a 1-2-1 average (the finder before issue 12's fourteenth session).
    case off
    /// The RTS smoother with each cell's variance from the measured position noise.
    case residueNoise = "residue_noise"
    /// `residueNoise`, then the blur's own pull undone on closed lines (`unshrink`): a Gaussian
    /// blur of width σ moves a curved dislocation line towards its centre of curvature (a loop
    /// of radius R shrinks to √(R² − kσ²), k ≈ 4 at R ≈ 4σ), and the smoother, which follows the
    /// field's vortex, keeps that bias. σ is the
    /// blur still in the field the residues were found in (`BCDILineOptions.fieldBlur`: the
    /// measured blur the deconvolution left, with the denoising width), not a width set by hand.
    case residueNoiseBlur = "residue_noise_blur"
    /// `residueNoiseBlur`, with the sideways move the blur gave the lines under the field's
    /// phase ramp undone first, on every line (`BCDIRampShift`): σ² g × t̂, σ² the blur left
    /// when the ramp was still in the field, g the measured ramp, t̂ the line's winding tangent.
    case residueNoiseBlurRamp = "residue_noise_blur_ramp"
    /// `residueNoiseBlurRamp`, with a closed line moved out as a whole (`BCDILoopUnshrink`):
    /// its radius from the area it encloses, every point by the same shift from its centroid,
    /// and a closed line that is not round (a joined dipole pair) left alone.
    case residueNoiseBlurLoop = "residue_noise_blur_loop"

    /// Whether the mode smooths by the measured position noise (and so needs the precision map).
    public var usesPrecision: Bool { self != .off }

    /// Whether the mode undoes the blur's pull on curved lines (`unshrink`).
    public var undoesBlur: Bool { self == .residueNoiseBlur || self == .residueNoiseBlurRamp || self == .residueNoiseBlurLoop }

    /// Whether the mode undoes the ramp's sideways move (`BCDIRampShift`).
    public var undoesRampShift: Bool { self == .residueNoiseBlurRamp || self == .residueNoiseBlurLoop }

    /// Whether the mode undoes the blur's pull on a closed line as a whole (`BCDILoopUnshrink`)
    /// rather than point by point (`unshrink`).
    public var unshrinksWholeLoops: Bool { self == .residueNoiseBlurLoop }

    /// Variance (voxel², per axis) of a cell centre as the position of the line through it,
    /// beyond the noise: the line pierces the cell anywhere within it.
    public static let cellVariance = 1.0 / 12

    /// Per voxel, the precision (1/voxel²) with which a zero of the field `re + i·im` would be
    /// placed there: |∇re × ∇im| / noise² (central differences; one-sided at the array's
    /// border). For a vortex ρ ≈ a·(u + i·v) across the line it is a²/σ², the inverse of the
    /// zero's positional variance per transverse axis. `noise`: σ of each component of the field
    /// (the smoothed field's, σ / `BCDIComplexSmoothing.noiseReduction`).
    public static func precisionMap(re: [Float], im: [Float], shape: BCDIShape, noise: Double) -> [Float] {
        precondition(re.count == shape.count && im.count == shape.count, "buffers do not match shape \(shape)")
        var out = [Float](repeating: 0, count: shape.count)
        guard noise > 0 else { return out }
        let scale = Float(1 / (noise * noise))
        let (nx, ny, nz) = (shape.nx, shape.ny, shape.nz)
        let sy = nx, sz = shape.planeCount
        re.withUnsafeBufferPointer { r in
            im.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    for z in 0..<nz {
                        let (z0, z1) = (max(0, z - 1), min(nz - 1, z + 1))
                        let hz = Float(1) / Float(max(1, z1 - z0))
                        for y in 0..<ny {
                            let (y0, y1) = (max(0, y - 1), min(ny - 1, y + 1))
                            let hy = Float(1) / Float(max(1, y1 - y0))
                            let row = z * sz + y * sy
                            for x in 0..<nx {
                                let (x0, x1) = (max(0, x - 1), min(nx - 1, x + 1))
                                let hx = Float(1) / Float(max(1, x1 - x0))
                                let i = row + x
                                let a = SIMD3<Float>((r[row + x1] - r[row + x0]) * hx,
                                                     (r[z * sz + y1 * sy + x] - r[z * sz + y0 * sy + x]) * hy,
                                                     (r[z1 * sz + y * sy + x] - r[z0 * sz + y * sy + x]) * hz)
                                let b = SIMD3<Float>((m[row + x1] - m[row + x0]) * hx,
                                                     (m[z * sz + y1 * sy + x] - m[z * sz + y0 * sy + x]) * hy,
                                                     (m[z1 * sz + y * sy + x] - m[z0 * sz + y * sy + x]) * hz)
                                let c = SIMD3<Float>(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
                                o[i] = (c * c).sum().squareRoot() * scale
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Variance (voxel², per axis) of the cell whose lowest corner is `cell`: `cellVariance`
    /// plus the inverse of the mean precision over its eight corners (a zero inside the cell is
    /// placed with the Jacobian there, which varies slowly across one cell).
    static func cellVariance(_ cell: SIMD3<Int>, precision: [Float], shape: BCDIShape) -> Double {
        var sum = 0.0, n = 0
        for d in 0..<8 {
            let p = cell &+ SIMD3(d & 1, (d >> 1) & 1, d >> 2)
            guard shape.contains(x: p.x, y: p.y, z: p.z) else { continue }
            sum += Double(precision[shape.index(x: p.x, y: p.y, z: p.z)])
            n += 1
        }
        let mean = n > 0 ? sum / Double(n) : 0
        // A cell with no measurable gradient tells nothing of where the line runs in it.
        return cellVariance + (mean > 0 ? 1 / mean : 1e6)
    }

    /// `points` (one per unit step along the line) smoothed with per-point variances
    /// `variance`: a constant-velocity model along the line (white acceleration of variance q
    /// per step) with q the maximum-likelihood value over the points (golden-section search in
    /// log q), then the RTS smoother. A closed line is unrolled once each way so that its
    /// start is smoothed like its middle. Fewer than five points are returned as they are.
    /// `blur` > 0: a closed smoothed line then moved back out by what a Gaussian blur of that
    /// width pulled it in (`unshrink`). `rampPull` and `sense` ≠ 0: before that, the smoothed
    /// line (open or closed) moved back by the ramp's sideways shift (`BCDIRampShift.undo`).
    /// `wholeLoop`: a closed line is unshrunk as a whole when it is round (`BCDILoopUnshrink.apply`)
    /// instead of point by point.
    public static func smooth(_ points: [SIMD3<Double>], variance: [Double], closed: Bool, blur: Double = 0,
                              rampPull: SIMD3<Double> = .zero, sense: Int = 0, wholeLoop: Bool = false) -> [SIMD3<Double>] {
        precondition(points.count == variance.count, "one variance per point")
        let n = points.count
        guard n >= 5 else { return points }
        let (p, r) = closed ? (points + points + points, variance + variance + variance) : (points, variance)
        let smoothed = filter(p, r, q: maximumLikelihoodQ(p, r), smooth: true).points
        var line = closed ? Array(smoothed[n..<(2 * n)]) : smoothed
        // A translation across the line, not a curvature term: it applies to open lines too.
        line = BCDIRampShift.undo(line, closed: closed, sense: sense, pull: rampPull)
        // Closed lines only: on an open line the traced curvature is mostly its ends bending at
        // the surface, not the blur's pull (the open lines of `ramp-blur` 301 lost 0.56 of
        // precision over 34 draws when they were moved too).
        guard blur > 0 && closed else { return line }
        return wholeLoop ? BCDILoopUnshrink.apply(line, blur: blur) : unshrink(line, closed: closed, blur: blur)
    }

    /// `points` moved away from their centre of curvature by what a Gaussian blur of width
    /// `blur` moved the field's zero line towards it. Under blur (the heat flow to time σ²/2)
    /// the zero line of a field with a symmetric core moves along its normal at its curvature κ
    /// (curve-shortening flow: a loop's R² falls by σ²). A dislocation's phase is not symmetric
    /// about a curved line: it is the solid angle the line subtends (Burgers: φ = Q·b Ω/4π),
    /// which near the line is the winding angle plus κ·d·sin θ·ln(8/(κ d)) — the logarithm of
    /// a ring's field near its wire — and that term, cut off at the core's size (the blur
    /// itself when the core is unresolved), adds ln(8R/σ) to the rate: R² falls by kσ²,
    /// k = 1 + ln(8R/σ) (a ring of radius 4 and 6 with the solid-angle phase, a Gaussian core
    /// dip of width w, blurred by σ = 0.5–1.5: k = 3.8–4.7 measured, 1 + ln(8R/√(w² + σ²))
    /// within 0.2; a symmetric core: k = 0.8–1.1). Undone locally: R' = √(R² + kσ²), a shift
    /// of kσ²κ / (1 + √(1 + kσ²κ²)), none on a straight line.
    ///
    /// κ is the curvature of the circle through the points πσ of arc length either side: the
    /// blur passes the line's course down to wavelengths of about 2πσ (its transfer is e^(−1/2)
    /// there), so a traced line that bends faster bends by its noise, which this inverse flow
    /// would amplify (measured on the three nearest points, a `random` draw lost 0.1–0.2 of
    /// its precision). An open line's points within πσ of an end move away from the nearest
    /// measured circle's centre by its shift; a closed line shorter than 6πσ takes its thirds.
    public static func unshrink(_ points: [SIMD3<Double>], closed: Bool, blur: Double) -> [SIMD3<Double>] {
        let n = points.count
        guard blur > 0, n >= 3 else { return points }
        // Arc length at each point, and the line's whole length (with the closing segment).
        var arc = [Double](repeating: 0, count: n)
        for i in 1..<n { arc[i] = arc[i - 1] + BCDIVec.length(points[i] - points[i - 1]) }
        let total = closed ? arc[n - 1] + BCDIVec.length(points[0] - points[n - 1]) : arc[n - 1]
        let span = min(Double.pi * blur, closed ? total / 3 : total)
        guard span > 0 else { return points }
        // The point at arc length t (wrapped on a closed line; nil beyond an open line's ends).
        func point(at t: Double) -> SIMD3<Double>? {
            var t = t
            if closed { t = t - (t / total).rounded(.down) * total } else if t < 0 || t > total { return nil }
            var lo = 0, hi = n - 1
            if t >= arc[n - 1] {
                // On the closing segment of a closed line.
                let l = total - arc[n - 1]
                return l > 0 ? points[n - 1] + (points[0] - points[n - 1]) * ((t - arc[n - 1]) / l) : points[n - 1]
            }
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if arc[mid] <= t { lo = mid } else { hi = mid }
            }
            let l = arc[hi] - arc[lo]
            return l > 0 ? points[lo] + (points[hi] - points[lo]) * ((t - arc[lo]) / l) : points[lo]
        }
        let s2 = blur * blur
        // Per point with a measured circle: its centre (absolute) and the shift.
        var circle = [(centre: SIMD3<Double>, shift: Double)?](repeating: nil, count: n)
        var measured = [Bool](repeating: false, count: n)
        for i in 0..<n {
            guard let a = point(at: arc[i] - span), let c = point(at: arc[i] + span) else { continue }
            measured[i] = true
            let b = points[i]
            let u = a - b, v = c - b
            let w = SIMD3(u.y * v.z - u.z * v.y, u.z * v.x - u.x * v.z, u.x * v.y - u.y * v.x)
            let area2 = (w * w).sum()
            let (uu, vv) = ((u * u).sum(), (v * v).sum())
            guard area2 > 1e-12, uu > 0, vv > 0 else { continue }
            // Circumcentre relative to b: ((|u|² v − |v|² u) × w) / (2 |w|²).
            let t = uu * v - vv * u
            let centre = SIMD3(t.y * w.z - t.z * w.y, t.z * w.x - t.x * w.z, t.x * w.y - t.y * w.x) / (2 * area2)
            let radius = (centre * centre).sum().squareRoot()
            guard radius > 0 else { continue }
            let kappa = 1 / radius
            let rate = 1 + max(0, log(8 * radius / blur))
            let d = rate * s2 * kappa / (1 + (1 + rate * s2 * kappa * kappa).squareRoot())
            circle[i] = (b + centre, d)
        }
        if !closed, let first = measured.firstIndex(of: true), let last = measured.lastIndex(of: true) {
            for i in 0..<first { circle[i] = circle[first] }
            for i in (last + 1)..<n { circle[i] = circle[last] }
        }
        return zip(points, circle).map { p, c in
            guard let c else { return p }
            let away = p - c.centre
            let r = (away * away).sum().squareRoot()
            return r > 0 ? p + away / r * c.shift : p
        }
    }

    /// The curvature noise q (white acceleration per step) that maximises the innovations'
    /// likelihood of `p` with variances `r`: golden-section search in log q over 1e-6…10.
    static func maximumLikelihoodQ(_ p: [SIMD3<Double>], _ r: [Double]) -> Double {
        // log-likelihood is smooth and unimodal enough in log q for a golden-section search
        var lo = log(1e-6), hi = log(10.0)
        let g = (5.0.squareRoot() - 1) / 2
        var a = hi - g * (hi - lo), b = lo + g * (hi - lo)
        var fa = filter(p, r, q: exp(a), smooth: false).logLikelihood, fb = filter(p, r, q: exp(b), smooth: false).logLikelihood
        for _ in 0..<40 {
            if fa > fb {
                hi = b; b = a; fb = fa
                a = hi - g * (hi - lo)
                fa = filter(p, r, q: exp(a), smooth: false).logLikelihood
            } else {
                lo = a; a = b; fa = fb
                b = lo + g * (hi - lo)
                fb = filter(p, r, q: exp(b), smooth: false).logLikelihood
            }
        }
        return exp((lo + hi) / 2)
    }

    /// The Kalman filter over `p` (three independent axes sharing the model) with the
    /// log-likelihood of its innovations (the first two left out: they fix position and
    /// velocity), and with `smooth` the RTS pass back.
    static func filter(_ p: [SIMD3<Double>], _ r: [Double], q: Double, smooth: Bool) -> (points: [SIMD3<Double>], logLikelihood: Double) {
        let n = p.count
        // State per axis (position, velocity); covariance shared by the axes (same R, same model).
        var xs = [SIMD3<Double>](repeating: .zero, count: n), vs = xs
        var pf = [SIMD3<Double>](repeating: .zero, count: n) // filtered covariance (pp, pv, vv)
        var pp = [SIMD3<Double>](repeating: .zero, count: n) // predicted covariance
        var xp = [SIMD3<Double>](repeating: .zero, count: n), vp = xp
        var ll = 0.0
        // Continuous white acceleration over one step.
        let (q11, q12, q22) = (q / 3, q / 2, q)
        var x = p[0], v = SIMD3<Double>.zero
        var c = SIMD3(r[0], 0, 1) // velocity unknown to a step (|v| ≤ 1 per axis)
        xs[0] = x; vs[0] = v; pf[0] = c; xp[0] = x; vp[0] = v; pp[0] = c
        for k in 1..<n {
            // Predict.
            let x1 = x + v, v1 = v
            let c1 = SIMD3(c.x + 2 * c.y + c.z + q11, c.y + c.z + q12, c.z + q22)
            xp[k] = x1; vp[k] = v1; pp[k] = c1
            // Update.
            let s = c1.x + r[k]
            let e = p[k] - x1
            if k >= 2 { ll += -1.5 * log(s) - 0.5 * (e * e).sum() / s }
            let (kp, kv) = (c1.x / s, c1.y / s)
            x = x1 + kp * e
            v = v1 + kv * e
            c = SIMD3(c1.x - kp * c1.x, c1.y - kp * c1.y, c1.z - kv * c1.y)
            xs[k] = x; vs[k] = v; pf[k] = c
        }
        guard smooth else { return ([], ll) }
        var out = xs
        var xn = xs[n - 1], vn = vs[n - 1]
        for k in stride(from: n - 2, through: 0, by: -1) {
            // Gain G = P_f F' P_p⁻¹ (2×2), F = [[1, 1], [0, 1]].
            let f = pf[k], c1 = pp[k + 1]
            let (a11, a12, a21, a22) = (f.x + f.y, f.y, f.y + f.z, f.z) // P_f F'
            let det = c1.x * c1.z - c1.y * c1.y
            guard det > 0 else { xn = xs[k]; vn = vs[k]; out[k] = xn; continue }
            let (i11, i12, i22) = (c1.z / det, -c1.y / det, c1.x / det)
            let (g11, g12) = (a11 * i11 + a12 * i12, a11 * i12 + a12 * i22)
            let (g21, g22) = (a21 * i11 + a22 * i12, a21 * i12 + a22 * i22)
            let (dx, dv) = (xn - xp[k + 1], vn - vp[k + 1])
            xn = xs[k] + g11 * dx + g12 * dv
            vn = vs[k] + g21 * dx + g22 * dv
            out[k] = xn
        }
        return (out, ll)
    }
}
