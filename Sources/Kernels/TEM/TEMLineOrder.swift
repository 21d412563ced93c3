#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The order across the line of two concurrent tracks side by side, frame by frame: what tells a
/// double line's pieces from a close pair (`TEMTrackerConfig.doubleLineOrder`).
///
/// A line imaged as two edges (a double image) reaches the tracker as 2–5 overlapping pieces per
/// frame lying anywhere between the edges, and a piece's track changes side from frame to frame
/// (medium draw 205, docs/tem.md tem-track24): two such tracks swap their order across the line
/// again and again. Two dislocations of a close pair glide on one plane and cannot pass through
/// each other in a piece of frames: their tracks keep their order, at most swapping once where
/// the frame tracker exchanged them. The separation, the shape and the glide cannot tell the two
/// apart (the generator's close pairs are exact twins); the order can.
enum TEMLineOrder {
    /// One frame of a pair: track b's signed offset from track a across a's line (px; the normal
    /// oriented by a's chord in the pair's first side-by-side frame) and the mean deviation of the
    /// offsets along the common span about it (px).
    struct Side: Sendable, Equatable {
        var frame: Int
        var shift: Double
        var deviation: Double
    }

    /// Two tracks of a piece (indices into the piece's tracks) and their sides, in frame order.
    struct Pair: Sendable, Equatable {
        var a: Int, b: Int
        var sides: [Side]
    }

    /// Frames where `a` and `b` are side by side (`CurveMatching.glide`: chords within 25°, a
    /// common span of half the shorter's or more, the offset within `gate`), with b's offset.
    /// `curves[f]` are the observations' curves of frame f, the tracks' curve indices into them.
    static func sides(_ a: TEMTrack, _ b: TEMTrack, curves: [[[TEMPoint]]], gate: Double) -> [Side] {
        var out: [Side] = []
        var reference: TEMPoint?
        var i = 0, k = 0
        while i < a.frames.count && k < b.frames.count {
            if a.frames[i] < b.frames[k] { i += 1; continue }
            if a.frames[i] > b.frames[k] { k += 1; continue }
            let f = a.frames[i], ca = curves[f][a.curveIndices[i]], cb = curves[f][b.curveIndices[k]]
            i += 1; k += 1
            let (alo, ahi) = CurveMatching.bounds(ca), (blo, bhi) = CurveMatching.bounds(cb)
            if alo.x > bhi.x + gate || blo.x > ahi.x + gate || alo.y > bhi.y + gate || blo.y > ahi.y + gate { continue }
            guard ca.count >= 3, cb.count >= 3, let g = CurveMatching.glide(ca, cb), g.overlap >= 0.5, abs(g.shift) <= gate
            else { continue }
            // The tracer may report a's points in either direction: the normal follows a fixed chord.
            let chord = ca[ca.count - 1] - ca[0]
            let r = reference ?? chord
            reference = r
            let sign: Double = chord.x * r.x + chord.y * r.y < 0 ? -1 : 1
            out.append(Side(frame: f, shift: sign * g.shift, deviation: g.residual))
        }
        return out
    }

    /// Every pair of `tracks` side by side in two or more frames.
    static func pairs(_ tracks: [TEMTrack], curves: [[[TEMPoint]]], gate: Double) -> [Pair] {
        var out: [Pair] = []
        for a in tracks.indices {
            for b in (a + 1)..<tracks.count where tracks[b].firstFrame <= tracks[a].lastFrame && tracks[a].firstFrame <= tracks[b].lastFrame {
                let s = sides(tracks[a], tracks[b], curves: curves, gate: gate)
                if s.count >= 2 { out.append(Pair(a: a, b: b, sides: s)) }
            }
        }
        return out
    }

    /// Changes of sign between consecutive side-by-side frames of `sides`' offsets (an offset of
    /// exactly 0 takes no side and is passed over).
    static func changes(_ sides: [Side]) -> Int {
        var last: Bool?, n = 0
        for s in sides where s.shift != 0 {
            let positive = s.shift > 0
            if let l = last, l != positive { n += 1 }
            last = positive
        }
        return n
    }

    /// Two-sided 1 % point of the normal (as `TEMPieceAbsorption.z`).
    static let z = 2.5758

