@testable import Kernels
import XCTest

/// `TEMCutLines` (the `--diagnose --per-draw` listing of lines cut in every frame of a piece) on a
/// hand-built video: one vertical true line, whole in frame 0, cut in frames 1 and 2.
final class TEMCutLinesTests: XCTestCase {
    func vertical(_ y0: Double, _ y1: Double) -> [TEMPoint] {
        stride(from: y0, through: y1, by: 1).map { TEMPoint(100, $0) }
    }

    /// Frame 0 one curve (y 5–95: whole), frame 1 two curves (y 0–40, 60–100) on two tracks,
    /// frame 2 the same two on one track; pieces of 2 frames. The cut frames' gap is at 50 px,
    /// 20 px long; a curve 30 px off the line is on none.
    func testWholeAndCutFramesWithTheGapAndItsHolders() {
        let line = TEMTruthDislocation(id: 7, pileup: 0, points: vertical(0, 100))
        let truth = [[TEMTruthDislocation]](repeating: [line], count: 3)
        let detected: [[[TEMPoint]]] = [
            [vertical(5, 95), vertical(0, 100).map { $0 + TEMPoint(30, 0) }],
            [vertical(0, 40), vertical(60, 100)],
            [vertical(0, 40), vertical(60, 100)],
        ]
        let tracks = [
            TEMTrack(id: 0, frames: [0, 1, 2, 2], curveIndices: [0, 0, 0, 1], centroids: [], velocities: [], neighbourDistances: []),
            TEMTrack(id: 1, frames: [1], curveIndices: [1], centroids: [], velocities: [], neighbourDistances: []),
        ]
        let s = TEMCutLines.summary(truth: truth, detected: detected, tracks: tracks, pieceFrames: 2)
        XCTAssertEqual(s.count, 2)
        XCTAssertEqual(s[0].line, 7); XCTAssertEqual(s[0].piece, 0)
        XCTAssertEqual([s[0].seen, s[0].whole, s[0].cut], [2, 1, 1])
        XCTAssertEqual(s[0].gapCentres.first ?? 0, 50, accuracy: 1)
        XCTAssertEqual(s[0].gapLengths.first ?? 0, 20, accuracy: 1)
        XCTAssertEqual(s[0].holders, [2])
        XCTAssertEqual([s[1].piece, s[1].seen, s[1].whole, s[1].cut], [1, 1, 0, 1])
        XCTAssertEqual(s[1].holders, [1])
        // Listed only where a piece was seen often enough and cut in all of it.
        XCTAssertEqual(TEMCutLines.report(s), "")
        XCTAssertTrue(TEMCutLines.report(s, minSeen: 1).hasPrefix("line 7: piece 0 seen 2, whole 1, cut 1"))
    }
}
