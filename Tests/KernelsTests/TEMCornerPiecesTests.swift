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
}
