@testable import Kernels
import XCTest

/// A double line's pieces, which change order across the line from frame to frame, made one track
/// (`TEMTrackerConfig.doubleLineOrder`, `TEMLineOrder`), as on medium draw 205 (docs/tem.md,
/// tem-track25); a close pair, which keeps its order, left two.
final class TEMLineOrderTests: XCTestCase {
    /// A bowed, roughly vertical curve through x over rows `i` (y = 20 + 2i), moved `dx` along its
    /// normal, jittered across by ±0.15 px.
    func curve(x: Double, dx: Double = 0, rows: ClosedRange<Int> = 0...60, frame: Int, salt: Int) -> [TEMPoint] {
        TEMBowedTestCurve.points(x: x, dx: dx, rows: rows, frame: frame, salt: salt)
    }

    func track(_ curves: [[[TEMPoint]]], order: Bool, refusable: Bool = false, byFrame: Bool = false) -> [TEMTrack] {
        var c = TEMTrackerConfig()
        c.doubleLineOrder = order
        c.doubleLineOrderRefusable = refusable
        c.doubleLineOrderByFrame = byFrame
        return TEMPiecewiseTracking.track(curves, framesPerPiece: 20, config: c)
    }

    /// Which edge the upper piece of the double line lies on in frame `f` (a fixed scramble, no
    /// pattern the runs test would call clustered).
    static let upperLeft = [true, false, false, true, false, true, true, false, true, false,
                            false, true, false, true, true, false, false, true, false, true]

    /// Per frame: a double line at x 100 (edges 2.4 px apart) read as two overlapping pieces, the
    /// upper (rows 0–45) and the lower (rows 15–60), on opposite edges, which edge changing from
    /// frame to frame; a close pair 4 px apart at x 160 (one shape, gliding together). All glide
    /// 0.4 px a frame.
    func video(frames: Int = 40) -> [[[TEMPoint]]] {
        (0..<frames).map { f in
            let g = 0.4 * Double(f), side = Self.upperLeft[f % Self.upperLeft.count] ? -1.2 : 1.2
            return [curve(x: 100 + g, dx: side, rows: 0...45, frame: f, salt: 0),
                    curve(x: 100 + g, dx: -side, rows: 15...60, frame: f, salt: 1),
                    curve(x: 160 + g, frame: f, salt: 2), curve(x: 164 + g, frame: f, salt: 3)]
        }
    }

    func testADoubleLinesSwappingPiecesAreOneTrackAndAClosePairStaysTwo() {
        checkTheDoubleLineIsOneTrack(refusable: false, byFrame: false)
    }

    /// As above with the pairs read only where the runs test can refuse and the fold by frame
    /// (`doubleLineOrderRefusable`, `doubleLineOrderByFrame`): the double line's pieces are side
    /// by side in every frame, 10 on each side per piece of 20, so nothing changes.
    func testADoubleLinesSwappingPiecesAreOneTrackWithTheRefusableRuleByFrame() {
        checkTheDoubleLineIsOneTrack(refusable: true, byFrame: true)
    }

    func checkTheDoubleLineIsOneTrack(refusable: Bool, byFrame: Bool, line: UInt = #line) {
        let curves = video()
        let plain = track(curves, order: false, refusable: refusable, byFrame: byFrame)
        XCTAssertEqual(plain.count, 4, "each piece a track of its own", line: line)
        let folded = track(curves, order: true, refusable: refusable, byFrame: byFrame)
        XCTAssertEqual(folded.count, 3, line: line)
        XCTAssertEqual(folded.map(\.frames.count).reduce(0, +), curves.map(\.count).reduce(0, +), "every curve on a track", line: line)
        for t in folded {
            // One line per track, read at y = 80 (on every piece): the double line's edges at
            // x ≈ 106 ± 1.2 + glide, the pair at 166 / 170 + glide.
            let xs = zip(t.frames, t.curveIndices).map { f, c in
                (curves[f][c].min { abs($0.y - 80) < abs($1.y - 80) }?.x ?? 0) - 0.4 * Double(f)
            }
            XCTAssertLessThan(xs.max()! - xs.min()!, 3, "one line per track", line: line)
        }
        let pair = folded.filter { t in zip(t.frames, t.curveIndices).allSatisfy { $1 >= 2 } }
        XCTAssertEqual(pair.count, 2, "the close pair keeps two identities", line: line)
    }

