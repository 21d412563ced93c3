@testable import Kernels
import XCTest

/// A line held in two pieces on one side of a piece boundary and by one tracklet on the other
/// (`TEMTrackerConfig.boundaryPieces`, `TEMBoundaryPieces`): both pieces' tracklets continue
/// into it, as on hard draw 146 (docs/tem.md, tem-track23).
final class TEMBoundaryPiecesTests: XCTestCase {
    /// A vertical curve at x from y0 to y1 (one point per 2 px), jittered across by ±0.2 px.
    func segment(x: Double, _ y0: Double, _ y1: Double, frame: Int) -> [TEMPoint] {
        let n = Int(((y1 - y0) / 2).rounded()) + 1
        return (0..<n).map { i in TEMPoint(x + 0.2 * sin(Double(frame * 7 + i * 3)), y0 + Double(i) * (y1 - y0) / Double(n - 1)) }
    }

    /// The line's position: 1 px further every fourth frame (slow jerky glide).
    func x(_ f: Int) -> Double { 200 + Double(f / 4) }

    func track(_ curves: [[[TEMPoint]]], pieces: Bool) -> [TEMTrack] {
        var c = TEMTrackerConfig()
        c.boundaryPieces = pieces
        return TEMPiecewiseTracking.track(curves, framesPerPiece: 20, config: c)
    }

    /// One line, y 10–114. Piece 0 sees its upper piece (y 10–60) in frames 0–18 and only its
    /// lower piece (y 70–114) in frame 19; piece 1 sees the lower piece alone in frame 20, then
    /// both, 10 px apart (one observation of the frame), in frames 21–39. Piece 0 keeps the two
    /// pieces as two tracklets (nothing tells them one line there), piece 1 as one, whose first
    /// curve is the lower piece: the boundary linker continues the 1-frame tracklet into it and
    /// the upper piece's 19-frame tracklet ends — two tracks without the field, one with it.
    /// Then mirrored (the joined tracklet before the boundary, the two after, taking turns).
    /// And with the upper piece of piece 0 16 px to the side (another line, beyond the frame
    /// link's gate): it is no piece of the line, and stays a track of its own.
    func testBothPiecesOfALineContinueIntoTheTrackletHoldingItWhole() {
        let forward: [[[TEMPoint]]] = (0..<40).map { f in
            if f <= 18 { return [segment(x: x(f), 10, 60, frame: f)] }
            if f <= 20 { return [segment(x: x(f), 70, 114, frame: f + 50)] }
            return [segment(x: x(f), 10, 60, frame: f), segment(x: x(f), 70, 114, frame: f + 50)]
        }
        // Backward: both pieces in frames 0–17, the lower alone in 18–19; then the two by turns
        // (the lower in even frames, the upper in odd), never together, so piece 1 keeps two.
        let backward: [[[TEMPoint]]] = (0..<40).map { f in
            if f <= 17 { return [segment(x: x(f), 10, 60, frame: f), segment(x: x(f), 70, 114, frame: f + 50)] }
            if f <= 19 || f % 2 == 0 { return [segment(x: x(f), 70, 114, frame: f + 50)] }
            return [segment(x: x(f), 10, 60, frame: f)]
        }
        for (name, curves, frames) in [("forward", forward, 59), ("backward", backward, 58)] {
            let plain = track(curves, pieces: false)
            XCTAssertEqual(plain.count, 2, name)
            let joined = track(curves, pieces: true)
            XCTAssertEqual(joined.count, 1, name)
            XCTAssertEqual(joined.first?.frames.count, frames, "\(name): every curve on the one track")
        }
        let beside: [[[TEMPoint]]] = forward.enumerated().map { f, curves in
            f <= 18 ? [segment(x: x(f) - 16, 10, 60, frame: f)] : curves
        }
        XCTAssertEqual(track(beside, pieces: true).count, 2)
    }

    /// Medium draw 11's case, made small: two lines end to end, 10 px apart, are one observation
    /// in piece 0 (the frame grouping reads them as one line's pieces: a fold), and piece 1
    /// sees both in every frame, the gap grown to 20 px, and keeps them two. The fold's tracklet
    /// continues into one of them; the other was seen beside it in piece 1, whose own tests had
    /// the evidence, so it stays a track of its own — with the never-together condition
    /// disabled it is joined into the fold's chain and carries the fold on (one track).
    func testTrackletsSeenTogetherInTheirPieceAreNotBothContinued() {
        let curves: [[[TEMPoint]]] = (0..<40).map { f in
            [segment(x: x(f), 10, 60, frame: f), segment(x: x(f), f < 20 ? 70 : 80, 114, frame: f + 50)]
        }
        let piece0 = TEMFragmentGrouping.observations(curves[19]), piece1 = TEMFragmentGrouping.observations(curves[20])
        XCTAssertEqual(piece0.members.map(\.count), [2], "piece 0: one observation of two pieces")
        XCTAssertEqual(piece1.members.map(\.count), [1, 1], "piece 1: two observations")
        XCTAssertEqual(track(curves, pieces: false).count, 2)
        let tracks = track(curves, pieces: true)
        XCTAssertEqual(tracks.count, 2, "seen together in piece 1: not both continued from the fold")
        XCTAssertEqual(Set(tracks.map { $0.frames.filter { $0 >= 20 }.count }), [20], "each line one track in piece 1")
    }

    /// The two-arm test by hand (the frame's pieces, `b` continuing one and `a` the other), the
    /// summaries' boundary pieces, and the field (reads from JSON, off by default).
    func testTheArmsTheSummariesAndTheField() throws {
        let upper = segment(x: 200, 10, 60, frame: 0), lower = segment(x: 200, 70, 114, frame: 1)
        let config = TEMTrackerConfig()
        XCTAssertNotNil(TEMBoundaryPieces.twoArms(upper, lower, [upper, lower], missed: 2, config: config))
        XCTAssertNil(TEMBoundaryPieces.twoArms(upper, lower, [upper], missed: 2, config: config), "one piece: nothing to continue")
        XCTAssertNil(TEMBoundaryPieces.twoArms(lower, lower, [upper, lower], missed: 2, config: config), "both on one piece")
        XCTAssertNil(TEMBoundaryPieces.twoArms(segment(x: 190, 10, 60, frame: 2), lower, [upper, lower], missed: 2, config: config),
                     "10 px beside: beyond the gate")
        // A tracklet whose observations hold two pieces in frames 1 and 2 (reach 4 from both ends).
        let frames: [[[TEMPoint]]] = [[upper], [upper, lower], [upper, lower], [upper]]
        let observations = TEMFragmentGrouping.observations(frames)
        XCTAssertEqual(observations.map { $0.members.count }, [1, 1, 1, 1])
        let t = TEMTrack(id: 0, frames: [0, 1, 2, 3], curveIndices: [0, 0, 0, 0], centroids: [], velocities: [], neighbourDistances: [])
        let (head, tail) = TEMPiecewiseTracking.boundaryPieces(t, observations, curves: frames, reach: 4, firstFrame: 20)
        XCTAssertEqual(head?.map(\.frame), [21, 22])
        XCTAssertEqual(tail?.map(\.frame), [21, 22])
        XCTAssertEqual(head?.first?.pieces.count, 2)
        XCTAssertFalse(TEMTrackerConfig().boundaryPieces)
        let c = try JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"boundaryPieces":true}"#.utf8))
        XCTAssertTrue(c.boundaryPieces)
    }
}