    /// A frame's offset noise, px: its deviation about the shift read as a normal scale (mean
    /// absolute deviation / 0.8), never below the detector's positional noise (as `TEMPieceAbsorption`).
    static func sigma(_ s: Side) -> Double { max(TEMPieceAbsorption.noiseFloor, s.deviation / 0.8) }

    /// Whether the pair's order across the line is definite: the offsets' mean (each frame weighted
    /// by 1/σ²) differs from 0 at the 1 % level. A close pair's offsets are its separation, many
    /// times their noise; a double line's pieces lie on either side of each other.
    static func definite(_ sides: [Side]) -> Bool {
        var sum = 0.0, weight = 0.0
        for s in sides {
            let w = 1 / (sigma(s) * sigma(s))
            sum += w * s.shift
            weight += w
        }
        return weight > 0 && abs(sum / weight) * weight.squareRoot() > z
    }

    /// P(R ≤ `runs`) for the number of runs R of `n1` signs of one kind and `n2` of the other in
    /// random order (the Wald–Wolfowitz distribution, exact).
    static func runsTail(runs: Int, _ n1: Int, _ n2: Int) -> Double {
        guard n1 > 0, n2 > 0 else { return 1 }
        func logChoose(_ n: Int, _ k: Int) -> Double {
            k < 0 || k > n ? -.infinity : lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
        }
        let all = logChoose(n1 + n2, n1)
        var p = 0.0
        for r in stride(from: 2, through: runs, by: 1) {
            let k = r / 2
            if r % 2 == 0 {
                p += 2 * exp(logChoose(n1 - 1, k - 1) + logChoose(n2 - 1, k - 1) - all)
            } else {
                p += exp(logChoose(n1 - 1, k) + logChoose(n2 - 1, k - 1) - all) + exp(logChoose(n1 - 1, k - 1) + logChoose(n2 - 1, k) - all)
            }
        }
        return min(1, p)
    }

    /// The signs of `sides`' offsets in frame order (an offset of exactly 0 takes no side).
    static func signs(_ sides: [Side]) -> [Bool] { sides.filter { $0.shift != 0 }.map { $0.shift > 0 } }

    /// Whether the runs test could refuse any order of `n1` signs of one kind and `n2` of the
    /// other at `level`: the fewest runs they allow (two — the tracker's single exchange of two
    /// lines) is less likely than `level` under a random order, P(R ≤ 2) = 2 / C(n1 + n2, n1)
    /// < `level`. At 1 %: 5 and 5, 4 and 6, 3 and 9, 2 and 19 frames or more (1 and 200: never
    /// in a 20-frame piece). Derived from the exact distribution, nothing chosen from draws.
    static func refusable(_ n1: Int, _ n2: Int, level: Double = 0.01) -> Bool {
        n1 > 0 && n2 > 0 && runsTail(runs: 2, n1, n2) < level
    }

    /// Whether a pair's order changes as one line's pieces' does: no definite order (`definite`),
    /// the offsets' sign changing at least once, and the signs in no fewer runs than a random
    /// order gives at the 1 % level. Two lines keep their order; where the frame tracker exchanged
    /// them, each keeps it again for a run of frames (one change, two runs), which the runs test
    /// refuses once the runs are long enough to tell. With `refusable`
    /// (`TEMTrackerConfig.doubleLineOrderRefusable`), only a pair whose sign counts let the test
    /// refuse at that level (`refusable(_:_:)`) can pass: then a single change is always refused.
    static func swaps(_ sides: [Side], refusable requireRefusable: Bool = false) -> Bool {
        let signs = Self.signs(sides)
        let runs = 1 + zip(signs, signs.dropFirst()).filter { $0 != $1 }.count
        guard runs >= 2, !definite(sides) else { return false }
        let n1 = signs.filter { $0 }.count
        if requireRefusable && !refusable(n1, signs.count - n1) { return false }
        return runsTail(runs: runs, n1, signs.count - n1) >= 0.01
    }

