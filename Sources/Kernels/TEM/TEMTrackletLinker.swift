#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Links tracklets over a whole video by one global assignment over the gaps (the gap-closing
/// step of u-track, Jaqaman et al. 2008): every tracklet end may join a later tracklet start or
/// stay an end, every start may stay a start, and the minimum-cost choice over all of them is
/// taken at once (Hungarian on the augmented end × start matrix, per connected group), so one
/// greedy join cannot steal a better one's partner at a crossing or a close pair.
///
/// A join needs the same shape (representative curves, `CurveMatching.glide`: a dislocation
/// glides rigidly across its slip band), and the start no further along the glide direction
/// than `reach = stitchGlideBase + stitchGlidePerFrame · gap` from where either motion model puts
/// the end — standing still (stops, pinning) or going on at the end's velocity (glide in
/// bursts) — the closer of the two counting. Cost: shape residual + that distance / reach; not
/// joining costs `stitchMaxResidual`. (`stitchMotionModel = false`: the re-identification as it
/// was, representatives only, cost residual + `stitchShiftCost` · |shift|.)
public enum TEMTrackletLinker {
    /// Candidate starts examined per end (in order of start time, after the cheap bounds test):
    /// keeps the linking linear in the tracklets on long videos.
    public static let candidatesPerEnd = 40

