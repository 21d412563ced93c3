#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pieces of one line in a frame joined into one observation before linking. A detector cuts a
/// line where its contrast fades or another line crosses it; linking the pieces separately makes
/// one track per piece and hands identities between them. Two curves are pieces of one line when
/// they continue each other: end to end (no common span along the line, so parallel pile-up
/// neighbours and close pairs never join), the gap short, and the second lying where the first's
/// end tangent points, within a lateral tolerance that grows with the gap (the line bows).
public enum TEMFragmentGrouping {
    /// Observations of a frame: `curves[o]` the joined polyline, `members[o]` the frame's curve
    /// indices it is made of (in order along the line).
    public struct Observations: Sendable {
        public var curves: [[TEMPoint]]
        public var members: [[Int]]
    }

    /// Largest gap (px) between the facing ends of two pieces of one line.
    public static let maxGap = 16.0
    /// Lateral tolerance at the gap: `lateralBase + lateralPerGap · gap` px.
    static let lateralBase = 1.5, lateralPerGap = 0.12
    /// Largest angle between the end tangents, degrees.
    static let maxTurnDegrees = 25.0

    /// Every frame's observations.
    public static func observations(_ frames: [[[TEMPoint]]]) -> [Observations] { frames.map { observations($0) } }

    /// A join the geometry allows: curve `a`'s end (`aEnd`: its last point, else its first)
    /// continued by curve `b`'s, `gap` px apart.
    public struct Join: Sendable, Equatable {
        public var gap: Double
        public var a: Int, aEnd: Bool
        public var b: Int, bEnd: Bool
        /// The facing end points.
        public func ends(_ frame: [[TEMPoint]]) -> (TEMPoint, TEMPoint) {
            (aEnd ? frame[a][frame[a].count - 1] : frame[a][0], bEnd ? frame[b][frame[b].count - 1] : frame[b][0])
        }
    }

    /// Every pair of the frame's curves that continue each other (`continuation`).
    public static func candidateJoins(_ frame: [[TEMPoint]]) -> [Join] {
        var joins: [Join] = []
        let bounds = frame.map(CurveMatching.bounds)
        for a in frame.indices where frame[a].count >= 2 {
            for b in (a + 1)..<frame.count where frame[b].count >= 2 {
                let (alo, ahi) = bounds[a], (blo, bhi) = bounds[b]
                if alo.x > bhi.x + maxGap || blo.x > ahi.x + maxGap || alo.y > bhi.y + maxGap || blo.y > ahi.y + maxGap { continue }
                if let j = continuation(frame[a], frame[b]) { joins.append(Join(gap: j.gap, a: a, aEnd: j.aEnd, b: b, bEnd: j.bEnd)) }
            }
        }
        return joins
    }

