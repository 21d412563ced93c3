#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sub-pixel shift of one particle between two views by weighted least-squares image
/// alignment (Lucas–Kanade with a gain and an offset).
///
/// A blob's centre from the peak of its filter response is only as precise as three samples
/// of that response allow; the depth, though, comes from the shift of the particle between
/// views (at φ = 8°, 0.07 px of shift is 0.5 px of depth). Aligning the view's pixels around
/// the particle with the reference view's — every pixel weighted by a Gaussian window of the
/// particle's radius — uses all of its pixels, as a matched filter does. Gain and offset
/// absorb the different brightness of the two detectors.
public enum STEM4DParticleAlignment {
    /// Smoothing of the views before alignment, px (both views alike, so shifts are unbiased).
    public static let smoothingSigma = 1.0

    /// The shift (dx, dy) that carries the patch of `reference` around (`x`, `y`) onto `view`,
    /// starting from `initial`; nil when the fit is singular or wanders more than `maxChange`
    /// px from `initial` (a neighbour pulled it away, or there is no signal).
    public static func shift(reference: STEM4DImage, view: STEM4DImage, x: Double, y: Double, radius: Double,
                             initial: (Double, Double), maxChange: Double = 1.5) -> (Double, Double)? {
        let sigma = max(radius, 1.5)
        let reach = Int((2 * sigma).rounded(.up))
        /// Integer pixels within `reach` of the window centre, the midpoint between the
        /// particle in the reference, (x, y), and in the view, (x, y) + s; Gaussian weights.
        func window(_ s: (Double, Double)) -> [(u: Double, v: Double, w: Double)] {
            let mx = x + s.0 / 2, my = y + s.1 / 2
            let cx = Int(mx.rounded()), cy = Int(my.rounded())
            var out: [(u: Double, v: Double, w: Double)] = []
            for v in (cy - reach)...(cy + reach) where v >= 0 && v < reference.rows {
                for u in (cx - reach)...(cx + reach) where u >= 0 && u < reference.cols {
                    let d2 = (Double(u) - mx) * (Double(u) - mx) + (Double(v) - my) * (Double(v) - my)
                    guard d2 <= Double(reach * reach) else { continue }
                    out.append((Double(u), Double(v), exp(-d2 / (2 * sigma * sigma))))
                }
            }
            return out
        }
        // Both views are sampled half a shift from the reference centre, in opposite
        // directions: their interpolation smooths alike, so it does not bias the shift.
        var s = initial, gain = 1.0
        for _ in 0..<12 {
            // Normal equations of Σ w (I(u + s/2) + ½(∇I + a∇T)·δ − a T(u − s/2) − c)² over δx, δy, a, c.
            let samples = window(s)
            guard samples.count >= 9 else { return nil }
            var m = [Double](repeating: 0, count: 16), b = [Double](repeating: 0, count: 4)
            for p in samples {
                let qx = p.u + s.0 / 2, qy = p.v + s.1 / 2, rx = p.u - s.0 / 2, ry = p.v - s.1 / 2
                let i = Double(view.sample(qx, qy)), t = Double(reference.sample(rx, ry))
                let gx = Double(view.sample(qx + 0.5, qy) - view.sample(qx - 0.5, qy))
                    + gain * Double(reference.sample(rx + 0.5, ry) - reference.sample(rx - 0.5, ry))
                let gy = Double(view.sample(qx, qy + 0.5) - view.sample(qx, qy - 0.5))
                    + gain * Double(reference.sample(rx, ry + 0.5) - reference.sample(rx, ry - 0.5))
                let row = [gx / 2, gy / 2, -t, -1.0]
                for r in 0..<4 {
                    b[r] -= p.w * row[r] * i
                    for c in 0..<4 { m[r * 4 + c] += p.w * row[r] * row[c] }
                }
            }
            guard let d = solve4(m, b), d[2] > 0 else { return nil }
            s = (s.0 + d[0], s.1 + d[1])
            gain = d[2]
            guard abs(s.0 - initial.0) <= maxChange, abs(s.1 - initial.1) <= maxChange else { return nil }
            if d[0] * d[0] + d[1] * d[1] < 1e-8 { break }
        }
        return s
    }

    /// Gaussian elimination with partial pivoting of a 4×4 system (row-major `m`).
    static func solve4(_ m: [Double], _ b: [Double]) -> [Double]? {
        var a = m, r = b
        for col in 0..<4 {
            guard let piv = (col..<4).max(by: { abs(a[$0 * 4 + col]) < abs(a[$1 * 4 + col]) }), abs(a[piv * 4 + col]) > 1e-12 else { return nil }
            if piv != col {
                for c in 0..<4 { a.swapAt(piv * 4 + c, col * 4 + c) }
                r.swapAt(piv, col)
            }
            for row in (col + 1)..<4 {
                let f = a[row * 4 + col] / a[col * 4 + col]
                for c in col..<4 { a[row * 4 + c] -= f * a[col * 4 + c] }
                r[row] -= f * r[col]
            }
        }
        var x = [Double](repeating: 0, count: 4)
        for row in stride(from: 3, through: 0, by: -1) {
            var acc = r[row]
            for c in (row + 1)..<4 { acc -= a[row * 4 + c] * x[c] }
            x[row] = acc / a[row * 4 + row]
        }
        return x
    }
}
