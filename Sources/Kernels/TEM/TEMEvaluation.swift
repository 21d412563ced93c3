/// Scores of detected and tracked curves against the synthetic ground truth.
public struct TEMEvaluation: Codable, Sendable, Equatable {
    /// Centreline precision, recall and F1 at `tolerance` px, over all frames.
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// The paper's length metric: mean over true dislocations (all frames) of
    /// max(0, 1 − |L_pred − L_true| / L_true) for the matched curve, 0 when unmatched.
    public var lengthScore: Double
    /// Identity F1 of the tracks: 2·IDTP / (true detections + tracked detections); curves left
    /// out of every track (dropped as noise by the tracker) do not count as tracked detections,
    /// and a track's curves in one frame (the pieces of a cut line) count as one detection.
    public var idf1: Double
    /// MOTA, HOTA and identity switches of the tracks (same matching gate as IDF1).
    public var tracking: TEMTrackingScores
    public var truthDetections: Int
    public var predictedDetections: Int
    public var tolerance: Double
}

/// The evaluation (`ctl eval tem`), pure.
public enum TEMEvaluator {
    /// - Parameters:
    ///   - truth: `truth[f]`, the true dislocations of frame f.
    ///   - detected: `detected[f]`, the detected curves of frame f (points of each).
    ///   - tracks: tracks over `detected` (frame, curve index), e.g. from `TEMTracker`.
    ///   - matchGate: largest curve distance (px) for a true/detected match (length and IDF1).
    public static func evaluate(truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]], tracks: [TEMTrack],
                                tolerance: Double = 2, matchGate: Double = 3) -> TEMEvaluation {
        var tpPred = 0, nPred = 0, tpTrue = 0, nTrue = 0
        var lengthSum = 0.0, nDislocations = 0
        var trackOf: [Int: Int] = [:] // frame << 20 | curve index → track id
        for t in tracks { for (f, c) in zip(t.frames, t.curveIndices) { trackOf[f << 20 | c] = t.id } }
        var trackedDetections = 0
        var idtp: [Int: [Int: Int]] = [:] // truth id → track id → frames matched
        var truthFrames = 0, predFrames = 0
        var mot = TEMTrackingScoresAccumulator()
        for f in 0..<max(truth.count, detected.count) {
            let tr = f < truth.count ? truth[f] : []
            let de = f < detected.count ? detected[f] : []
            truthFrames += tr.count
            predFrames += de.count
            let truthDense = tr.map { TEMPolyline.resample($0.points, spacing: 0.25) }
            let predDense = de.map { TEMPolyline.resample($0, spacing: 0.25) }
            let truthGrid = PointGrid(truthDense.flatMap { $0 }, cell: tolerance)
            let predGrid = PointGrid(predDense.flatMap { $0 }, cell: tolerance)
            for c in de {
                for p in TEMPolyline.resample(c, spacing: 1) {
                    nPred += 1
                    if truthGrid.hasPoint(within: tolerance, of: p) { tpPred += 1 }
                }
            }
            for d in tr {
                for p in TEMPolyline.resample(d.points, spacing: 1) {
                    nTrue += 1
                    if predGrid.hasPoint(within: tolerance, of: p) { tpTrue += 1 }
                }
            }
            let m = CurveMatching.match(tr.map(\.points), de, gate: matchGate)
            for (i, d) in tr.enumerated() {
                nDislocations += 1
                guard let j = m[i] else { continue }
                let lt = TEMPolyline.length(d.points), lp = TEMPolyline.length(de[j])
                if lt > 0 { lengthSum += max(0, 1 - abs(lp - lt) / lt) }
            }
            // The tracks' hypotheses of the frame: a track's curves in it taken together (a
            // tracker that joins the pieces of a cut line claims one dislocation, not several).
            let hypotheses = trackHypotheses(de, frame: f, trackOf: trackOf)
            trackedDetections += hypotheses.count
            let hm = CurveMatching.match(tr.map(\.points), hypotheses.map(\.points), gate: matchGate)
            for (i, d) in tr.enumerated() {
                if let j = hm[i] { idtp[d.id, default: [:]][hypotheses[j].track, default: 0] += 1 }
            }
            mot.add(truth: tr.map(\.id), tracks: hypotheses.map(\.track), match: hm)
        }
        // Global one-to-one truth ↔ track assignment maximising matched frames.
        let truthIDs = Array(idtp.keys).sorted()
        let trackIDs = Array(Set(idtp.values.flatMap(\.keys))).sorted()
        var total = 0
        if !truthIDs.isEmpty && !trackIDs.isEmpty {
            var cost = [Double](repeating: .infinity, count: truthIDs.count * trackIDs.count)
            let col = Dictionary(uniqueKeysWithValues: trackIDs.enumerated().map { ($1, $0) })
            for (i, t) in truthIDs.enumerated() { for (k, v) in idtp[t]! { cost[i * trackIDs.count + col[k]!] = -Double(v) } }
            let a = Hungarian.solve(cost: cost, rows: truthIDs.count, columns: trackIDs.count)
            for (i, j) in a.enumerated() { if let j { total += idtp[truthIDs[i]]![trackIDs[j]] ?? 0 } }
        }
        let precision = nPred > 0 ? Double(tpPred) / Double(nPred) : 1
        let recall = nTrue > 0 ? Double(tpTrue) / Double(nTrue) : 1
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return TEMEvaluation(
            precision: precision, recall: recall, f1: f1,
            lengthScore: nDislocations > 0 ? lengthSum / Double(nDislocations) : 1,
            idf1: truthFrames + trackedDetections > 0 ? 2 * Double(total) / Double(truthFrames + trackedDetections) : 1,
            tracking: mot.scores(), truthDetections: truthFrames, predictedDetections: predFrames, tolerance: tolerance)
    }
}