    /// The frame's observations, joining only the candidate joins `accept` allows (all when nil).
    public static func observations(_ frame: [[TEMPoint]], accept: ((Join) -> Bool)? = nil) -> Observations {
        var joins = candidateJoins(frame)
        if let accept { joins = joins.filter(accept) }
        // Closest ends first; each end joins at most one other, and no cycle.
        var usedEnd = Set<Int>(), parent = Array(frame.indices)
        func find(_ x: Int) -> Int { var x = x; while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }; return x }
        var next: [Int: (Int, Bool)] = [:] // end key → (other curve, its end)
        for j in joins.sorted(by: { $0.gap < $1.gap }) {
            let ka = 2 * j.a + (j.aEnd ? 1 : 0), kb = 2 * j.b + (j.bEnd ? 1 : 0)
            guard !usedEnd.contains(ka), !usedEnd.contains(kb), find(j.a) != find(j.b) else { continue }
            usedEnd.insert(ka); usedEnd.insert(kb)
            parent[find(j.a)] = find(j.b)
            next[ka] = (j.b, j.bEnd); next[kb] = (j.a, j.aEnd)
        }
        var out = Observations(curves: [], members: [])
        var seen = Set<Int>()
        for start in frame.indices where !seen.contains(start) {
            // Walk from a chain end: a curve with a free end (or, for a lone curve, itself).
            guard next[2 * start] == nil || next[2 * start + 1] == nil else { continue }
            var order: [Int] = [], points: [TEMPoint] = []
            var current = start, enteredAtEnd = next[2 * start + 1] == nil && next[2 * start] != nil
            while true {
                seen.insert(current)
                order.append(current)
                points += enteredAtEnd ? frame[current].reversed() : frame[current]
                let exitKey = 2 * current + (enteredAtEnd ? 0 : 1)
                guard let (b, bEnd) = next[exitKey], !seen.contains(b) else { break }
                current = b
                enteredAtEnd = bEnd
            }
            out.curves.append(points)
            out.members.append(order)
        }
        return out
    }

    /// Whether `b` continues `a`: the facing ends (`aEnd`: a's last point, else its first) and their gap.
    static func continuation(_ a: [TEMPoint], _ b: [TEMPoint]) -> (gap: Double, aEnd: Bool, bEnd: Bool)? {
        var best: (gap: Double, aEnd: Bool, bEnd: Bool)?
        for aEnd in [false, true] {
            for bEnd in [false, true] {
                let pa = aEnd ? a[a.count - 1] : a[0], pb = bEnd ? b[b.count - 1] : b[0]
                let g = TEMPolyline.dist(pa, pb)
                if g <= maxGap, best == nil || g < best!.gap { best = (g, aEnd, bEnd) }
            }
        }
        guard let j = best else { return nil }
        // Outward tangents at the facing ends: they must point at each other.
        let ta = outwardTangent(a, atEnd: j.aEnd), tb = outwardTangent(b, atEnd: j.bEnd)
        let cosTurn = cos(maxTurnDegrees * .pi / 180)
        guard -(ta.x * tb.x + ta.y * tb.y) >= cosTurn else { return nil }
        let pa = j.aEnd ? a[a.count - 1] : a[0], pb = j.bEnd ? b[b.count - 1] : b[0]
        // Each piece must lie beyond the other's end along the line (end to end, no common span)
        // and near the other's extrapolated tangent.
        for (p, t, q, other) in [(pa, ta, pb, b), (pb, tb, pa, a)] {
            let d = q - p
            let along = d.x * t.x + d.y * t.y, lateral = abs(d.x * t.y - d.y * t.x)
            guard along >= -2, lateral <= lateralBase + lateralPerGap * max(along, 0) else { return nil }
            // No point of the other piece behind this end (overlap means neighbours, not pieces).
            var behind = 0
            for r in other { let e = r - p; if e.x * t.x + e.y * t.y < -2 { behind += 1 } }
            guard behind * 10 <= other.count else { return nil }
        }
        return j
    }

    /// Unit direction leaving the curve at its end (`atEnd`) or start, from the last ≈ 8 px.
    static func outwardTangent(_ c: [TEMPoint], atEnd: Bool) -> TEMPoint {
        let n = c.count
        var k = 1, length = 0.0
        while k < n - 1 && length < 8 {
            length += atEnd ? TEMPolyline.dist(c[n - k], c[n - k - 1]) : TEMPolyline.dist(c[k - 1], c[k])
            k += 1
        }
        let end = atEnd ? c[n - 1] : c[0], inner = atEnd ? c[n - 1 - min(k, n - 1)] : c[min(k, n - 1)]
        let d = end - inner
        let l = TEMPolyline.norm(d)
        return l > 0 ? d / l : TEMPoint(1, 0)
    }
}

extension TEMFragmentGrouping {
    /// The frame's curves with the pieces of each cut line joined into one curve, so that a
    /// result row is a line, not a piece of one (readers of `tem_dislocations` count rows):
    /// points along the joined line (the gap bridged straight) resampled to `samples` equally
    /// spaced points; length of the joined line; curvature and response weighted by the
    /// pieces' lengths (the bridge has neither). A curve that continues no other is unchanged.
    /// `accept` (nil: all) decides which of the joins the geometry allows are made.
    public static func joinedCurves(_ curves: [TEMCurve], samples: Int, accept: ((Join) -> Bool)? = nil) -> [TEMCurve] {
        guard curves.count > 1 else { return curves }
        let observations = observations(curves.map(\.points), accept: accept)
        return zip(observations.curves, observations.members).map { points, members in
            guard members.count > 1 else { return curves[members[0]] }
            let pieces = members.map { curves[$0] }
            let weight = max(pieces.reduce(0) { $0 + $1.lengthPx }, .leastNonzeroMagnitude)
            return TEMCurve(points: TEMPolyline.resample(points, count: max(samples, 2)),
                            lengthPx: TEMPolyline.length(points),
                            meanCurvature: pieces.reduce(0) { $0 + $1.meanCurvature * $1.lengthPx } / weight,
                            maxCurvature: pieces.map(\.maxCurvature).max() ?? 0,
                            meanResponse: pieces.reduce(0) { $0 + $1.meanResponse * $1.lengthPx } / weight)
        }
    }
}