    /// The rule on offsets alone: a kept order, the tracker's exchange of two lines (one change,
    /// two long runs), a braid, and pieces on top of each other.
    func testOrderKeptOrExchangedOnceIsTwoLinesAndABraidIsOne() {
        func sides(_ shifts: [Double]) -> [TEMLineOrder.Side] {
            shifts.enumerated().map { TEMLineOrder.Side(frame: $0, shift: $1, deviation: 0.2) }
        }
        XCTAssertFalse(TEMLineOrder.swaps(sides(Array(repeating: 4, count: 20))))
        // Exchanged after 12 frames: the mean (0.8 px) is still definite.
        XCTAssertFalse(TEMLineOrder.swaps(sides(Array(repeating: 4, count: 12) + Array(repeating: -4, count: 8))))
        // Exchanged half way: no definite order, but two runs of ten are not a random order.
        XCTAssertFalse(TEMLineOrder.swaps(sides(Array(repeating: 4, count: 10) + Array(repeating: -4, count: 10))))
        XCTAssertTrue(TEMLineOrder.swaps(sides(Self.upperLeft.map { $0 ? 2.4 : -2.4 })))
        // Pieces on top of each other, their signs changing within the noise: one line too.
        XCTAssertTrue(TEMLineOrder.swaps(sides(Self.upperLeft.map { $0 ? 0.3 : -0.3 })))
        XCTAssertFalse(TEMLineOrder.swaps(sides([0.3, 0.2, 0.4])), "no change")
    }

    /// Whether the runs test can refuse at 1 % (`TEMLineOrder.refusable`) against the smallest
    /// P(R ≤ r) over every arrangement of the signs, counted.
    func testRefusableMatchesTheSmallestTailOverEveryArrangement() {
        for n1 in 1...6 {
            for n2 in n1...(13 - n1) {
                var counts = [Int](repeating: 0, count: n1 + n2 + 2), total = 0
                for mask in 0..<(1 << (n1 + n2)) where mask.nonzeroBitCount == n1 {
                    let bits = (0..<(n1 + n2)).map { mask >> $0 & 1 }
                    counts[1 + zip(bits, bits.dropFirst()).filter { $0 != $1 }.count] += 1
                    total += 1
                }
                XCTAssertEqual(TEMLineOrder.refusable(n1, n2), Double(counts[2]) / Double(total) < 0.01, "\(n1) \(n2)")
            }
        }
        // The boundaries: 2 / C(n, n1) < 0.01.
        XCTAssertTrue(TEMLineOrder.refusable(5, 5)); XCTAssertFalse(TEMLineOrder.refusable(4, 5))
        XCTAssertTrue(TEMLineOrder.refusable(4, 6)); XCTAssertTrue(TEMLineOrder.refusable(3, 9))
        XCTAssertFalse(TEMLineOrder.refusable(3, 8)); XCTAssertTrue(TEMLineOrder.refusable(2, 19))
        XCTAssertFalse(TEMLineOrder.refusable(2, 18)); XCTAssertFalse(TEMLineOrder.refusable(1, 197))
        XCTAssertTrue(TEMLineOrder.refusable(1, 200)); XCTAssertFalse(TEMLineOrder.refusable(0, 20))
        // A pair side by side in 2 frames (draw 205's pair across lines 1 and 2) passed the rule; refused now.
        let two = [TEMLineOrder.Side(frame: 0, shift: -0.12, deviation: 0.3), TEMLineOrder.Side(frame: 1, shift: 0.16, deviation: 0.3)]
        XCTAssertTrue(TEMLineOrder.swaps(two))
        XCTAssertFalse(TEMLineOrder.swaps(two, refusable: true))
        // A braid of 20 (10 on each side) still passes.
        let braid = Self.upperLeft.enumerated().map { TEMLineOrder.Side(frame: $0, shift: $1 ? 2.4 : -2.4, deviation: 0.2) }
        XCTAssertTrue(TEMLineOrder.swaps(braid, refusable: true))
    }

    /// 20 frames of observations, each curve its own, and tracks over them ((frame, curve) pairs).
    func observations(_ frames: (Int) -> [[TEMPoint]]) -> [TEMFragmentGrouping.Observations] {
        (0..<20).map { f in
            let curves = frames(f)
            return TEMFragmentGrouping.Observations(curves: curves, members: curves.indices.map { [$0] })
        }
    }

    func track(_ id: Int, _ curveIn: (Int) -> Int?) -> TEMTrack {
        let held = (0..<20).compactMap { f in curveIn(f).map { (f, $0) } }
        return TEMTrack(id: id, frames: held.map { $0.0 }, curveIndices: held.map { $0.1 }, centroids: [], velocities: [],
                        neighbourDistances: [])
    }

    func fold(_ o: [TEMFragmentGrouping.Observations], _ tracks: [TEMTrack], refusable: Bool, byFrame: Bool)
        -> [TEMFragmentGrouping.Observations]? {
        var c = TEMTrackerConfig()
        c.doubleLineOrder = true
        c.doubleLineOrderRefusable = refusable
        c.doubleLineOrderByFrame = byFrame
        return TEMLineOrder.fold(o, tracks: tracks, config: c)
    }

