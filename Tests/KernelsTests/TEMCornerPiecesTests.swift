import XCTest
@testable import Kernels

/// Pieces of a bent line that the detector keeps apart frame after frame, joined by their
/// tracks (`TEMCornerPieces`), and what must not be joined.
final class TEMCornerPiecesTests: XCTestCase {
    /// A line bent by `bend` degrees at its middle: 60 px from `start` along `angle`, then 60 px
    /// turned by `bend`; 1 px apart.
    private func bent(start: TEMPoint, angle: Double = 90, bend: Double = 60) -> (TEMPoint, [TEMPoint], [TEMPoint]) {
        let a = angle * .pi / 180, b = (angle + bend) * .pi / 180
        let corner = start + 60 * TEMPoint(cos(a), sin(a))
        let first = (0...58).map { start + Double($0) * TEMPoint(cos(a), sin(a)) }
        let second = (2...60).map { corner + Double($0) * TEMPoint(cos(b), sin(b)) }
        return (corner, first, second)
    }

    /// Frames of a bent line gliding 1 px/frame along x, cut at its corner in every frame but the
    /// first and last (where it is one curve), plus a straight line 30 px away gliding with it.
    private func video(frames: Int, cutFrames: Range<Int>) -> [[[TEMPoint]]] {
        (0..<frames).map { f in
            let (_, first, second) = bent(start: TEMPoint(100 + Double(f), 100))
            let other = (0...110).map { TEMPoint(160 + Double(f), 100 + Double($0)) }
            let pieces = cutFrames.contains(f) ? [second, other, first] : [first + second, other]
            return pieces
        }
    }

    func testPiecesOfABentLineMeetButParallelNeighboursDoNot() {
        let (_, first, second) = bent(start: TEMPoint(100, 100))
        XCTAssertNotNil(TEMCornerPieces.meet(first, second))
        XCTAssertNotNil(TEMCornerPieces.meet(second.reversed(), first), "either orientation")
        // Two pile-up neighbours 6 px apart whose ends are close at the same slip trace.
        let a = (0...100).map { TEMPoint(100, 100 + Double($0)) }
        let b = (0...100).map { TEMPoint(106, 101 + Double($0)) }
        XCTAssertNil(TEMCornerPieces.meet(a, b), "neighbours leave their trace side by side")
        // A straight continuation meets too (a grouping the per-frame rule left alone).
        let c = (0...50).map { TEMPoint(100, 210 + Double($0)) }
        XCTAssertNotNil(TEMCornerPieces.meet(a, c))
    }

    func testACornerCutLineKeepsOneTrackOnlyWithTheJoin() {
        let frames = video(frames: 20, cutFrames: 2..<18)
        var off = TEMTrackerConfig()
        off.joinCornerPieces = false
        var on = off
        on.joinCornerPieces = true
        let before = TEMTracker.track(frames, config: off)
        let after = TEMTracker.track(frames, config: on)
        XCTAssertEqual(before.count, 3, "the second piece is a track of its own without the join")
        XCTAssertEqual(after.count, 2, "\(after.map(\.frames))")
        // The joined track holds both pieces of every cut frame.
        let line = after.first { $0.frames.count > 20 }
        XCTAssertNotNil(line)
        XCTAssertEqual(line?.frames.count, 2 + 2 * 16 + 2)
        XCTAssertEqual(Set(line?.frames ?? []).count, 20)
        // Scored against the truth (whole bent line, straight line), the joined tracks are exact.
        let truth = (0..<20).map { f -> [TEMTruthDislocation] in
            let (_, first, second) = bent(start: TEMPoint(100 + Double(f), 100))
            return [TEMTruthDislocation(id: 0, pileup: 0, points: first + second),
                    TEMTruthDislocation(id: 1, pileup: 0, points: (0...110).map { TEMPoint(160 + Double(f), 100 + Double($0)) })]
        }
        let e0 = TEMEvaluator.evaluate(truth: truth, detected: frames, tracks: before)
        let e1 = TEMEvaluator.evaluate(truth: truth, detected: frames, tracks: after)
        XCTAssertEqual(e1.idf1, 1, accuracy: 1e-9)
        XCTAssertLessThan(e0.idf1, 0.9)
    }

    func testTheSameInPiecesAsTheMergeTracks() {
        let frames = video(frames: 20, cutFrames: 2..<18)
        var on = TEMTrackerConfig()
        on.joinCornerPieces = true
        let tracks = TEMPiecewiseTracking.track(frames, framesPerPiece: 10, config: on)
        XCTAssertEqual(tracks.count, 2, "\(tracks.map(\.frames))")
    }

