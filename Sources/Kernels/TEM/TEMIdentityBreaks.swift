/// Where a short video's identities are lost, break by break (`ctl bench tem --draws N
/// --diagnose`): each place a true line passes from one track to another is classified by what
/// happened there, and the frames the line spends off its own track are charged to the break
/// that put them there. For benchmarks, not tracking.
///
/// Frames are matched as `TEMEvaluator` matches them (a track's curves in a frame are one
/// hypothesis; one global truth ↔ track assignment), so the frames charged here and the
/// hypotheses on no line are the IDF1 loss. A break between sightings in frames f₁ (track A) and
/// f₂ (track B) takes the first cause that holds:
/// - **dropped frame**: the camera skipped time between the two (`TEMStageMotion.time`);
/// - **piece boundary**: f₁ and f₂ lie in different tracking pieces (the final linking);
/// - **unseen**: the line went unmatched for more than the frame tracker's reach (`maxGap + 1`);
/// - **pieces side by side / end to end**: in f₁ or f₂ the line is covered by two or more
///   detected curves (10 px or more of each within 2 px of it), two of them sharing half the
///   shorter's span along the line (a double image, a duplicate trace) or not (a cut line);
/// - **crossing**: another true line crosses it in f₂;
/// - **close pair**: another true line runs beside it in f₂ within the tracker's gate;
/// - **glide jump**: the line moved more than the tracker's gate between the two;
/// - **entry**: the line appeared within the tracker's reach before f₂;
/// - **hand-over**: none of these.
/// A break is also told by whether A goes on holding the line after f₂ (two tracks on one line
/// at once: a duplicate or turn-taking) or not (a track ended and the next was not joined to it).
public enum TEMIdentityBreaks {
    public enum Cause: String, CaseIterable, Codable, Sendable {
        case droppedFrame = "dropped frame", pieceBoundary = "piece boundary", unseen = "unseen"
        case piecesSideBySide = "pieces side by side", piecesEndToEnd = "pieces end to end", crossing = "crossing", closePair = "close pair", glideJump = "glide jump"
        case entry = "entry", handOver = "hand-over"
    }

    /// The loss of one video, in frames.
    public struct Summary: Codable, Sendable, Equatable {
        /// Per cause (`Cause.rawValue`, with " (concurrent)" when the old track goes on on the
        /// line): breaks, and the line's frames charged to them (off its assigned track).
        public var breaks: [String: Int] = [:]
        public var frames: [String: Int] = [:]
        /// True frames matched by no hypothesis (not detected, or their curve on no track).
        public var untracked = 0
        /// Hypotheses matched to no true line (false curves tracked, and second hypotheses on a
        /// line another hypothesis holds); of them, those lying on a true line (half their
        /// points or more within the match gate of one).
        public var falseHypotheses = 0, secondOnLine = 0
        /// True frames and hypotheses (IDF1's denominator).
        public var truthFrames = 0, hypotheses = 0

        public init() {}

        /// Two summaries added.
        public static func + (a: Summary, b: Summary) -> Summary {
            var s = a
            for (k, v) in b.breaks { s.breaks[k, default: 0] += v }
            for (k, v) in b.frames { s.frames[k, default: 0] += v }
            s.untracked += b.untracked; s.falseHypotheses += b.falseHypotheses; s.secondOnLine += b.secondOnLine
            s.truthFrames += b.truthFrames; s.hypotheses += b.hypotheses
            return s
        }
    }

