/// Where a long video's identities are lost (`ctl bench tem --long-frames N --diagnose`): the
/// IDF1 loss split by what holds the lost frames, and every change of the true line a track
/// holds classified by how the track came to hold the other line. For benchmarks, not tracking.
///
/// The frames are matched as `TEMEvaluator` matches them (a track's curves in a frame are one
/// hypothesis; one global truth ↔ track assignment). A track's change from line A to line B is
/// classified by the frames between its last sighting on A and its first on B:
/// - **gap closing**: it went unseen for more than `maxGap + 1` frames (only a gap-closing join,
///   inside a piece or in the final linking, bridges that);
/// - **boundary**: a short gap over a piece boundary (the boundary continuation);
/// - **hand-over**: inside a piece, within the frame tracker's reach;
/// and by whether A and B are of one pile-up, whether A was still in the frame (a departure or a
/// true hand-over), and whether the curve it held on B also covered ≥ 20 px of another line (a
/// curve drawn over two lines).
public enum TEMIdentityDiagnosis {
    /// A printable report. `pieceFrames` 0: one pass (no boundaries).
    public static func report(truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]], tracks: [TEMTrack],
                              maxGap: Int, pieceFrames: Int, matchGate: Double = 3) -> String {
        var trackOf: [Int: Int] = [:]
        for t in tracks { for (f, c) in zip(t.frames, t.curveIndices) { trackOf[f << 20 | c] = t.id } }
        // Per frame: truth id → track holding it; track → truth id it holds (nil: none).
        var heldBy: [[Int: Int]] = [], holds: [[Int: Int?]] = []
        var idtp: [Int: [Int: Int]] = [:], truthFrames: [Int: Int] = [:], pileup: [Int: Int] = [:]
        var hypothesisFrames: [Int: Int] = [:]
        for f in truth.indices {
            let tr = truth[f], de = f < detected.count ? detected[f] : []
            let hyp = TEMEvaluator.trackHypotheses(de, frame: f, trackOf: trackOf)
            let m = CurveMatching.match(tr.map(\.points), hyp.map(\.points), gate: matchGate)
            var h: [Int: Int] = [:], k: [Int: Int?] = [:]
            for x in hyp { k[x.track] = .some(nil); hypothesisFrames[x.track, default: 0] += 1 }
            for (i, d) in tr.enumerated() {
                truthFrames[d.id, default: 0] += 1
                pileup[d.id] = d.pileup
                guard let j = m[i] else { continue }
                h[d.id] = hyp[j].track
                k[hyp[j].track] = .some(d.id)
                idtp[d.id, default: [:]][hyp[j].track, default: 0] += 1
            }
            heldBy.append(h); holds.append(k)
        }
        // The global assignment, as the evaluator makes it.
        let truthIDs = idtp.keys.sorted(), trackIDs = Array(Set(idtp.values.flatMap(\.keys))).sorted()
        var assignedTrack: [Int: Int] = [:], assignedTruth: [Int: Int] = [:]
        if !truthIDs.isEmpty, !trackIDs.isEmpty {
            var cost = [Double](repeating: .infinity, count: truthIDs.count * trackIDs.count)
            let col = Dictionary(uniqueKeysWithValues: trackIDs.enumerated().map { ($1, $0) })
            for (i, t) in truthIDs.enumerated() { for (k, v) in idtp[t]! { cost[i * trackIDs.count + col[k]!] = -Double(v) } }
            for (i, j) in Hungarian.solve(cost: cost, rows: truthIDs.count, columns: trackIDs.count).enumerated() {
                if let j { assignedTrack[truthIDs[i]] = trackIDs[j]; assignedTruth[trackIDs[j]] = truthIDs[i] }
            }
        }
        var out: [String] = []
        // The loss: truth frames off their track, by what holds them.
        var missed = 0, onUnassigned = 0, onOthers = 0, onOwn = 0
        var perTruth: [String] = []
        for id in truthFrames.keys.sorted() {
            let total = truthFrames[id]!, own = assignedTrack[id].flatMap { idtp[id]?[$0] } ?? 0
            var un = 0, other = 0
            for (k, v) in idtp[id] ?? [:] where k != assignedTrack[id] { if assignedTruth[k] == nil { un += v } else { other += v } }
            let held = (idtp[id] ?? [:]).values.reduce(0, +)
            missed += total - held; onUnassigned += un; onOthers += other; onOwn += own
            let top = (idtp[id] ?? [:]).sorted { $0.value > $1.value }.prefix(5)
                .map { "t\($0.key)\($0.key == assignedTrack[id] ? "*" : assignedTruth[$0.key].map { "(=\($0))" } ?? "(-)")×\($0.value)" }
            perTruth.append("  truth \(id) (pile-up \(pileup[id]!)): \(total) frames, \(own) on its track, \(un) on unassigned tracks, \(other) on other lines' tracks, \(total - held) untracked; " + top.joined(separator: " "))
        }
        var wrongOnTrack = 0, emptyOnTrack = 0
        for (k, n) in hypothesisFrames where assignedTruth[k] != nil {
            let right = idtp[assignedTruth[k]!]?[k] ?? 0
            var onOther = 0
            for f in holds.indices { if let x = holds[f][k], let t = x, t != assignedTruth[k] { onOther += 1 } }
            wrongOnTrack += onOther; emptyOnTrack += n - right - onOther
        }
        let unassignedHyp = hypothesisFrames.filter { assignedTruth[$0.key] == nil }.values.reduce(0, +)
        out.append("IDF1 loss: truth frames \(truthFrames.values.reduce(0, +)): \(onOwn) on their track, \(onUnassigned) on unassigned tracks, \(onOthers) on another line's track, \(missed) untracked")
        out.append("  track frames off their line: \(wrongOnTrack) on another line, \(emptyOnTrack) on no line; \(unassignedHyp) frames of unassigned tracks")
        out += perTruth
        // Changes of line inside a track.
        struct Change { var track: Int; var from: Int; var to: Int; var last: Int; var first: Int; var frames: Int
                        var kind: String; var samePileup: Bool; var fromPresent: Bool; var twoLines: Bool }
        var changes: [Change] = []
        let framesOf = Dictionary(uniqueKeysWithValues: tracks.map { ($0.id, Array(Set($0.frames)).sorted()) })
        for t in tracks {
            let fs = framesOf[t.id]!
            var cur: (id: Int, frame: Int, index: Int)?
            var k = 0
            while k < fs.count {
                let f = fs[k]
                guard let x = holds[f][t.id], let id = x else { k += 1; continue }
                if let c = cur, c.id != id {
                    // The run on the new line: frames until it changes again.
                    var run = 0, q = k
                    while q < fs.count { if let y = holds[fs[q]][t.id], let i = y { if i != id { break }; run += 1 }; q += 1 }
                    let previous = fs[k - 1], gap = f - previous
                    let kind = gap > maxGap + 1 ? "gap closing" : (pieceFrames > 0 && previous / pieceFrames != f / pieceFrames ? "boundary" : "hand-over")
                    changes.append(Change(track: t.id, from: c.id, to: id, last: c.frame, first: f, frames: run, kind: kind,
                                          samePileup: pileup[c.id] == pileup[id], fromPresent: truth[f].contains { $0.id == c.id },
                                          twoLines: coversTwoLines(truth[f], detected[f], track: t.id, frame: f, trackOf: trackOf, held: id)))
                }
                cur = (id, f, k)
                k += 1
            }
        }
        out.append("changes of line inside tracks: \(changes.count) (frames = the run on the new line)")
        var groups: [String: (n: Int, frames: Int, harm: Int)] = [:]
        for c in changes {
            let key = "\(c.kind), \(c.samePileup ? "same pile-up" : "other pile-up"), \(c.fromPresent ? "old line still there" : "old line gone"), \(c.twoLines ? "curve over two lines" : "one-line curve")"
            // Harm: frames on a line the track is not assigned to.
            let harm = assignedTruth[c.track] == c.to ? 0 : c.frames
            groups[key, default: (0, 0, 0)].n += 1; groups[key]!.frames += c.frames; groups[key]!.harm += harm
        }
        for (key, g) in groups.sorted(by: { $0.value.harm > $1.value.harm }) {
            out.append("  \(g.n) × \(key): \(g.frames) frames on the new line, \(g.harm) of them off the track's assigned line")
        }
        out.append("  largest (track, line a → b, frames, kind):")
        for c in changes.sorted(by: { $0.frames > $1.frames }).prefix(15) {
            out.append("    t\(c.track) (=\(assignedTruth[c.track].map(String.init) ?? "-")) \(c.from)→\(c.to) f\(c.last)→\(c.first) ×\(c.frames): \(c.kind)\(c.samePileup ? "" : ", other pile-up")\(c.fromPresent ? "" : ", old line gone")\(c.twoLines ? ", two-line curve" : "")")
        }
        // Tracks that never held their assigned line: duplicates and fragments.
        let unassigned = hypothesisFrames.keys.filter { assignedTruth[$0] == nil }
        var dupFrames = 0, dupTracks = 0, dupConcurrent = 0
        for k in unassigned {
            let on = (idtp.values.compactMap { $0[k] }).reduce(0, +)
            guard on > 0 else { continue }
            dupTracks += 1; dupFrames += on
            // Frames where the line it holds is held by no other track at the same time (a gap
            // of the real track) vs the real track is elsewhere (it took the whole line).
            for f in framesOf[k]! { if let x = holds[f][k], let id = x, let a = assignedTrack[id], a != k, holds[f][a] == nil { dupConcurrent += 1 } }
        }
        out.append("unassigned tracks on a line: \(dupTracks), \(dupFrames) frames (\(dupConcurrent) of them while the line's own track was alive nowhere in that frame)")
        return out.joined(separator: "\n")
    }

    /// Whether the track's hypothesis in frame f, matched to line `held`, also lies along 20 px
    /// or more of another true line (within 2 px).
    static func coversTwoLines(_ truth: [TEMTruthDislocation], _ curves: [[TEMPoint]], track: Int, frame f: Int,
                               trackOf: [Int: Int], held: Int) -> Bool {
        let points = curves.indices.filter { trackOf[f << 20 | $0] == track }.flatMap { TEMPolyline.resample(curves[$0], spacing: 1) }
        for d in truth where d.id != held {
            let grid = PointGrid(TEMPolyline.resample(d.points, spacing: 0.5), cell: 2)
            if points.reduce(0, { $0 + (grid.hasPoint(within: 2, of: $1) ? 1 : 0) }) >= 20 { return true }
        }
        return false
    }
}