    /// A pair on two lines side by side in 2 frames only, as on medium draw 205: line 1 (x 100)
    /// and line 2 (x 140) tracked over 20 frames, but in frames 18–19 line 2 is not seen and its
    /// track holds a piece lying on line 1, 0.4 px to one side and then the other. tem-track25's
    /// rule folds the pair and, through the tracks, line 2 into line 1 in all 20 frames; with
    /// `doubleLineOrderRefusable` nothing is folded (2 frames cannot be refused at 1 %).
    func testATwoFramePairAcrossTwoLinesIsNotFolded() {
        let o = observations { f in
            [self.curve(x: 100, frame: f, salt: 0), f < 18 ? self.curve(x: 140, frame: f, salt: 1)
                : self.curve(x: 100, dx: f == 18 ? -0.4 : 0.4, frame: f, salt: 1)]
        }
        let tracks = [track(0) { _ in 0 }, track(1) { _ in 1 }]
        let pairs = TEMLineOrder.pairs(tracks, curves: o.map(\.curves), gate: TEMTrackerConfig().gate)
        XCTAssertEqual(pairs.map(\.sides.count), [2], "side by side in frames 18–19 only")
        XCTAssertEqual(TEMLineOrder.changes(pairs[0].sides), 1)
        let old = fold(o, tracks, refusable: false, byFrame: false)
        XCTAssertEqual(old?[0].curves.count, 1, "tem-track25's rule folds line 2 into line 1 in frame 0")
        XCTAssertTrue(fold(o, tracks, refusable: true, byFrame: false) == nil, "two lines kept")
        XCTAssertTrue(fold(o, tracks, refusable: true, byFrame: true) == nil, "two lines kept")
    }

    /// A track whose curve lies on line 1 beside line 1's own track in frames 0–11, changing side
    /// in a scrambled order (6 and 6: the runs test can refuse, and does not), then on line 2 in
    /// frames 12–19 (line 2's own track ends at 11). Folding the tracks folds line 2 into line 1
    /// in frames 12–19; with `doubleLineOrderByFrame` only frames 0–11 are folded.
    func testAPairIsFoldedOnlyWhereItIsSideBySide() {
        let o = observations { f in
            let side = Self.upperLeft[f] ? -1.2 : 1.2
            return [self.curve(x: 100, frame: f, salt: 0), self.curve(x: 140, frame: f, salt: 1)]
                + (f < 12 ? [self.curve(x: 100, dx: side, frame: f, salt: 2)] : [])
        }
        let tracks = [track(0) { _ in 0 }, track(1) { $0 < 12 ? 2 : 1 }, track(2) { $0 < 12 ? 1 : nil }]
        for byFrame in [false, true] {
            let folded = fold(o, tracks, refusable: true, byFrame: byFrame)
            XCTAssertNotNil(folded)
            guard let folded else { continue }
            for f in 0..<12 {
                XCTAssertEqual(folded[f].curves.count, 2, "frame \(f): line 1 with its piece, line 2")
                XCTAssertEqual(folded[f].members.map { $0.sorted() }.sorted { $0[0] < $1[0] }, [[0, 2], [1]])
            }
            if byFrame {
                for f in 12..<20 { XCTAssertEqual(folded[f].curves.count, 2, "frame \(f): line 2 kept") }
            } else {
                XCTAssertEqual(folded[12].curves.count, 1, "the whole-track fold takes line 2 into line 1")
            }
        }
    }

    /// The runs distribution against counting every arrangement of the signs.
    func testRunsTailMatchesEnumeration() {
        for (n1, n2) in [(1, 1), (1, 4), (3, 2), (4, 4), (5, 7), (2, 9)] {
            var counts = [Int](repeating: 0, count: n1 + n2 + 2), total = 0
            for mask in 0..<(1 << (n1 + n2)) where mask.nonzeroBitCount == n1 {
                let bits = (0..<(n1 + n2)).map { mask >> $0 & 1 }
                counts[1 + zip(bits, bits.dropFirst()).filter { $0 != $1 }.count] += 1
                total += 1
            }
            var cumulative = 0
            for r in 1...(n1 + n2) {
                cumulative += counts[r]
                XCTAssertEqual(TEMLineOrder.runsTail(runs: r, n1, n2), Double(cumulative) / Double(total), accuracy: 1e-9, "\(n1) \(n2) \(r)")
            }
        }
        // The default since the twentieth session: the fold with both refinements; each field
        // still reads from JSON, so tem-track25's rule alone stays one JSON away.
        XCTAssertTrue(TEMTrackerConfig().doubleLineOrder)
        XCTAssertTrue(TEMTrackerConfig().doubleLineOrderRefusable)
        XCTAssertTrue(TEMTrackerConfig().doubleLineOrderByFrame)
        let off = try? JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"doubleLineOrder":false}"#.utf8))
        XCTAssertEqual(off?.doubleLineOrder, false)
        let alone = try? JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"doubleLineOrderRefusable":false,"doubleLineOrderByFrame":false}"#.utf8))
        XCTAssertEqual(alone?.doubleLineOrderRefusable, false)
        XCTAssertEqual(alone?.doubleLineOrderByFrame, false)
        XCTAssertEqual(alone?.doubleLineOrder, true)
    }
}
