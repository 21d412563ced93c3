#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Other lines under a line's cross-sections, modelled in each view instead of being left in
/// the residual: a neighbour 2–9 px away puts its flank under the cross-section, and since it
/// lies at another depth its flank moves differently between the views — read as part of the
/// line's own displacement, it moves the line's depth (`STEM4DLineSweepStereo.modelNeighbours`).
///
/// Each line found in a first pass is given its own profile (a Gaussian dip fitted to its mean
/// cross-section over all its points and views, each view read where the line's depth puts it)
/// and drawn into each view at its own shift; a line's depth is then fitted again on the views
/// with every other line's model taken out (one pass of backfitting).
public enum STEM4DLineNeighbours {
    /// A line's dip in the normalised views: its depth (relative contrast, positive for a dark
    /// line) and Gaussian width, px.
    public struct Profile: Sendable, Hashable {
        public var amplitude: Double
        public var width: Double
    }

    /// The Gaussian dip that best fits the mean cross-section of `curve` at depths `z` over all
    /// `views` (normalised, unsmoothed), sampled every 0.5 px to ±`reach` px; the level is the
    /// mean of the outer 1 px on both sides. Least squares in the amplitude at each width of a
    /// 0.05 px grid (0.4–4 px), the width of least misfit; nil when no dip is seen.
    public static func profile(curve: [SIMD2<Double>], z: [Double], views: [STEM4DLineView], reach: Double) -> Profile? {
        guard curve.count >= 2, !views.isEmpty, reach >= 2 else { return nil }
        let normals = STEM4DLineDepthFit.normals(curve)
        let offsets = stride(from: -reach, through: reach + 1e-9, by: 0.5).map { $0 }
        var mean = [Double](repeating: 0, count: offsets.count)
        for view in views {
            for (k, p) in curve.enumerated() {
                let c = SIMD2(p.x - z[k] * view.tx, p.y - z[k] * view.ty), n = normals[k]
                for (j, s) in offsets.enumerated() { mean[j] += Double(view.image.sample(c.x + s * n.x, c.y + s * n.y)) }
            }
        }
        let count = Double(views.count * curve.count)
        mean = mean.map { $0 / count }
        let outer = offsets.indices.filter { abs(offsets[$0]) >= reach - 1 - 1e-9 }
        let level = outer.map { mean[$0] }.reduce(0, +) / Double(outer.count)
        let dip = mean.map { level - $0 }
        var best: Profile?, bestMisfit = Double.infinity
        for w in stride(from: 0.4, through: 4.0 + 1e-9, by: 0.05) {
            var dg = 0.0, gg = 0.0
            for (j, s) in offsets.enumerated() { let g = exp(-s * s / (2 * w * w)); dg += dip[j] * g; gg += g * g }
            let a = dg / gg
            let misfit = -a * dg  // Σd² − a·Σdg, less the constant Σd²
            if a > 0 && misfit < bestMisfit { bestMisfit = misfit; best = Profile(amplitude: a, width: w) }
        }
        return best
    }

    /// The model of one line in one view: `profile` drawn along the polyline of `curve` at
    /// depths `z` as `view` sees it (each pixel at its distance to the nearest segment, within
    /// 4 widths), as a pixel map of the view's size (zero elsewhere).
    public static func render(curve: [SIMD2<Double>], z: [Double], profile: Profile, view: STEM4DLineView) -> [Float] {
        let rows = view.image.rows, cols = view.image.cols
        var out = [Float](repeating: 0, count: rows * cols)
        guard curve.count >= 2 else { return out }
        let reach = 4 * profile.width
        var near = [Double](repeating: .infinity, count: rows * cols)
        let p = curve.indices.map { SIMD2(curve[$0].x - z[$0] * view.tx, curve[$0].y - z[$0] * view.ty) }
        for k in 1..<p.count {
            let a = p[k - 1], b = p[k]
            let lx = max(0, Int((min(a.x, b.x) - reach).rounded(.down))), hx = min(cols - 1, Int((max(a.x, b.x) + reach).rounded(.up)))
            let ly = max(0, Int((min(a.y, b.y) - reach).rounded(.down))), hy = min(rows - 1, Int((max(a.y, b.y) + reach).rounded(.up)))
            guard lx <= hx, ly <= hy else { continue }
            let e = b - a, len2 = max((e * e).sum(), 1e-12)
            for y in ly...hy {
                for x in lx...hx {
                    let q = SIMD2(Double(x), Double(y)) - a
                    let t = min(1, max(0, (q * e).sum() / len2))
                    let d = q - t * e
                    near[y * cols + x] = min(near[y * cols + x], (d * d).sum())
                }
            }
        }
        let twoW2 = 2 * profile.width * profile.width
        for i in out.indices where near[i] < reach * reach {
            out[i] = Float(profile.amplitude * exp(-near[i] / twoW2))
        }
        return out
    }

    /// Whether any point of `a` at depths `za` comes within `distance` px of a point of `b` at
    /// depths `zb` as some view sees them (each point shifted by −z·t_v).
    public static func near(_ a: [SIMD2<Double>], _ za: [Double], _ b: [SIMD2<Double>], _ zb: [Double],
                            views: [STEM4DLineView], distance: Double) -> Bool {
        let d2 = distance * distance
        for v in views {
            let pb = b.indices.map { SIMD2(b[$0].x - zb[$0] * v.tx, b[$0].y - zb[$0] * v.ty) }
            for i in a.indices {
                let q = SIMD2(a[i].x - za[i] * v.tx, a[i].y - za[i] * v.ty)
                if pb.contains(where: { let d = $0 - q; return (d * d).sum() < d2 }) { return true }
            }
        }
        return false
    }
}
