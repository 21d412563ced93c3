#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pieces of one line that the detector keeps apart frame after frame, joined by their tracks.
///
/// `video5` cuts a traced path where it turns by more than 40° (`CurveCorners`): right where a
/// tracer ran off a line into a band edge, but also at a real bend of a dislocation. The two
/// pieces of a bent line then meet end to end at an angle the per-frame fragment grouping
/// (`TEMFragmentGrouping`, tangents within 25°) rightly refuses — in one frame a corner is as
/// likely a line touching a band edge or another line — so each piece becomes a track of its
/// own, side by side with the other in the same frames, and IDF1 counts the second as a false
/// track. Over time the two are told apart: pieces of one line meet at their ends in (nearly)
/// every frame they share, while a line and an edge or another line's end meet only while
/// one glides past the other. So after a first tracking pass, two tracks whose curves meet end
/// to end at a corner in most of the frames they share are pieces of one line: in every frame
/// where they meet, their observations become one, and the frames are tracked again.
///
/// Local in time (a piece of video at a time), so it runs inside each shard's tracker and the
/// merge stays parallel.
public enum TEMCornerPieces {
    /// Largest distance (px) between the meeting ends: a cut at a corner loses a few pixels,
    /// and the ends of the pieces may hook off the line by a few more.
    public static let maxGap = 12.0
    /// Smallest angle between the directions in which the two pieces leave the meeting point.
    /// Pieces of a bent line leave it in nearly opposite directions (180° − the bend); pile-up
    /// neighbours whose ends are near each other at a slip trace leave it side by side (< 30°).
    public static let minAngleDegrees = 75.0
    /// Arc length (px) over which the leaving direction is measured: longer than a hook.
    static let directionBase = 15.0
    /// Two tracks are pieces of one line when they meet in at least this fraction of the frames
    /// they share and in at least `minFrames` frames.
    public static let minShare = 0.5
    public static let minFrames = 3

    /// Whether curves `a` and `b` meet end to end at a corner: the facing ends (a's last point
    /// when `aEnd`, else its first) and their gap, or nil.
    public static func meet(_ a: [TEMPoint], _ b: [TEMPoint]) -> (gap: Double, aEnd: Bool, bEnd: Bool)? {
        guard a.count >= 2, b.count >= 2 else { return nil }
        var best: (gap: Double, aEnd: Bool, bEnd: Bool)?
        for aEnd in [false, true] {
            for bEnd in [false, true] {
                let g = TEMPolyline.dist(aEnd ? a[a.count - 1] : a[0], bEnd ? b[b.count - 1] : b[0])
                if g <= maxGap, best == nil || g < best!.gap { best = (g, aEnd, bEnd) }
            }
        }
        guard let j = best else { return nil }
        let da = inward(a, fromEnd: j.aEnd), db = inward(b, fromEnd: j.bEnd)
        guard da.x * db.x + da.y * db.y <= cos(minAngleDegrees * .pi / 180) else { return nil }
        return j
    }

    /// Unit direction from the end (`fromEnd`) or start of `c` into the curve, over `directionBase` px.
    static func inward(_ c: [TEMPoint], fromEnd: Bool) -> TEMPoint {
        let n = c.count
        var k = 1, length = 0.0
        while k < n - 1 && length < directionBase {
            length += fromEnd ? TEMPolyline.dist(c[n - k], c[n - k - 1]) : TEMPolyline.dist(c[k - 1], c[k])
            k += 1
        }
        let end = fromEnd ? c[n - 1] : c[0], inner = fromEnd ? c[n - 1 - min(k, n - 1)] : c[min(k, n - 1)]
        let d = inner - end
        let l = TEMPolyline.norm(d)
        return l > 0 ? d / l : TEMPoint(1, 0)
    }

