/// What a track's several curves in one frame are (`ctl bench tem --draws N --diagnose`): a
/// tracker that folds a second piece into a line's observation (fragment grouping, absorption,
/// `joinTurnsFoldsPieces`, `joinCollinearPieces`) is right when the pieces lie on one true line
/// and wrong when they lie on two. For benchmarks, not tracking.
///
/// Each curve of a (frame, track) with two or more curves is put on the true line half or more of
/// its points lie within the match gate of (the line holding most of them), else on none. The
/// fold is **one line** when every placed curve is on one line, **two lines** when they are on
/// two or more, **false** when a curve is on none. For two lines, the gap between the true
/// lines' facing ends (closest pair of end points) is recorded per frame, so a pair folded over
/// several frames shows whether the gap is a fixed distance or closes.
public enum TEMFoldedCurves {
    /// Folds of one video (summed over draws with `+`).
    public struct Summary: Codable, Sendable, Equatable {
        /// (frame, track) pairs with two or more curves, by kind.
        public var oneLine = 0, twoLines = 0, falsePiece = 0
        /// Of the two-line folds: both lines of one pile-up.
        public var twoLinesSamePileup = 0
        /// Per (track, pair of true lines) folded: frames, the true facing-end gap's median and
        /// its range (max − min) over those frames, px; and whether the two are of one pile-up.
        public var pairs: [Pair] = []
        /// The detected gap between the two curves' facing ends in each one-line and two-line
        /// fold, px (the first two curves on distinct lines for two lines).
        public var detectedGapOneLine: [Double] = [], detectedGapTwoLines: [Double] = []

        public struct Pair: Codable, Sendable, Equatable {
            public var frames: Int, gapMedian: Double, gapRange: Double, samePileup: Bool
        }

        public init() {}

        public static func + (a: Summary, b: Summary) -> Summary {
            var s = a
            s.oneLine += b.oneLine; s.twoLines += b.twoLines; s.falsePiece += b.falsePiece
            s.twoLinesSamePileup += b.twoLinesSamePileup; s.pairs += b.pairs
            s.detectedGapOneLine += b.detectedGapOneLine; s.detectedGapTwoLines += b.detectedGapTwoLines
            return s
        }
    }

    /// The folds of `tracks` (curve indices into `detected`, several per frame where folded)
    /// against `truth`.
    public static func summary(truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]], tracks: [TEMTrack],
                               matchGate: Double = 3) -> Summary {
        var s = Summary()
        // Per frame, the track's curves.
        var byFrame: [Int: [Int: [Int]]] = [:]
        for t in tracks { for (f, c) in zip(t.frames, t.curveIndices) { byFrame[f, default: [:]][t.id, default: []].append(c) } }
        // (track, line a, line b) → true gaps per frame.
        var gaps: [[Int]: [Double]] = [:], pileupOf: [Int: Int] = [:]
        for f in byFrame.keys.sorted() where f < truth.count && f < detected.count {
            let folded = byFrame[f]!.filter { $0.value.count > 1 }
            guard !folded.isEmpty else { continue }
            let lines = truth[f]
            for l in lines { pileupOf[l.id] = l.pileup }
            let grids = lines.map { PointGrid(TEMPolyline.resample($0.points, spacing: 0.5), cell: matchGate) }
            func line(_ c: [TEMPoint]) -> Int? {
                let points = TEMPolyline.resample(c, spacing: 1)
                guard !points.isEmpty else { return nil }
                let near = grids.map { g in points.filter { g.hasPoint(within: matchGate, of: $0) }.count }
                guard let best = near.indices.max(by: { near[$0] < near[$1] }), 2 * near[best] >= points.count else { return nil }
                return best
            }
            for (track, members) in folded.sorted(by: { $0.key < $1.key }) {
                let on = members.map { line(detected[f][$0]) }
                let placed = Set(on.compactMap { $0 })
                if on.contains(where: { $0 == nil }) { s.falsePiece += 1; continue }
                if placed.count == 1 {
                    s.oneLine += 1
                    s.detectedGapOneLine.append(endGap(detected[f][members[0]], detected[f][members[1]]))
                    continue
                }
                s.twoLines += 1
                let i = on[0]!, k = on.firstIndex { $0 != i }!, j = on[k]!
                s.detectedGapTwoLines.append(endGap(detected[f][members[0]], detected[f][members[k]]))
                let a = min(lines[i].id, lines[j].id), b = max(lines[i].id, lines[j].id)
                if lines[i].pileup == lines[j].pileup { s.twoLinesSamePileup += 1 }
                gaps[[track, a, b], default: []].append(endGap(lines[i].points, lines[j].points))
            }
        }
        for (k, g) in gaps.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let sorted = g.sorted()
            s.pairs.append(Summary.Pair(frames: g.count, gapMedian: sorted[sorted.count / 2], gapRange: sorted.last! - sorted[0],
                                        samePileup: pileupOf[k[1]] == pileupOf[k[2]]))
        }
        return s
    }

    /// The distance between two curves' closest pair of end points, px.
    static func endGap(_ a: [TEMPoint], _ b: [TEMPoint]) -> Double {
        guard let a0 = a.first, let a1 = a.last, let b0 = b.first, let b1 = b.last else { return .infinity }
        return min(TEMPolyline.dist(a0, b0), TEMPolyline.dist(a0, b1), TEMPolyline.dist(a1, b0), TEMPolyline.dist(a1, b1))
    }

    /// A printable line of a summary.
    public static func report(_ s: Summary) -> String {
        func q(_ v: [Double], _ p: Double) -> String {
            guard !v.isEmpty else { return "-" }
            let sorted = v.sorted()
            return TEMBenchmark.fmt(sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))], 1)
        }
        let pairGaps = s.pairs.map(\.gapMedian), ranges = s.pairs.map(\.gapRange)
        return "folded curves (a track's 2+ curves in a frame): one line \(s.oneLine), two lines \(s.twoLines) "
            + "(\(s.twoLinesSamePileup) of one pile-up), a false piece \(s.falsePiece); detected facing-end gap one line "
            + "median \(q(s.detectedGapOneLine, 0.5)) / p90 \(q(s.detectedGapOneLine, 0.9)) px, two lines median "
            + "\(q(s.detectedGapTwoLines, 0.5)) / p10 \(q(s.detectedGapTwoLines, 0.1)) px; two-line pairs \(s.pairs.count) "
            + "(\(s.pairs.filter(\.samePileup).count) of one pile-up, frames \(s.pairs.map(\.frames).reduce(0, +))), true gap "
            + "median \(q(pairGaps, 0.5)) (p10 \(q(pairGaps, 0.1)), p90 \(q(pairGaps, 0.9))) px, its range over the pair's "
            + "frames median \(q(ranges, 0.5)) / p90 \(q(ranges, 0.9)) px"
    }
}