    /// The breaks of `tracks` over `detected` against `truth`. `time`: the physical time step of
    /// each frame (nil: none dropped); `pieceFrames` 0: tracked in one pass.
    public static func summary(truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]], tracks: [TEMTrack],
                               time: [Int]?, pieceFrames: Int, config: TEMTrackerConfig, matchGate: Double = 3) -> Summary {
        var s = Summary()
        var trackOf: [Int: Int] = [:]
        for t in tracks { for (f, c) in zip(t.frames, t.curveIndices) { trackOf[f << 20 | c] = t.id } }
        // Per line, its sightings (frame, track); per frame, the track holding each line.
        var sightings: [Int: [(frame: Int, track: Int)]] = [:], firstSeen: [Int: Int] = [:]
        var idtp: [Int: [Int: Int]] = [:]
        for f in truth.indices {
            let tr = truth[f], de = f < detected.count ? detected[f] : []
            let hyp = TEMEvaluator.trackHypotheses(de, frame: f, trackOf: trackOf)
            let m = CurveMatching.match(tr.map(\.points), hyp.map(\.points), gate: matchGate)
            s.truthFrames += tr.count; s.hypotheses += hyp.count
            s.falseHypotheses += hyp.count - m.compactMap { $0 }.count
            let matched = Set(m.compactMap { $0 })
            if matched.count < hyp.count {
                let grids = tr.map { PointGrid(TEMPolyline.resample($0.points, spacing: 0.5), cell: matchGate) }
                for j in hyp.indices where !matched.contains(j) {
                    let points = TEMPolyline.resample(hyp[j].points, spacing: 1)
                    if grids.contains(where: { g in 2 * points.filter { g.hasPoint(within: matchGate, of: $0) }.count >= points.count }) {
                        s.secondOnLine += 1
                    }
                }
            }
            for (i, d) in tr.enumerated() {
                if firstSeen[d.id] == nil { firstSeen[d.id] = f }
                guard let j = m[i] else { s.untracked += 1; continue }
                sightings[d.id, default: []].append((f, hyp[j].track))
                idtp[d.id, default: [:]][hyp[j].track, default: 0] += 1
            }
        }
        let assigned = assignment(idtp)
        let reach = config.maxGap + 1
        for (id, seen) in sightings {
            // Runs of sightings on one track, and the cause of each change.
            var runs: [(track: Int, frames: Int)] = [], causes: [String] = []
            for (k, x) in seen.enumerated() {
                if k > 0, seen[k - 1].track == x.track { runs[runs.count - 1].frames += 1; continue }
                if k > 0 {
                    let a = seen[k - 1], concurrent = seen[(k + 1)...].contains { $0.track == a.track }
                    let c = cause(line: id, from: a.frame, to: x.frame, truth: truth, detected: detected, time: time,
                                  pieceFrames: pieceFrames, reach: reach, gate: config.gate, firstSeen: firstSeen[id]!)
                    causes.append(c.rawValue + (concurrent ? " (concurrent)" : ""))
                }
                runs.append((x.track, 1))
            }
            for c in causes { s.breaks[c, default: 0] += 1 }
            // A run off the line's track is charged to the break that began it (the first run
            // to the break that ended it).
            for (k, r) in runs.enumerated() where r.track != assigned[id] {
                guard !causes.isEmpty else { continue }
                s.frames[causes[k > 0 ? k - 1 : 0], default: 0] += r.frames
            }
        }
        return s
    }

    /// The global one-to-one truth → track assignment maximising matched frames (as the evaluator's).
    static func assignment(_ idtp: [Int: [Int: Int]]) -> [Int: Int] {
        let truthIDs = idtp.keys.sorted(), trackIDs = Array(Set(idtp.values.flatMap(\.keys))).sorted()
        guard !truthIDs.isEmpty, !trackIDs.isEmpty else { return [:] }
        var cost = [Double](repeating: .infinity, count: truthIDs.count * trackIDs.count)
        let col = Dictionary(uniqueKeysWithValues: trackIDs.enumerated().map { ($1, $0) })
        for (i, t) in truthIDs.enumerated() { for (k, v) in idtp[t]! { cost[i * trackIDs.count + col[k]!] = -Double(v) } }
        var out: [Int: Int] = [:]
        for (i, j) in Hungarian.solve(cost: cost, rows: truthIDs.count, columns: trackIDs.count).enumerated() {
            if let j { out[truthIDs[i]] = trackIDs[j] }
        }
        return out
    }

    /// The first cause that holds for line `id` passing between tracks from frame `a` to `b`.
    static func cause(line id: Int, from a: Int, to b: Int, truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]],
                      time: [Int]?, pieceFrames: Int, reach: Int, gate: Double, firstSeen: Int) -> Cause {
        if let time, time[b] - time[a] > b - a { return .droppedFrame }
        if pieceFrames > 0, a / pieceFrames != b / pieceFrames { return .pieceBoundary }
        if b - a > reach { return .unseen }
        guard let la = truth[a].first(where: { $0.id == id }), let lb = truth[b].first(where: { $0.id == id }) else { return .handOver }
        let pb = pieces(lb.points, b < detected.count ? detected[b] : []), pa = pieces(la.points, a < detected.count ? detected[a] : [])
        if pb != nil || pa != nil { return pb == .piecesSideBySide || pa == .piecesSideBySide ? .piecesSideBySide : .piecesEndToEnd }
        let others = truth[b].filter { $0.id != id }
        if others.contains(where: { crosses($0.points, lb.points) }) { return .crossing }
        if others.contains(where: { besides($0.points, lb.points, within: gate) }) { return .closePair }
        if TEMPolyline.meanClosestDistance(from: lb.points, to: la.points) > gate { return .glideJump }
        if b - firstSeen <= reach { return .entry }
        return .handOver
    }

    /// Whether two or more detected curves lie along the line (10 px or more of each within
    /// 2 px of it), and if so whether two of them share half the shorter's span along the line
    /// (side by side) or none do (end to end); nil: fewer than two.
    static func pieces(_ line: [TEMPoint], _ curves: [[TEMPoint]]) -> Cause? {
        let dense = TEMPolyline.resample(line, spacing: 0.5)
        guard dense.count >= 2 else { return nil }
        let grid = PointGrid(dense, cell: 2)
        // Each piece's span along the line: the arc positions of the line points nearest its points.
        var spans: [(Double, Double)] = []
        for c in curves {
            let near = TEMPolyline.resample(c, spacing: 1).filter { grid.hasPoint(within: 2, of: $0) }
            guard near.count >= 10 else { continue }
            let arcs = near.map { p in 0.5 * Double(dense.indices.min { TEMPolyline.dist(dense[$0], p) < TEMPolyline.dist(dense[$1], p) }!) }
            spans.append((arcs.min()!, arcs.max()!))
        }
        guard spans.count >= 2 else { return nil }
        for i in spans.indices {
            for j in spans.indices where j > i {
                let shared = min(spans[i].1, spans[j].1) - max(spans[i].0, spans[j].0)
                if 2 * shared >= min(spans[i].1 - spans[i].0, spans[j].1 - spans[j].0) { return .piecesSideBySide }
            }
        }
        return .piecesEndToEnd
    }

    /// Whether two polylines cross (any two segments intersect).
    static func crosses(_ p: [TEMPoint], _ q: [TEMPoint]) -> Bool {
        guard p.count >= 2, q.count >= 2 else { return false }
        let (plo, phi) = CurveMatching.bounds(p), (qlo, qhi) = CurveMatching.bounds(q)
        if plo.x > qhi.x || qlo.x > phi.x || plo.y > qhi.y || qlo.y > phi.y { return false }
        func side(_ o: TEMPoint, _ a: TEMPoint, _ b: TEMPoint) -> Double { (a - o).x * (b - o).y - (a - o).y * (b - o).x }
        for i in 1..<p.count {
            for j in 1..<q.count {
                let d1 = side(q[j - 1], q[j], p[i - 1]), d2 = side(q[j - 1], q[j], p[i])
                let d3 = side(p[i - 1], p[i], q[j - 1]), d4 = side(p[i - 1], p[i], q[j])
                if d1 * d2 < 0, d3 * d4 < 0 { return true }
            }
        }
        return false
    }

    /// Whether `other` runs beside `line`: a quarter or more of the line's points within `d` px of it.
    static func besides(_ other: [TEMPoint], _ line: [TEMPoint], within d: Double) -> Bool {
        let points = TEMPolyline.resample(line, spacing: 1)
        guard !points.isEmpty else { return false }
        let near = points.filter { p in zip(other, other.dropFirst()).contains { TEMPolyline.segmentDistance(p, $0, $1) <= d } }
        return 4 * near.count >= points.count
    }

    /// A printable table of a summary: the loss, then the causes by frames charged.
    public static func report(_ s: Summary) -> String {
        var out = ["identity loss: \(s.truthFrames) true frames, \(s.hypotheses) hypotheses; \(s.untracked) true frames untracked, \(s.falseHypotheses) hypotheses matched to no line (\(s.secondOnLine) of them on a line another holds); frames off their line's track by the break that began them:"]
        for (k, v) in s.frames.sorted(by: { ($0.value, $0.key) > ($1.value, $1.key) }) {
            out.append("  \(k): \(v) frames, \(s.breaks[k] ?? 0) breaks")
        }
        for (k, v) in s.breaks.sorted(by: { $0.key < $1.key }) where s.frames[k] == nil {
            out.append("  \(k): 0 frames, \(v) breaks")
        }
        return out.joined(separator: "\n")
    }
}
