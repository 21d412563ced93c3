@testable import Kernels
import XCTest

/// The curves `joinTurns` leaves over — where two joined tracks were both seen in one frame —
/// folded into the joined track's observation (`TEMTrackerConfig.joinTurnsFoldsPieces`): every
/// curve is still written, none starts a track of its own that gap closing links apart.
final class TEMJoinTurnsLeftoverTests: XCTestCase {
    /// A slightly bowed vertical line of 90 px at x = `x` (40 points), jittered by ±0.2 px.
    func line(x: Double, frame: Int) -> [TEMPoint] {
        (0..<40).map { i in
            let t = Double(i) / 39 - 0.5
            return TEMPoint(x + 3 * (1 - 4 * t * t) + 0.2 * sin(Double(frame * 7 + i)), 100 + 90 * t)
        }
    }

    /// A faint line whose detected centre flips by 1.2 px frame to frame, seen at both places in
    /// the first frame of every 20-frame piece: two tracks start there and take turns on it, the
    /// join by turns makes them one, and the second curve of that first frame is left over.
    func flickeringLine(frames: Int = 100) -> [[[TEMPoint]]] {
        (0..<frames).map { f in
            var c = [line(x: f % 2 == 0 ? 200 : 201.2, frame: f)]
            if f % 20 == 0 { c.append(line(x: 201.2, frame: f)) }
            return c
        }
    }

    /// Every (frame, curve) the tracks hold, and the frames a track holds twice.
    func held(_ tracks: [TEMTrack]) -> (curves: Set<[Int]>, doubled: [[Int]]) {
        var all = Set<[Int]>()
        var doubled: [[Int]] = []
        for t in tracks {
            for (f, c) in zip(t.frames, t.curveIndices) { all.insert([f, c]) }
            doubled.append(Dictionary(grouping: t.frames, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())
        }
        return (all, doubled)
    }

    func testLeftoversOfTheJoinStayOnTheJoinedTrackThroughThePieces() {
        let curves = flickeringLine()
        let every = Set(curves.indices.flatMap { f in curves[f].indices.map { [f, $0] } })
        var config = TEMTrackerConfig()
        config.joinTurnsFoldsPieces = false
        // Without folding, each leftover is a one-frame tracklet of its piece, and gap closing
        // chains them into a second track on the line (or hands the line between them).
        let apart = TEMPiecewiseTracking.track(curves, framesPerPiece: 20, config: config)
        XCTAssertGreaterThan(apart.count, 1, "the leftovers make a track of their own")
        config.joinTurnsFoldsPieces = true
        let folded = TEMPiecewiseTracking.track(curves, framesPerPiece: 20, config: config)
        XCTAssertEqual(folded.count, 1)
        let h = held(folded)
        XCTAssertEqual(h.curves, every, "every detected curve is written, on the line's track")
        XCTAssertEqual(h.doubled.first, [0, 20, 40, 60, 80])
    }

    func testTheWholeVideoPassKeepsTheLeftoverCurve() {
        // Seen twice in frames 0 and 20 of 40: 2 of the shorter track's 20 frames side by side,
        // what the binomial test at 1 % lets through.
        let curves = flickeringLine(frames: 40)
        var config = TEMTrackerConfig()
        config.joinTurnsFoldsPieces = true
        let tracks = TEMTracker.track(curves, config: config)
        XCTAssertEqual(tracks.count, 1)
        XCTAssertEqual(held(tracks).curves.count, 42, "both curves of frames 0 and 20 on the one track")
        // Without folding the leftovers are one-frame tracks, dropped by `minTrackFrames`.
        config.joinTurnsFoldsPieces = false
        let dropped = TEMTracker.track(curves, config: config)
        XCTAssertEqual(dropped.count, 1)
        XCTAssertEqual(held(dropped).curves.count, 40)
    }

    /// `--tracker-json` reads the field; a JSON without it keeps the default.
    func testTheJSONFieldReads() throws {
        let c = try JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"joinTurnsFoldsPieces":true}"#.utf8))
        XCTAssertTrue(c.joinTurnsFoldsPieces)
        XCTAssertFalse(try JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"joinTurnsFoldsPieces":false}"#.utf8))
            .joinTurnsFoldsPieces)
        XCTAssertTrue(try JSONDecoder().decode(TEMTrackerConfig.self, from: Data("{}".utf8)).joinTurnsFoldsPieces, "on by default")
    }
}
