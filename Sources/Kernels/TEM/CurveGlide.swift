#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CurveMatching {
    /// Curve `b` against curve `a` moved along `a`'s glide direction (perpendicular to its chord):
    /// a dislocation glides rigidly across its slip band, so the same dislocation seen frames
    /// apart is the same shape shifted along that direction, however far it went.
    public struct Glide: Sendable, Equatable {
        /// Median shift of `b` from `a` along the glide direction, px (signed).
        public var shift: Double
        /// Mean |offset − shift| over the common span: how different the shapes are, px.
        public var residual: Double
        /// Common span along the chord over the shorter curve's span (0…1).
        public var overlap: Double
    }

    /// nil when the chords differ by more than `maxAngleDegrees` or the curves share no span.
    public static func glide(_ a: [TEMPoint], _ b: [TEMPoint], maxAngleDegrees: Double = 25) -> Glide? {
        guard a.count >= 2, b.count >= 2 else { return nil }
        let chordA = a[a.count - 1] - a[0], chordB = b[b.count - 1] - b[0]
        let la = TEMPolyline.norm(chordA), lb = TEMPolyline.norm(chordB)
        guard la > 1, lb > 1 else { return nil }
        let c = chordA / la
        guard abs(c.x * chordB.x + c.y * chordB.y) / lb >= cos(maxAngleDegrees * .pi / 180) else { return nil }
        let g = TEMPoint(-c.y, c.x)
        let o = a[0]
        let ta = a.map { ($0 - o).x * c.x + ($0 - o).y * c.y }, na = a.map { ($0 - o).x * g.x + ($0 - o).y * g.y }
        let tb = b.map { ($0 - o).x * c.x + ($0 - o).y * c.y }, nb = b.map { ($0 - o).x * g.x + ($0 - o).y * g.y }
        let loA = ta.min()!, hiA = ta.max()!, loB = tb.min()!, hiB = tb.max()!
        let common = min(hiA, hiB) - max(loA, loB)
        guard common > 0 else { return nil }
        let s0 = nb.reduce(0, +) / Double(nb.count) - na.reduce(0, +) / Double(na.count)
        var d: [Double] = []
        d.reserveCapacity(a.count)
        for i in a.indices {
            let t = ta[i]
            var best = Double.infinity, bestN = 0.0
            for k in 0..<(b.count - 1) {
                let t0 = tb[k], t1 = tb[k + 1]
                guard (t0 - t) * (t1 - t) <= 0, t0 != t1 else { continue }
                let n = nb[k] + (nb[k + 1] - nb[k]) * (t - t0) / (t1 - t0)
                let e = abs(n - na[i] - s0)
                if e < best { best = e; bestN = n }
            }
            if best.isFinite { d.append(bestN - na[i]) }
        }
        guard d.count >= 3 else { return nil }
        let sorted = d.sorted()
        let shift = sorted[sorted.count / 2]
        let residual = d.reduce(0) { $0 + abs($1 - shift) } / Double(d.count)
        return Glide(shift: shift, residual: residual, overlap: common / min(hiA - loA, hiB - loB))
    }
}