    func testALineTouchingAnotherForAFewFramesIsNotJoined() {
        // A line gliding past the end of a perpendicular one: their ends meet in about a third of
        // the frames, while one passes the other.
        let frames = (0..<30).map { f -> [[TEMPoint]] in
            let still = (0...80).map { TEMPoint(100, 100 + Double($0)) }
            let moving = (0...80).map { TEMPoint(100 + 2 * Double(f) - 30 + Double($0), 186) }
            return [still, moving]
        }
        var on = TEMTrackerConfig()
        on.joinCornerPieces = true
        let tracks = TEMTracker.track(frames, config: on)
        XCTAssertEqual(tracks.count, 2)
        XCTAssertTrue(tracks.allSatisfy { $0.frames.count == 30 })
    }

    /// A straight line of 90 px through `centre` along `direction`, 40 points.
    private func straight(centre: TEMPoint, direction: TEMPoint) -> [TEMPoint] {
        (0..<40).map { centre + direction * ((Double($0) / 39 - 0.5) * 90) }
    }

    func testEndsOfCrossingLinesPassingEachOtherAreNotJoinedInShortPieces() {
        // One line glides along +x, the other along +y, 3 px/frame: their ends pass within
        // 12 px at right angles in frames 3–7 (and 33–37), half of a 7- or 10-frame piece.
        let frames = (0..<40).map { f -> [[TEMPoint]] in
            [straight(centre: TEMPoint(100 + 3 * Double(f), 160), direction: TEMPoint(0, 1)),
             straight(centre: TEMPoint(160, 100 + 3 * Double(f)), direction: TEMPoint(1, 0))]
        }
        var old = TEMTrackerConfig()
        old.joinCornerPieces = true
        old.cornerSlideTest = false
        var on = old
        on.cornerSlideTest = true
        for piece in [7, 10] {
            let before = TEMPiecewiseTracking.track(frames, framesPerPiece: piece, config: old)
            let after = TEMPiecewiseTracking.track(frames, framesPerPiece: piece, config: on)
            // Without the slide test the pieces where the ends pass join the two lines.
            XCTAssertTrue(before.contains { Set($0.frames).count < $0.frames.count }, "piece \(piece): joined before")
            XCTAssertEqual(after.count, 2, "piece \(piece)")
            XCTAssertTrue(after.allSatisfy { Set($0.frames).count == $0.frames.count && $0.frames.count == 40 }, "piece \(piece)")
        }
    }

    func testABentLineThatGlidesAndTurnsIsStillJoined() {
        // The corner moves with the line (3 px/frame) while the line turns by 1° a frame: the
        // offset between the pieces' ends stays put in the pieces' own frame.
        let frames = (0..<20).map { f -> [[TEMPoint]] in
            let turn = Double(f) * .pi / 180
            let rotate = { (p: TEMPoint) -> TEMPoint in
                let q = p - TEMPoint(160, 160)
                return TEMPoint(160, 160) + TEMPoint(q.x * cos(turn) - q.y * sin(turn), q.x * sin(turn) + q.y * cos(turn))
            }
            let (_, first, second) = bent(start: TEMPoint(100 + 3 * Double(f), 100))
            return [first.map(rotate), second.map(rotate)]
        }
        var on = TEMTrackerConfig()
        on.joinCornerPieces = true
        XCTAssertEqual(TEMTracker.track(frames, config: on).count, 1)
        XCTAssertEqual(TEMPiecewiseTracking.track(frames, framesPerPiece: 7, config: on).count, 1)
    }

    func testTheSlideTestTellsATrendFromScatter() {
        // Ends passing at 3 px/frame, meeting (within 12 px) in frames 3–7 of a 10-frame piece
        // the two tracks share: slides.
        let meeting = Array(3...7)
        let creep = meeting.map { TEMPoint(3 * Double($0) - 15, 0) }
        XCTAssertTrue(TEMCornerSlide.slides(frames: meeting, offsets: creep, span: 0...9))
        // The same creep when the tracks share only those frames: no evidence that they part.
        XCTAssertFalse(TEMCornerSlide.slides(frames: meeting, offsets: creep, span: 3...7))
        // A fixed corner with 2 px of scatter (hooks, cut positions) over 40 frames: does not,
        // whatever the scatter's draw.
        var rng = SplitMix(seed: 7)
        for _ in 0..<50 {
            let f = Array(0..<40)
            let d = f.map { _ in TEMPoint(4 + 2 * rng.normal(), 2 * rng.normal()) }
            XCTAssertFalse(TEMCornerSlide.slides(frames: f, offsets: d, span: 0...39))
        }
        // A significant but slow creep (0.1 px/frame over 40 frames, ends within 12 px): does not.
        let f = Array(0..<40)
        XCTAssertFalse(TEMCornerSlide.slides(frames: f, offsets: f.map { TEMPoint(2 + 0.1 * Double($0), 0) }, span: 0...39))
        // Too few frames to test.
        XCTAssertFalse(TEMCornerSlide.slides(frames: [1, 2], offsets: [TEMPoint(0, 0), TEMPoint(30, 0)], span: 0...10))
    }
}

/// A small deterministic normal generator for the tests.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
    mutating func normal() -> Double {
        (-2 * log(max(next(), 1e-300))).squareRoot() * cos(2 * .pi * next())
    }
}
