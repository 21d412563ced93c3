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
    public static func smooth(_ points: [SIMD3<Double>], variance: [Double], closed: Bool) -> [SIMD3<Double>] {
        precondition(points.count == variance.count, "one variance per point")
        let n = points.count
        guard n >= 5 else { return points }
        let (p, r) = closed ? (points + points + points, variance + variance + variance) : (points, variance)
        let smoothed = filter(p, r, q: maximumLikelihoodQ(p, r), smooth: true).points
        return closed ? Array(smoothed[n..<(2 * n)]) : smoothed
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
