/// The cost of pairing two curves, shared by the tracker and the evaluation.
///
/// The smaller of the two directed mean closest-point distances carries the cost, so a fragment
/// lying on a whole dislocation still matches it (the detector may see only part of a line in
/// some frames); a tenth of the larger one breaks ties in favour of the similar-length partner.
public enum CurveMatching {
    public static func cost(_ a: [TEMPoint], _ b: [TEMPoint]) -> (cost: Double, closeness: Double) {
        let ab = TEMPolyline.meanClosestDistance(from: a, to: b)
        let ba = TEMPolyline.meanClosestDistance(from: b, to: a)
        let lo = min(ab, ba), hi = max(ab, ba)
        return (lo + 0.1 * hi, lo)
    }

    /// Axis-aligned bounds, for cheap rejection before the O(n·m) distance.
    public static func bounds(_ p: [TEMPoint]) -> (TEMPoint, TEMPoint) {
        var lo = TEMPoint(Double.infinity, Double.infinity), hi = -lo
        for q in p { lo = pointwiseMin(lo, q); hi = pointwiseMax(hi, q) }
        return (lo, hi)
    }

    /// Hungarian matching of curve sets `a` and `b`; pairs whose closeness exceeds `gate` px are
    /// never matched. Returns for each curve of `a` its partner in `b` or nil.
    public static func match(_ a: [[TEMPoint]], _ b: [[TEMPoint]], gate: Double) -> [Int?] {
        guard !a.isEmpty, !b.isEmpty else { return [Int?](repeating: nil, count: a.count) }
        let ba = a.map(bounds), bb = b.map(bounds)
        var matrix = [Double](repeating: .infinity, count: a.count * b.count)
        for i in a.indices {
            for j in b.indices {
                let (alo, ahi) = ba[i], (blo, bhi) = bb[j]
                if alo.x > bhi.x + gate || blo.x > ahi.x + gate || alo.y > bhi.y + gate || blo.y > ahi.y + gate { continue }
                let c = Self.cost(a[i], b[j])
                if c.closeness <= gate { matrix[i * b.count + j] = c.cost }
            }
        }
        return Hungarian.solve(cost: matrix, rows: a.count, columns: b.count)
    }
}
