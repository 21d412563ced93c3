@testable import Kernels
import XCTest

/// Two tracks holding two pieces of one line at once joined by how the pieces glide
/// (`TEMTrackerConfig.joinConcurrentPieces`): pieces of one cut line jump together, two lines end
/// to end jump at their own times.
final class TEMConcurrentPiecesTests: XCTestCase {
    /// A vertical piece of 42 px (20 points) from y = `top`, at x = `x`, jittered by ±0.2 px.
    func piece(x: Double, top: Double, frame: Int) -> [TEMPoint] {
        (0..<20).map { i in TEMPoint(x + 0.2 * sin(Double(frame * 7 + i * 3)), top + Double(i) * 42 / 19) }
    }

    /// `frames` frames of an upper piece (y 55–97) and a lower one (y 103–145), each jumping 6 px
    /// across its chord in the frames its `jumps` says (jerky glide: standing in between);
    /// a track for each piece over every frame.
    func scene(upper: (Int) -> Bool, lower: (Int) -> Bool, frames: Int = 40) -> (curves: [[[TEMPoint]]], tracks: [TEMTrack]) {
        var curves: [[[TEMPoint]]] = [], xu = 200.0, xl = 200.0
        for f in 0..<frames {
            if f > 0, upper(f) { xu += 6 }
            if f > 0, lower(f) { xl += 6 }
            curves.append([piece(x: xu, top: 55, frame: f), piece(x: xl, top: 103, frame: f + 100)])
        }
        let tracks = (0..<2).map { k in
            TEMTrack(id: k, frames: Array(0..<frames), curveIndices: [Int](repeating: k, count: frames),
                     centroids: [], velocities: [], neighbourDistances: [])
        }
        return (curves, tracks)
    }

    func testTwoPiecesOfOneCutLineGlidingTogetherAreOneTrack() {
        let s = scene(upper: { $0 % 5 == 0 }, lower: { $0 % 5 == 0 })
        var config = TEMTrackerConfig()
        XCTAssertEqual(TEMAlternatingTracks.joinTurnsLeavingPieces(s.tracks, curves: s.curves, config: config).tracks.count, 2,
                       "without the option the pieces' span, twice a piece's length, reads as two lines")
        config.joinConcurrentPieces = true
        let r = TEMAlternatingTracks.joinTurnsLeavingPieces(s.tracks, curves: s.curves, config: config)
        XCTAssertEqual(r.tracks.count, 1)
        XCTAssertEqual(r.tracks.first?.frames, Array(0..<40))
        // The other piece of every frame is handed back to be folded into the kept observation.
        XCTAssertEqual(r.leftovers.map(\.frame), Array(0..<40))
        XCTAssertEqual(Set(r.leftovers.map { [$0.curve, $0.keptCurve] }).count, 1)
    }

    func testTwoLinesEndToEndGlidingApartStayTwo() {
        var config = TEMTrackerConfig()
        config.joinConcurrentPieces = true
        let s = scene(upper: { $0 % 5 == 0 }, lower: { $0 % 5 == 2 })
        XCTAssertEqual(TEMAlternatingTracks.joinTurnsLeavingPieces(s.tracks, curves: s.curves, config: config).tracks.count, 2)
        // Standing still, the glide says nothing: the span keeps them two.
        let standing = scene(upper: { _ in false }, lower: { _ in false })
        XCTAssertEqual(TEMAlternatingTracks.joinTurnsLeavingPieces(standing.tracks, curves: standing.curves, config: config).tracks.count, 2)
    }

    func testTheFieldReadsAndIsOffByDefault() throws {
        XCTAssertFalse(TEMTrackerConfig().joinConcurrentPieces)
        XCTAssertTrue(try JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"joinConcurrentPieces":true}"#.utf8))
            .joinConcurrentPieces)
    }
}
