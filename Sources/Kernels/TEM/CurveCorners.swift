#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits traced paths at sharp corners. A dislocation bows smoothly between its pinning points;
/// a sharp turn on a traced path is where two different lines met and the tracer continued from
/// one into the other (a dislocation ending on a slip-band edge is traced on along the edge when
/// the junction's turn is within `CenterlineTracer.Options.twoEndMaxTurnDegrees`). Split, the
/// straight edge piece can then be recognised as a trace and the dislocation keeps its own shape.
public enum CurveCorners {
    /// The turn (radians, 0…π) at each point between the chords to the points `span` samples
    /// before and after it, measured along the arc; 0 within `span` of either end.
    public static func turns(_ p: [TEMPoint], span: Int) -> [Double] {
        var out = [Double](repeating: 0, count: p.count)
        guard span > 0, p.count > 2 * span else { return out }
        for i in span..<(p.count - span) {
            let a = p[i] - p[i - span], b = p[i + span] - p[i]
            let na = TEMPolyline.norm(a), nb = TEMPolyline.norm(b)
            guard na > 1e-9, nb > 1e-9 else { continue }
            let cosine = max(-1, min(1, (a * b).sum() / (na * nb)))
            out[i] = acos(cosine)
        }
        return out
    }

    /// `p` (points about 1 px apart, e.g. a traced pixel path) cut at every corner: a local
    /// maximum of `turns(p, span:)` above `maxTurnDegrees`, corners at least `span` apart. The
    /// corner point ends one piece and starts the next.
    public static func split(_ p: [TEMPoint], span: Int, maxTurnDegrees: Double) -> [[TEMPoint]] {
        pieces(p, at: corners(p, span: span, maxTurnDegrees: maxTurnDegrees))
    }

    /// The indices `split` cuts `p` at, in order.
    public static func corners(_ p: [TEMPoint], span: Int, maxTurnDegrees: Double) -> [Int] {
        let t = turns(p, span: span)
        let limit = maxTurnDegrees * Double.pi / 180
        var cuts: [Int] = []
        var i = span
        while i < p.count - span {
            guard t[i] > limit else { i += 1; continue }
            // The sharpest point of this run above the limit (the first of near ties: integer
            // pixel paths turn by equal angles at several points).
            var j = i
            var peak = 0.0
            while j < p.count - span && t[j] > limit { peak = max(peak, t[j]); j += 1 }
            if let best = (i..<j).first(where: { t[$0] >= peak - 1e-9 }),
               cuts.last.map({ best - $0 >= span }) ?? true { cuts.append(best) }
            i = j
        }
        return cuts
    }

    /// `p` cut at the increasing indices `cuts` (each inside `p`): the cut point ends one piece
    /// and starts the next; `[p]` when there is none.
    public static func pieces(_ p: [TEMPoint], at cuts: [Int]) -> [[TEMPoint]] {
        guard !cuts.isEmpty else { return [p] }
        var pieces: [[TEMPoint]] = []
        var start = 0
        for c in cuts {
            pieces.append(Array(p[start...c]))
            start = c
        }
        pieces.append(Array(p[start...]))
        return pieces
    }

    /// Plain twin for tests: every point's turn recomputed from angles (`atan2`), cuts as above.
    public static func referenceSplit(_ p: [TEMPoint], span: Int, maxTurnDegrees: Double) -> [[TEMPoint]] {
        func angle(_ v: TEMPoint) -> Double { atan2(v.y, v.x) }
        var turn = [Double](repeating: 0, count: p.count)
        if span > 0 && p.count > 2 * span {
            for i in span..<(p.count - span) {
                let a = p[i] - p[i - span], b = p[i + span] - p[i]
                guard TEMPolyline.norm(a) > 1e-9, TEMPolyline.norm(b) > 1e-9 else { continue }
                var d = abs(angle(b) - angle(a))
                if d > Double.pi { d = 2 * Double.pi - d }
                turn[i] = d
            }
        }
        let limit = maxTurnDegrees * Double.pi / 180
        // Runs above the limit, each's sharpest point (first of near ties), kept when ≥ span after the last cut.
        var cuts: [Int] = []
        var i = 0
        while i < p.count {
            if turn[i] > limit {
                var j = i
                while j < p.count && turn[j] > limit { j += 1 }
                let peak = turn[i..<j].max()!
                let best = (i..<j).first { turn[$0] >= peak - 1e-9 }!
                if cuts.isEmpty || best - cuts.last! >= span { cuts.append(best) }
                i = j
            } else { i += 1 }
        }
        guard !cuts.isEmpty else { return [p] }
        let bounds = [0] + cuts + [p.count - 1]
        return (0..<(bounds.count - 1)).map { Array(p[bounds[$0]...bounds[$0 + 1]]) }
    }
}