    /// For each tracklet the index of the one it continues into, or nil. `overlap`: frames a
    /// later tracklet may start before the earlier one ends (0 across independent pieces).
    public static func link(_ tracklets: [TEMTracklet], config: TEMTrackerConfig, overlap: Int) -> [Int?] {
        var next = [Int?](repeating: nil, count: tracklets.count)
        guard config.stitchFrames > 0, tracklets.count > 1 else { return next }
        // First the piece boundaries, as the one-pass tracker would cross them: a track alive at
        // the boundary is continued frame by frame, not re-identified against every later start.
        // An end whose line goes on in a concurrent track is no departure: it stays an end.
        let absorbed = config.absorbedEndsStayEnds ? Set(tracklets.indices.filter { tracklets[$0].endAbsorbed == true }) : []
        let continued = boundaryContinuations(tracklets, config: config, absorbed: absorbed)
        for (a, b) in continued { next[a] = b }
        let joinedEnds = Set(continued.map(\.0)).union(absorbed), joinedStarts = Set(continued.map(\.1))
        // One cost scale (`gapLikelihood`): −ln of a likelihood ratio, so not joining costs 0.
        let model = config.gapLikelihood ? TEMGapLikelihood.measure(tracklets, shapeGate: config.stitchMaxResidual) : nil
        let noJoin = model == nil ? config.stitchMaxResidual + 1e-6 : 0
        let links = (model.map { likelihoodCandidates(tracklets, model: $0, config: config, overlap: overlap) }
                     ?? candidates(tracklets, config: config, overlap: overlap))
            .filter { !joinedEnds.contains($0.a) && !joinedStarts.contains($0.b) }
        // Connected groups of ends and starts (union–find over the candidate links).
        var parent = Array(0..<(2 * tracklets.count))
        func find(_ x: Int) -> Int { var x = x; while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }; return x }
        for l in links { let ra = find(l.a), rb = find(tracklets.count + l.b); if ra != rb { parent[ra] = rb } }
        var groups: [Int: [Link]] = [:]
        for l in links { groups[find(l.a), default: []].append(l) }
        for key in groups.keys.sorted() {
            for (a, b) in assign(groups[key]!, noJoin: noJoin) { next[a] = b }
        }
        return next
    }

    struct Link { var a: Int; var b: Int; var cost: Double }

    /// The piece of a tracklet (`TEMTracklet.id(piece:local:)`).
    static func piece(_ t: TEMTracklet) -> Int64 { t.id / 1_000_000 }

    /// Joins across piece boundaries that the frame-by-frame tracker makes in one pass: an end in
    /// one piece and a start in a later one at most `maxGap + 1` frames apart, the start's first
    /// curve against the end's last whole curve, gated and costed as `TEMTracker.match` does
    /// (curve cost plus `missedFrameCost` per missed frame), one Hungarian over all of them. Costs
    /// stay in the tracker's units: they never compete with the gap-closing costs, which is
    /// what made a boundary start go to an older end of similar shape.
    static func boundaryContinuations(_ tracklets: [TEMTracklet], config: TEMTrackerConfig,
                                      absorbed: Set<Int> = []) -> [(Int, Int)] {
        let reach = config.maxGap + 1
        let byStart = StartOrder(tracklets)
        // Candidate pairs by the start's piece: one small assignment per boundary.
        var byPiece: [Int64: [Link]] = [:]
        for a in tracklets.indices where !absorbed.contains(a) {
            let ta = tracklets[a]
            let ended = lengthRatio(ta.last, ta.end) >= config.keepReferenceBelow ? ta.last : ta.end
            for o in byStart.firstAfter(ta.lastFrame)..<byStart.order.count {
                let b = byStart.order[o], tb = tracklets[b], gap = tb.firstFrame - ta.lastFrame
                if gap > reach { break }
                guard piece(tb) > piece(ta) else { continue }
                let missed = Double(gap - 1)
                let c = CurveMatching.cost(tb.first, ended)
                if c.closeness <= config.gate + config.gatePerMissedFrame * missed {
                    byPiece[piece(tb), default: []].append(Link(a: a, b: b, cost: c.cost + config.missedFrameCost * missed))
                }
            }
        }
        var joins: [(Int, Int)] = [], usedEnds = Set<Int>()
        for key in byPiece.keys.sorted() {
            let links = byPiece[key]!.filter { !usedEnds.contains($0.a) }
            let ends = Array(Set(links.map(\.a))).sorted(), starts = Array(Set(links.map(\.b))).sorted()
            let column = Dictionary(uniqueKeysWithValues: ends.enumerated().map { ($1, $0) })
            let row = Dictionary(uniqueKeysWithValues: starts.enumerated().map { ($1, $0) })
            var matrix = [Double](repeating: .infinity, count: starts.count * ends.count)
            for l in links { matrix[row[l.b]! * ends.count + column[l.a]!] = l.cost }
            let assignment = Hungarian.solve(cost: matrix, rows: starts.count, columns: ends.count)
            for (i, j) in assignment.enumerated() { if let j { joins.append((ends[j], starts[i])); usedEnds.insert(ends[j]) } }
        }
        return joins
    }

    /// Tracklets in order of first frame, so the starts that may follow an end are found by a
    /// binary search instead of a scan (every candidate search below walks them from there).
    struct StartOrder {
        /// Tracklet indices by (first frame, index).
        let order: [Int]
        let firstFrames: [Int]

        init(_ tracklets: [TEMTracklet]) {
            order = tracklets.indices.sorted { (tracklets[$0].firstFrame, $0) < (tracklets[$1].firstFrame, $1) }
            firstFrames = order.map { tracklets[$0].firstFrame }
        }

        /// The position in `order` of the first tracklet that starts after `frame`.
        func firstAfter(_ frame: Int) -> Int {
            var lo = 0, hi = order.count
            while lo < hi { let mid = (lo + hi) / 2; if firstFrames[mid] <= frame { lo = mid + 1 } else { hi = mid } }
            return lo
        }
    }

    /// Candidate joins end a → start b that pass the gates.
    static func candidates(_ tracklets: [TEMTracklet], config: TEMTrackerConfig, overlap: Int) -> [Link] {
        let motion = config.stitchMotionModel
        // With the motion model, positions are compared where the tracklets end and start;
        // shapes always on the representative curves.
        let endBounds = tracklets.map { CurveMatching.bounds(motion ? $0.last : $0.end) }
        let startBounds = tracklets.map { CurveMatching.bounds(motion ? $0.first : $0.start) }
        let byStart = StartOrder(tracklets)
        var links: [Link] = []
        for a in tracklets.indices {
            let ta = tracklets[a]
            let earliest = max(ta.firstFrame, ta.lastFrame - overlap)
            var examined = 0
            for o in byStart.firstAfter(earliest)..<byStart.order.count {
                let b = byStart.order[o], tb = tracklets[b]
                guard b != a, tb.lastFrame > ta.lastFrame else { continue }
                if tb.firstFrame - ta.lastFrame > config.stitchFrames || examined >= candidatesPerEnd { break }
                let dt = Double(max(1, motion ? tb.firstFrame - ta.lastFrame : tb.startFrame - ta.endFrame))
                let reach = config.stitchGlideBase + config.stitchGlidePerFrame * dt
                let moved = motion ? ta.endVelocity * dt : .zero
                let (alo, ahi) = endBounds[a], (blo, bhi) = startBounds[b]
                let rx = reach + abs(moved.x), ry = reach + abs(moved.y)
                if alo.x > bhi.x + rx || blo.x > ahi.x + rx || alo.y > bhi.y + ry || blo.y > ahi.y + ry { continue }
                examined += 1
                let gap = tb.firstFrame - ta.lastFrame
                if motion, gap >= 1, gap <= config.maxGap + 1 {
                    // A short gap (a piece boundary, a dropped frame): the frame-by-frame
                    // tracker's own test, so a video in pieces links as it would in one pass —
                    // the curve distance from where it ended (its last whole curve: a fragment
                    // is not a reference) to where the other starts, gated like a frame link.
                    // Beyond the gate (a jump, or glide during the gap) the shape test below decides.
                    let ended = lengthRatio(ta.last, ta.end) >= config.keepReferenceBelow ? ta.last : ta.end
                    let c = CurveMatching.cost(tb.first, ended)
                    if c.closeness <= config.gate + config.gatePerMissedFrame * Double(gap - 1) {
                        links.append(Link(a: a, b: b, cost: c.cost / config.gate + config.missedFrameCost * Double(gap - 1)))
                        continue
                    }
                }
                guard let shape = CurveMatching.glide(ta.end, tb.start), shape.overlap >= 0.5,
                      shape.residual <= config.stitchMaxResidual else { continue }
                if motion {
                    // Where it ended against where the other started (a fragment at either end
                    // that shares no span falls back to the representatives).
                    let boundary = CurveMatching.glide(ta.last, tb.first).flatMap { $0.overlap >= 0.3 ? $0 : nil }
                    let shift = boundary?.shift ?? shape.shift
                    let deviation = min(abs(shift), abs(shift - predictedShift(boundary == nil ? ta.end : ta.last, moved: moved)))
                    guard deviation <= reach else { continue }
                    // The position error in units of the gate (decisive between pile-up
                    // neighbours, less so as the gap and its uncertainty grow) and the length
                    // ratio (a fragment is a poor continuation of a whole line).
                    links.append(Link(a: a, b: b, cost: shape.residual + deviation / reach + 0.5 * (1 - lengthRatio(ta.end, tb.start))))
                } else {
                    guard abs(shape.shift) <= reach else { continue }
                    links.append(Link(a: a, b: b, cost: shape.residual + config.stitchShiftCost * abs(shape.shift)))
                }
            }
        }
        return links
    }

    /// Candidate joins on one cost scale (`TEMGapLikelihood`): every gap, short or long, by the
    /// same likelihood ratio of position (stand still or go on at the end's velocity, spread
    /// growing with the gap), shape and gap length; only joins more likely than not are kept.
    static func likelihoodCandidates(_ tracklets: [TEMTracklet], model: TEMGapLikelihood, config: TEMTrackerConfig,
                                     overlap: Int) -> [Link] {
        let endBounds = tracklets.map { CurveMatching.bounds($0.last) }
        let startBounds = tracklets.map { CurveMatching.bounds($0.first) }
        let byStart = StartOrder(tracklets)
        var links: [Link] = []
        for a in tracklets.indices {
            let ta = tracklets[a]
            let earliest = max(ta.firstFrame, ta.lastFrame - overlap)
            var examined = 0
            for o in byStart.firstAfter(earliest)..<byStart.order.count {
                let b = byStart.order[o], tb = tracklets[b]
                guard b != a, tb.lastFrame > ta.lastFrame else { continue }
                let gap = tb.firstFrame - ta.lastFrame
                if gap > config.stitchFrames || examined >= candidatesPerEnd { break }
                let reach = model.reach(gap: gap)
                let moved = ta.endVelocity * Double(max(1, gap))
                let (alo, ahi) = endBounds[a], (blo, bhi) = startBounds[b]
                let rx = reach + abs(moved.x), ry = reach + abs(moved.y)
                if alo.x > bhi.x + rx || blo.x > ahi.x + rx || alo.y > bhi.y + ry || blo.y > ahi.y + ry { continue }
                examined += 1
                guard let shape = CurveMatching.glide(ta.end, tb.start), shape.overlap >= 0.5,
                      shape.residual <= model.shapeGate else { continue }
                // Where it ended against where the other started (a fragment at either end that
                // shares little span falls back to the representatives).
                let boundary = CurveMatching.glide(ta.last, tb.first).flatMap { $0.overlap >= 0.3 ? $0 : nil }
                let shift = boundary?.shift ?? shape.shift
                let deviation = min(abs(shift), abs(shift - predictedShift(boundary == nil ? ta.end : ta.last, moved: moved)))
                guard deviation <= reach else { continue }
                let cost = model.cost(deviation: deviation, residual: shape.residual, gap: gap)
                if cost < 0 { links.append(Link(a: a, b: b, cost: cost)) }
            }
        }
        return links
    }

    /// Shorter over longer length of two curves (1: alike, towards 0: one a fragment of the other).
    static func lengthRatio(_ a: [TEMPoint], _ b: [TEMPoint]) -> Double {
        let la = TEMPolyline.length(a), lb = TEMPolyline.length(b)
        return min(la, lb) / max(la, lb, 1e-9)
    }

    /// The end velocity's displacement over the gap along `curve`'s glide direction (the
    /// sign convention of `CurveMatching.glide`: the chord turned by +90°).
    static func predictedShift(_ curve: [TEMPoint], moved: TEMPoint) -> Double {
        guard let p = curve.first, let q = curve.last else { return 0 }
        let chord = q - p
        let l = TEMPolyline.norm(chord)
        guard l > 0 else { return 0 }
        let g = TEMPoint(-chord.y, chord.x) / l
        return moved.x * g.x + moved.y * g.y
    }

    /// The minimum-cost joins of one connected group: the augmented (ends + starts) ×
    /// (starts + ends) matrix — link block, "end stays an end" and "start stays a start"
    /// diagonals, and the transposed link block at zero cost so the dummies pair up.
    static func assign(_ group: [Link], noJoin: Double) -> [(Int, Int)] {
        let rowsA = Array(Set(group.map(\.a))).sorted(), colsB = Array(Set(group.map(\.b))).sorted()
        let ra = Dictionary(uniqueKeysWithValues: rowsA.enumerated().map { ($1, $0) })
        let cb = Dictionary(uniqueKeysWithValues: colsB.enumerated().map { ($1, $0) })
        let n = rowsA.count + colsB.count
        var m = [Double](repeating: .infinity, count: n * n)
        for l in group {
            let i = ra[l.a]!, j = cb[l.b]!
            m[i * n + j] = l.cost
            m[(rowsA.count + j) * n + colsB.count + i] = 0
        }
        for i in rowsA.indices { m[i * n + colsB.count + i] = noJoin }
        for j in colsB.indices { m[(rowsA.count + j) * n + j] = noJoin }
        let assignment = Hungarian.solve(cost: m, rows: n, columns: n)
        return rowsA.indices.compactMap { i in
            guard let j = assignment[i], j < colsB.count else { return nil }
            return (rowsA[i], colsB[j])
        }
    }

    /// Chains of tracklet indices from `next` (each chain in time order), ordered by first tracklet.
    public static func chains(_ next: [Int?]) -> [[Int]] {
        var hasPrevious = [Bool](repeating: false, count: next.count)
        for n in next { if let n { hasPrevious[n] = true } }
        return next.indices.filter { !hasPrevious[$0] }.map { start in
            var chain = [start]
            while let n = next[chain.last!] { chain.append(n) }
            return chain
        }
    }
}
