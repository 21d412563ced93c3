#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A line imaged as two dark edges (a double image off the exact Bragg condition) read as one
/// observation before linking (`TEMTrackerConfig.doubleLines`).
///
/// The detector reports a double line's two edges as two curves in some frames and one in
/// others, so the frame tracker follows each edge as a line of its own and the two take turns
/// (medium draw 205: identities from the truth 1.000, IDF1 0.393, 14 tracks for 4 lines). A
/// double line's edges are one shape at a fixed offset along the normal; so is a close pair of
/// two dislocations gliding together, 3–6 px apart, and one pair of curves cannot tell them
/// apart. What can is the frame as a whole: the doubling belongs to the imaging condition, so
/// every line shows it at one separation. Within a piece of frames:
/// - a **twin** is two observations of a frame lying side by side over half the shorter's span
///   or more (`CurveMatching.glide`), at most the frame link's gate apart, and standing clear
///   of each other (the separation more than twice the mean deviation of their offsets);
/// - the piece shows **doubling** when some frame holds two twins (two lines doubled at once)
///   whose separations agree within their own deviations at the 1 % level;
/// - then every twin whose separation agrees with the piece's (the median over its twins) the
///   same way is one line: its two observations become one, the longer one's curve standing
///   for both. A close pair alone is one twin in a frame and stays two lines.
/// Nothing is set by hand: the gate is the frame tracker's, the tolerances the twins' own.
enum TEMDoubleLines {
    /// Two observations of a frame side by side: their separation (|glide shift|, px) and the
    /// mean deviation of their offsets from it (px).
    struct Twin: Equatable {
        var a: Int, b: Int
        var separation: Double, deviation: Double
    }

    /// z at the 1 % level (two-sided).
    static let z = 2.576

    /// The twins of one frame's `curves`, each curve in one at most (the closest-fitting pairs first).
    static func twins(_ curves: [[TEMPoint]], gate: Double) -> [Twin] {
        var found: [Twin] = []
        for a in curves.indices where curves[a].count >= 3 {
            for b in (a + 1)..<curves.count where curves[b].count >= 3 {
                // The longer curve as the reference: the shorter's span is the one compared.
                let (x, y) = TEMPolyline.length(curves[a]) >= TEMPolyline.length(curves[b]) ? (a, b) : (b, a)
                guard let g = CurveMatching.glide(curves[x], curves[y]), g.overlap >= 0.5 else { continue }
                let s = abs(g.shift)
                guard s <= gate, s > 2 * g.residual else { continue }
                found.append(Twin(a: x, b: y, separation: s, deviation: g.residual))
            }
        }
        found.sort { ($0.deviation, $0.a, $0.b) < ($1.deviation, $1.a, $1.b) }
        var used = Set<Int>(), out: [Twin] = []
        for t in found where !used.contains(t.a) && !used.contains(t.b) {
            used.insert(t.a); used.insert(t.b)
            out.append(t)
        }
        return out
    }

    /// Whether two separations agree within their deviations at the 1 % level.
    static func agree(_ s: Double, _ ds: Double, _ t: Double, _ dt: Double) -> Bool {
        abs(s - t) <= z * (ds * ds + dt * dt).squareRoot()
    }

    /// The piece's frames (`observations`, one per frame) with every double line's two
    /// observations made one when the piece shows doubling; unchanged otherwise.
    static func fold(_ observations: [TEMFragmentGrouping.Observations], gate: Double) -> [TEMFragmentGrouping.Observations] {
        let perFrame = observations.map { twins($0.curves, gate: gate) }
        let doubled = perFrame.contains { frame in
            frame.indices.contains { i in
                frame.indices.contains { j in
                    j > i && agree(frame[i].separation, frame[i].deviation, frame[j].separation, frame[j].deviation)
                }
            }
        }
        guard doubled else { return observations }
        let all = perFrame.flatMap { $0 }
        let separation = TEMDrawsBenchmark.quantile(all.map(\.separation), 0.5)
        let deviation = TEMDrawsBenchmark.quantile(all.map(\.deviation), 0.5)
        var out = observations
        for (f, frame) in perFrame.enumerated() {
            let kept = frame.filter { agree($0.separation, $0.deviation, separation, deviation) }
            guard !kept.isEmpty else { continue }
            var gone = Set<Int>()
            for t in kept {
                out[f].members[t.a] += observations[f].members[t.b]
                gone.insert(t.b)
            }
            let stay = out[f].curves.indices.filter { !gone.contains($0) }
            out[f].curves = stay.map { out[f].curves[$0] }
            out[f].members = stay.map { out[f].members[$0] }
        }
        return out
    }
}
