import CTEMSIMD

/// The closest-point distance from points to a polyline, four points at a time: the kernel under
/// `TEMPolyline.meanClosestDistance` (the tracker's and the evaluation's matching cost, the
/// partial merge's neighbours), which spent most of a partial merge's time in
/// `segmentDistance` — a square root and a dependent division per point and segment.
///
/// Bit for bit the plain loop (`TEMPolyline.meanClosestDistanceReference`): each lane does that
/// loop's operations in its order (q − a, the projection over |ab|², the clamps as `max(0, ·)` and
/// `min(1, ·)` select them, the foot a + t·ab, the squared distance), the smallest squared
/// distance is kept by the same `<` as `min` (a NaN never replaces the best), and the square root
/// is taken once per point: √ is monotone and correctly rounded, so √(min d²) = min √d² exactly.
/// The points' distances are summed in their order. On AVX CPUs the same loop runs in C on one
/// 4-lane register (`slp_tem_closest_distance_sum_avx`, no FMA); this Swift loop (two 2-lane
/// halves on SSE2) is the path elsewhere and is tested beside it.
enum ClosestDistance {
    typealias V = SIMD4<Double>

    /// Σ over the points of `a` of the distance to the polyline `b` (at least two points), in order.
    static func sum(_ a: UnsafeBufferPointer<TEMPoint>, to b: UnsafeBufferPointer<TEMPoint>, allowAVX: Bool = true) -> Double {
        precondition(b.count >= 2)
        guard !a.isEmpty else { return 0 }
        if allowAVX && RidgeFilter.useAVX {
            // TEMPoint is two Doubles, x then y: the buffers as interleaved doubles.
            let ad = UnsafeRawPointer(a.baseAddress!).assumingMemoryBound(to: Double.self)
            let bd = UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: Double.self)
            return slp_tem_closest_distance_sum_avx(ad, a.count, bd, b.count)
        }
        var s = 0.0
        var k = 0
        while k < a.count {
            // The last group's missing lanes repeat its last point; only the real lanes are summed.
            let lanes = min(4, a.count - k)
            let p0 = a[k], p1 = a[k + min(1, lanes - 1)], p2 = a[k + min(2, lanes - 1)], p3 = a[k + min(3, lanes - 1)]
            let best = squared4(qx: V(p0.x, p1.x, p2.x, p3.x), qy: V(p0.y, p1.y, p2.y, p3.y), to: b)
            for j in 0..<lanes { s += best[j].squareRoot() }
            k += lanes
        }
        return s
    }

    /// The smallest squared distance of each of four points (lanes of `qx`, `qy`) to the segments
    /// of `b` (infinity when every distance is NaN, as the plain loop's starting `best`).
    @inline(__always)
    static func squared4(qx: V, qy: V, to b: UnsafeBufferPointer<TEMPoint>) -> V {
        var best = V(repeating: .infinity)
        let zero = V(repeating: 0), one = V(repeating: 1)
        var start = b[0]
        for i in 1..<b.count {
            let end = b[i]
            // `segmentDistance(q, start, end)`: ab = end − start, l2 = |ab|².
            let abx = end.x - start.x, aby = end.y - start.y
            let l2 = abx * abx + aby * aby
            let ax = V(repeating: start.x), ay = V(repeating: start.y)
            var t = zero
            if l2 > 0 {
                t = ((qx - ax) * abx + (qy - ay) * aby) / l2
                t = zero.replacing(with: t, where: t .>= 0)  // max(0, t) = t ≥ 0 ? t : 0
                t = one.replacing(with: t, where: t .< 1)    // min(1, t) = t < 1 ? t : 1
            }
            let dx = qx - (ax + t * abx), dy = qy - (ay + t * aby)
            let d2 = dx * dx + dy * dy
            best.replace(with: d2, where: d2 .< best)        // min(best, d) = d < best ? d : best
            start = end
        }
        return best
    }
}