    /// Pairs of tracks (indices into `tracks`, over the observations of `observations`) that
    /// meet end to end at a corner in at least `minShare` of the frames both are seen in, and in
    /// at least `minFrames` of them — and, with `slideTest`, whose ends do not slide past each
    /// other while they meet (`TEMCornerSlide`: two passing lines, not one bent line).
    public static func pairs(_ observations: [TEMFragmentGrouping.Observations], tracks: [TEMTrack],
                             slideTest: Bool = true) -> [(Int, Int)] {
        // Track of each observation, frame by frame.
        var trackOf = observations.map { [Int?](repeating: nil, count: $0.curves.count) }
        for (t, track) in tracks.enumerated() {
            for (f, o) in zip(track.frames, track.curveIndices) { trackOf[f][o] = t }
        }
        var met: [Int64: Int] = [:], shared: [Int64: Int] = [:]
        // Where the ends met, per pair: frame and offset of the higher track's end from the
        // lower's, in the lower's own frame (`TEMCornerSlide.offset`).
        var meetings: [Int64: (frames: [Int], offsets: [TEMPoint])] = [:]
        func key(_ a: Int, _ b: Int) -> Int64 { Int64(min(a, b)) << 32 | Int64(max(a, b)) }
        for (f, frame) in observations.enumerated() {
            let curves = frame.curves
            let bounds = curves.map(CurveMatching.bounds)
            for a in curves.indices {
                guard let ta = trackOf[f][a] else { continue }
                for b in (a + 1)..<curves.count {
                    guard let tb = trackOf[f][b], tb != ta else { continue }
                    let (alo, ahi) = bounds[a], (blo, bhi) = bounds[b]
                    if alo.x > bhi.x + maxGap || blo.x > ahi.x + maxGap || alo.y > bhi.y + maxGap || blo.y > ahi.y + maxGap { continue }
                    if let m = meet(curves[a], curves[b]) {
                        let k = key(ta, tb)
                        met[k, default: 0] += 1
                        let d = ta < tb ? TEMCornerSlide.offset(curves[a], aEnd: m.aEnd, curves[b], bEnd: m.bEnd)
                                        : TEMCornerSlide.offset(curves[b], aEnd: m.bEnd, curves[a], bEnd: m.aEnd)
                        meetings[k, default: ([], [])].frames.append(f)
                        meetings[k]!.offsets.append(d)
                    }
                }
            }
        }
        guard !met.isEmpty else { return [] }
        // Frames each candidate pair shares, and the first and last of them.
        let frameSets = tracks.map { Set($0.frames) }
        var span: [Int64: ClosedRange<Int>] = [:]
        for k in met.keys {
            let a = Int(k >> 32), b = Int(k & 0xffff_ffff)
            let both = frameSets[a].intersection(frameSets[b])
            shared[k] = both.count
            if let lo = both.min(), let hi = both.max() { span[k] = lo...hi }
        }
        let candidates = met.keys.sorted().filter { k in
            let n = met[k]!, s = max(shared[k]!, 1)
            return n >= minFrames && Double(n) >= minShare * Double(s)
        }
        var refused = Set<Int64>()
        if slideTest {
            let trends = candidates.map { k in meetings[k].flatMap { TEMCornerSlide.Trend(frames: $0.frames, offsets: $0.offsets) } }
            let variance = TEMCornerSlide.noiseVariance(trends.compactMap { $0 })
            for (k, t) in zip(candidates, trends) {
                if let t, let span = span[k], TEMCornerSlide.slides(t, variance: variance, span: span) { refused.insert(k) }
            }
        }
        return candidates.filter { !refused.contains($0) }.map { (Int($0 >> 32), Int($0 & 0xffff_ffff)) }
    }

    /// The observations with those of paired tracks joined in every frame where they meet (a
    /// chain when a line was cut at several corners; each end joins at most one other, the
    /// closest first). `members` of a joined observation are the frame's curve indices of all
    /// its parts, in order along the line.
    public static func joined(_ observations: [TEMFragmentGrouping.Observations], tracks: [TEMTrack],
                              pairs: [(Int, Int)]) -> [TEMFragmentGrouping.Observations] {
        guard !pairs.isEmpty else { return observations }
        // Union of paired tracks.
        var parent = Array(tracks.indices)
        func find(_ x: Int) -> Int { var x = x; while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }; return x }
        for (a, b) in pairs { let ra = find(a), rb = find(b); if ra != rb { parent[ra] = rb } }
        var trackOf = observations.map { [Int?](repeating: nil, count: $0.curves.count) }
        for (t, track) in tracks.enumerated() {
            for (f, o) in zip(track.frames, track.curveIndices) { trackOf[f][o] = t }
        }
        return observations.enumerated().map { f, frame in
            let curves = frame.curves
            // Candidate joins of this frame: observations of one group of tracks that meet.
            var joins: [(gap: Double, a: Int, aEnd: Bool, b: Int, bEnd: Bool)] = []
            for a in curves.indices {
                guard let ta = trackOf[f][a] else { continue }
                for b in (a + 1)..<curves.count {
                    guard let tb = trackOf[f][b], tb != ta, find(ta) == find(tb), let m = meet(curves[a], curves[b]) else { continue }
                    joins.append((m.gap, a, m.aEnd, b, m.bEnd))
                }
            }
            guard !joins.isEmpty else { return frame }
            var usedEnd = Set<Int>(), group = Array(curves.indices)
            func root(_ x: Int) -> Int { var x = x; while group[x] != x { group[x] = group[group[x]]; x = group[x] }; return x }
            var next: [Int: (Int, Bool)] = [:]
            for j in joins.sorted(by: { $0.gap < $1.gap }) {
                let ka = 2 * j.a + (j.aEnd ? 1 : 0), kb = 2 * j.b + (j.bEnd ? 1 : 0)
                guard !usedEnd.contains(ka), !usedEnd.contains(kb), root(j.a) != root(j.b) else { continue }
                usedEnd.insert(ka); usedEnd.insert(kb)
                group[root(j.a)] = root(j.b)
                next[ka] = (j.b, j.bEnd); next[kb] = (j.a, j.aEnd)
            }
            var out = TEMFragmentGrouping.Observations(curves: [], members: [])
            var seen = Set<Int>()
            for start in curves.indices where !seen.contains(start) {
                guard next[2 * start] == nil || next[2 * start + 1] == nil else { continue }
                var points: [TEMPoint] = [], members: [Int] = []
                var current = start, enteredAtEnd = next[2 * start + 1] == nil && next[2 * start] != nil
                while true {
                    seen.insert(current)
                    points += enteredAtEnd ? curves[current].reversed() : curves[current]
                    members += enteredAtEnd ? frame.members[current].reversed() : frame.members[current]
                    guard let (b, bEnd) = next[2 * current + (enteredAtEnd ? 0 : 1)], !seen.contains(b) else { break }
                    current = b
                    enteredAtEnd = bEnd
                }
                out.curves.append(points)
                out.members.append(members)
            }
            return out
        }
    }
}
