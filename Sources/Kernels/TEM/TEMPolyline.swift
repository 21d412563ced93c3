#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 2D point `[x, y]` in pixels: x the column, y the row, origin at the centre of the top-left
/// pixel (INTERFACE.md). `SIMD2` encodes as a two-element JSON array, which is the stored form.
public typealias TEMPoint = SIMD2<Double>

/// Polyline helpers shared by the generator, the detector, the tracker and the evaluation.
public enum TEMPolyline {
    /// Total arc length.
    public static func length(_ p: [TEMPoint]) -> Double {
        guard p.count > 1 else { return 0 }
        var s = 0.0
        for i in 1..<p.count { s += dist(p[i], p[i - 1]) }
        return s
    }

    /// Mean of the points.
    public static func centroid(_ p: [TEMPoint]) -> TEMPoint {
        guard !p.isEmpty else { return .zero }
        var c = TEMPoint.zero
        for q in p { c += q }
        return c / Double(p.count)
    }

    /// `count` points equally spaced in arc length from the first to the last point.
    public static func resample(_ p: [TEMPoint], count: Int) -> [TEMPoint] {
        guard let first = p.first, count > 0 else { return [] }
        if count == 1 { return [first] }
        let total = length(p)
        guard total > 0 else { return Array(repeating: first, count: count) }
        return resample(p, spacing: total / Double(count - 1), count: count)
    }

    /// Points every `spacing` px of arc length (the last point is always included).
    public static func resample(_ p: [TEMPoint], spacing: Double) -> [TEMPoint] {
        guard p.count > 1, spacing > 0 else { return p }
        let n = max(2, Int((length(p) / spacing).rounded()) + 1)
        return resample(p, count: n)
    }

    private static func resample(_ p: [TEMPoint], spacing: Double, count: Int) -> [TEMPoint] {
        var out = [TEMPoint]()
        out.reserveCapacity(count)
        out.append(p[0])
        var seg = 1
        var segStart = 0.0 // arc length at p[seg-1]
        var segLen = dist(p[1], p[0])
        for k in 1..<(count - 1) {
            let s = Double(k) * spacing
            while seg < p.count - 1 && segStart + segLen < s {
                segStart += segLen
                seg += 1
                segLen = dist(p[seg], p[seg - 1])
            }
            let t = segLen > 0 ? min(1, max(0, (s - segStart) / segLen)) : 0
            out.append(p[seg - 1] + t * (p[seg] - p[seg - 1]))
        }
        out.append(p[p.count - 1])
        return out
    }

    /// Unsigned curvature (1/px) at each point of a polyline sampled about every px, from the
    /// turning angle over a stencil of ±`halfWindow` samples so pixel noise does not dominate.
    public static func curvature(_ p: [TEMPoint], halfWindow: Int = 3) -> [Double] {
        let n = p.count
        guard n >= 3 else { return Array(repeating: 0, count: n) }
        let h = max(1, min(halfWindow, (n - 1) / 2))
        var k = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let a = max(0, i - h), c = min(n - 1, i + h)
            guard c - a >= 2 else { continue }
            let b = (a + c) / 2
            let u = p[b] - p[a], v = p[c] - p[b]
            let lu = norm(u), lv = norm(v)
            guard lu > 0, lv > 0 else { continue }
            let cross = u.x * v.y - u.y * v.x
            let dot = u.x * v.x + u.y * v.y
            k[i] = abs(atan2(cross, dot)) / (0.5 * (lu + lv))
        }
        return k
    }

    @inline(__always) public static func dist(_ a: TEMPoint, _ b: TEMPoint) -> Double {
        let d = a - b
        return (d.x * d.x + d.y * d.y).squareRoot()
    }

    @inline(__always) public static func norm(_ a: TEMPoint) -> Double {
        (a.x * a.x + a.y * a.y).squareRoot()
    }

    /// Distance from `q` to the segment `a`–`b`.
    @inline(__always) public static func segmentDistance(_ q: TEMPoint, _ a: TEMPoint, _ b: TEMPoint) -> Double {
        let ab = b - a
        let l2 = ab.x * ab.x + ab.y * ab.y
        var t = l2 > 0 ? ((q - a).x * ab.x + (q - a).y * ab.y) / l2 : 0
        t = min(1, max(0, t))
        return dist(q, a + t * ab)
    }

    /// Mean over the points of `a` of the distance to the polyline `b` (directed). The tracker's,
    /// the neighbours' and the evaluation's matching cost: four points of `a` at a time
    /// (`ClosestDistance.squared4`), bit for bit `meanClosestDistanceReference`.
    public static func meanClosestDistance(from a: [TEMPoint], to b: [TEMPoint]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return .infinity }
        guard b.count > 1 else { return meanClosestDistanceReference(from: a, to: b) }
        let s = a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in ClosestDistance.sum(ap, to: bp) } }
        return s / Double(a.count)
    }

    /// The plain twin of `meanClosestDistance`: every point's `segmentDistance` to every segment,
    /// the smallest kept. The reference the fast kernel is tested against (`TEMClosestDistanceTests`).
    public static func meanClosestDistanceReference(from a: [TEMPoint], to b: [TEMPoint]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return .infinity }
        var s = 0.0
        for q in a {
            var best = Double.infinity
            if b.count == 1 { best = dist(q, b[0]) }
            for i in 1..<max(1, b.count) { best = min(best, segmentDistance(q, b[i - 1], b[i])) }
            s += best
        }
        return s / Double(a.count)
    }

    /// Symmetric mean closest-point distance between two curves: the tracker's and the
    /// evaluation's matching cost.
    public static func curveDistance(_ a: [TEMPoint], _ b: [TEMPoint]) -> Double {
        0.5 * (meanClosestDistance(from: a, to: b) + meanClosestDistance(from: b, to: a))
    }

    /// The polyline moved `distance` px along its local normal (left of the direction of travel
    /// for positive values); the normal at a point is that of the chord through its neighbours.
    public static func offset(_ p: [TEMPoint], by distance: Double) -> [TEMPoint] {
        guard p.count >= 2 else { return p }
        return p.indices.map { i in
            let t = p[min(p.count - 1, i + 1)] - p[max(0, i - 1)]
            let l = norm(t)
            return l > 0 ? p[i] + distance / l * TEMPoint(-t.y, t.x) : p[i]
        }
    }
}
