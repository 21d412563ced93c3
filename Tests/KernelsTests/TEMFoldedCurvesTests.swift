@testable import Kernels
import XCTest

/// What a track's several curves in one frame are (`TEMFoldedCurves`, `ctl bench tem --draws N
/// --diagnose`), on a hand-built frame pair: two true lines of two pile-ups end to end on one
/// trace 20 px apart, and one line cut in two.
final class TEMFoldedCurvesTests: XCTestCase {
    func segment(x: Double, _ y0: Double, _ y1: Double) -> [TEMPoint] {
        stride(from: y0, through: y1, by: 1).map { TEMPoint(x, $0) }
    }

    func track(_ id: Int, _ frames: [Int], _ curves: [Int]) -> TEMTrack {
        TEMTrack(id: id, frames: frames, curveIndices: curves, centroids: [], velocities: [], neighbourDistances: [])
    }

    func testFoldsAreToldByTheLinesTheirCurvesLieOn() {
        // Frame 0: lines 0 (pile-up 0, y 10–50) and 1 (pile-up 1, y 70–110) at x = 100, and a
        // line 2 (y 10–110) at x = 200. Frame 1: the same lines.
        let lines = [TEMTruthDislocation(id: 0, pileup: 0, points: segment(x: 100, 10, 50)),
                     TEMTruthDislocation(id: 1, pileup: 1, points: segment(x: 100, 70, 110)),
                     TEMTruthDislocation(id: 2, pileup: 0, points: segment(x: 200, 10, 110))]
        let truth = [lines, lines]
        // Curves: 0 and 1 on lines 0 and 1 (0.5 px off); 2 and 3 line 2 cut at y 58–64; 4 on no line.
        let frame = [segment(x: 100.5, 12, 49), segment(x: 100.5, 72, 108), segment(x: 200.4, 10, 58),
                     segment(x: 200.4, 64, 110), segment(x: 300, 10, 60)]
        let detected = [frame, frame]
        // Track 0 folds the two lines in both frames; track 1 the cut line's pieces in frame 0 and
        // a piece and a false curve in frame 1.
        let s = TEMFoldedCurves.summary(truth: truth, detected: detected,
                                        tracks: [track(0, [0, 0, 1, 1], [0, 1, 0, 1]), track(1, [0, 0, 1, 1], [2, 3, 2, 4])])
        XCTAssertEqual(s.twoLines, 2)
        XCTAssertEqual(s.twoLinesSamePileup, 0)
        XCTAssertEqual(s.oneLine, 1)
        XCTAssertEqual(s.falsePiece, 1)
        XCTAssertEqual(s.pairs, [TEMFoldedCurves.Summary.Pair(frames: 2, gapMedian: 20, gapRange: 0, samePileup: false)])
        XCTAssertEqual(s.detectedGapOneLine, [6])
        XCTAssertEqual(s.detectedGapTwoLines, [23, 23])
        // Summed over draws.
        XCTAssertEqual((s + s).twoLines, 4)
        XCTAssertEqual((s + s).pairs.count, 2)
    }
}