    /// `observations` with the observations of every group of tracks whose order changes
    /// (`swaps`) made one in each frame: the members together, the longest curve standing for
    /// the line. Without `config.doubleLineOrderByFrame` the groups are the tracks chained
    /// through the pairs, folded in every frame they hold; with it, only the two observations of
    /// a pair in a frame where they are side by side are made one (chained within that frame).
    /// Unchanged (and nil returned) when no pair swaps.
    static func fold(_ observations: [TEMFragmentGrouping.Observations], tracks: [TEMTrack], config: TEMTrackerConfig)
        -> [TEMFragmentGrouping.Observations]? {
        let swapping = pairs(tracks, curves: observations.map(\.curves), gate: config.gate)
            .filter { swaps($0.sides, refusable: config.doubleLineOrderRefusable) }
        guard !swapping.isEmpty else { return nil }
        // Per frame, the groups of observations to make one.
        var groups = [[[Int]]](repeating: [], count: observations.count)
        if config.doubleLineOrderByFrame {
            groups = byFrame(swapping, tracks: tracks, frames: observations.count)
        } else {
            var parent = Array(tracks.indices)
            func find(_ x: Int) -> Int { var x = x; while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }; return x }
            for p in swapping { parent[find(p.a)] = find(p.b) }
            var held = [[Int: [Int]]](repeating: [:], count: observations.count)
            var size: [Int: Int] = [:]
            for t in tracks.indices { size[find(t), default: 0] += 1 }
            for t in tracks.indices where size[find(t), default: 0] >= 2 {
                for (f, o) in zip(tracks[t].frames, tracks[t].curveIndices) where !(held[f][find(t)]?.contains(o) ?? false) {
                    held[f][find(t), default: []].append(o)
                }
            }
            for f in held.indices { groups[f] = held[f].sorted { $0.key < $1.key }.map(\.value) }
        }
        return merged(observations, groups: groups)
    }

    /// (`TEMTrackerConfig.doubleLineOrderByFrame`) Per frame, the observations of `swapping`'s
    /// pairs side by side in that frame, chained within the frame (groups of two or more, each
    /// in ascending order, groups by their first observation).
    static func byFrame(_ swapping: [Pair], tracks: [TEMTrack], frames: Int) -> [[[Int]]] {
        var links = [[(Int, Int)]](repeating: [], count: frames)
        for p in swapping {
            let a = Dictionary(zip(tracks[p.a].frames, tracks[p.a].curveIndices), uniquingKeysWith: { x, _ in x })
            let b = Dictionary(zip(tracks[p.b].frames, tracks[p.b].curveIndices), uniquingKeysWith: { x, _ in x })
            for s in p.sides { if let oa = a[s.frame], let ob = b[s.frame], oa != ob { links[s.frame].append((oa, ob)) } }
        }
        return links.map { edges in
            guard !edges.isEmpty else { return [] }
            var parent: [Int: Int] = [:]
            func find(_ x: Int) -> Int { var x = x; while let p = parent[x], p != x { x = p }; return x }
            for (x, y) in edges {
                parent[x] = parent[x] ?? x; parent[y] = parent[y] ?? y
                let (rx, ry) = (find(x), find(y))
                if rx != ry { parent[max(rx, ry)] = min(rx, ry) }
            }
            var out: [Int: [Int]] = [:]
            for x in parent.keys.sorted() { out[find(x), default: []].append(x) }
            return out.sorted { $0.key < $1.key }.map(\.value)
        }
    }

    /// `observations` with each frame's `groups` (two or more observations each) made one: the
    /// members together, the longest curve standing for the line.
    static func merged(_ observations: [TEMFragmentGrouping.Observations], groups: [[[Int]]]) -> [TEMFragmentGrouping.Observations] {
        var out = observations
        for f in out.indices {
            var gone = Set<Int>()
            for held in groups[f] where held.count >= 2 {
                let kept = held.max { (TEMPolyline.length(observations[f].curves[$0]), -$0) < (TEMPolyline.length(observations[f].curves[$1]), -$1) }!
                for o in held where o != kept {
                    out[f].members[kept] += observations[f].members[o]
                    gone.insert(o)
                }
            }
            guard !gone.isEmpty else { continue }
            let stay = out[f].curves.indices.filter { !gone.contains($0) }
            out[f].curves = stay.map { out[f].curves[$0] }
            out[f].members = stay.map { out[f].members[$0] }
        }
        return out
    }
}