extension TEMEvaluator {
    /// Per track seen in frame `f`, the points of its curves there, pieces ordered along the line.
    static func trackHypotheses(_ curves: [[TEMPoint]], frame f: Int, trackOf: [Int: Int]) -> [(track: Int, points: [TEMPoint])] {
        var byTrack: [Int: [Int]] = [:]
        for c in curves.indices { if let t = trackOf[f << 20 | c] { byTrack[t, default: []].append(c) } }
        return byTrack.keys.sorted().map { t in
            let members = byTrack[t]!
            guard members.count > 1 else { return (t, curves[members[0]]) }
            return (t, TEMFragmentGrouping.observations(members.map { curves[$0] }).curves.flatMap { $0 })
        }
    }
}

/// Points hashed into square cells for "is any point within r" queries (r ≤ cell) and for the
/// nearest point at any distance (`nearest(to:)`).
struct PointGrid {
    private var cells: [Int64: [TEMPoint]] = [:]
    private let cell: Double
    /// Points held, and the bounding box of their cells (for `nearest`).
    private(set) var count = 0
    private var lo = (x: Int.max, y: Int.max), hi = (x: Int.min, y: Int.min)

    init(_ points: [TEMPoint], cell: Double) {
        self.cell = cell
        for p in points {
            let i = Int((p.x / cell).rounded(.down)), j = Int((p.y / cell).rounded(.down))
            cells[key(i, j), default: []].append(p)
            lo = (min(lo.x, i), min(lo.y, j)); hi = (max(hi.x, i), max(hi.y, j))
        }
        count = points.count
    }

    private func key(_ i: Int, _ j: Int) -> Int64 { Int64(i) << 32 ^ Int64(UInt32(bitPattern: Int32(truncatingIfNeeded: j))) }

    var isEmpty: Bool { cells.isEmpty }

    func hasPoint(within r: Double, of p: TEMPoint) -> Bool {
        let ci = Int((p.x / cell).rounded(.down)), cj = Int((p.y / cell).rounded(.down))
        let r2 = r * r
        for dj in -1...1 {
            for di in -1...1 {
                guard let list = cells[key(ci + di, cj + dj)] else { continue }
                for q in list {
                    let d = q - p
                    if d.x * d.x + d.y * d.y <= r2 { return true }
                }
            }
        }
        return false
    }

    /// The nearest point to `p` and its distance, at any distance (nil when there are no points).
    /// Rings of cells outwards from `p`'s cell, starting at the first ring that reaches the
    /// points' cells; once the rings would have looked at more cells than there are points (a
    /// query far from them, or a fine cell), a scan of every point finishes instead, so a query
    /// never costs more than about two plain scans (`TEMTemporalGhosts`).
    func nearest(to p: TEMPoint) -> (point: TEMPoint, distance: Double)? {
        guard !cells.isEmpty else { return nil }
        let ci = Int((p.x / cell).rounded(.down)), cj = Int((p.y / cell).rounded(.down))
        let maxRing = max(abs(ci - lo.x), abs(ci - hi.x), abs(cj - lo.y), abs(cj - hi.y))
        // Rings nearer than the points' bounding box of cells hold nothing.
        var r = max(0, lo.x - ci, ci - hi.x, lo.y - cj, cj - hi.y)
        var best: TEMPoint?
        var best2 = Double.infinity
        var visited = 0
        @inline(__always) func look(_ list: [TEMPoint]) {
            for q in list {
                let d = q - p
                let d2 = d.x * d.x + d.y * d.y
                if d2 < best2 { best2 = d2; best = q }
            }
        }
        @inline(__always) func visit(_ i: Int, _ j: Int) {
            if let list = cells[key(i, j)] { look(list) }
        }
        while r <= maxRing {
            // A point in ring r is at least (r − 1)·cell away.
            if best != nil {
                let reach = Double(r - 1) * cell
                if reach > 0 && reach * reach > best2 { break }
            }
            visited += r == 0 ? 1 : 8 * r
            if visited > count {
                for list in cells.values { look(list) }
                break
            }
            if r == 0 {
                visit(ci, cj)
            } else {
                for di in -r...r { visit(ci + di, cj - r); visit(ci + di, cj + r) }
                for dj in (1 - r)..<r { visit(ci - r, cj + dj); visit(ci + r, cj + dj) }
            }
            r += 1
        }
        guard let best else { return nil }
        return (best, best2.squareRoot())
    }
}
