import XCTest
@testable import Kernels

/// `TEMDrawsAttribution.oracleTracks` (the identities a perfect tracker would give the detector's
/// curves): a line's pieces share its id, a curve on no line is left out, and a curve lying half
/// on a line is given to the line holding most of it.
final class TEMDrawsAttributionTests: XCTestCase {
    func testPiecesShareTheirLinesIdAndCurvesOnNoLineAreLeftOut() {
        let a = (0...100).map { TEMPoint(20 + Double($0), 30) }
        let b = (0...100).map { TEMPoint(20 + Double($0), 60 + 0.1 * Double($0)) }
        let truth = (0..<3).map { f in
            [TEMTruthDislocation(id: 7, pileup: 0, points: a.map { $0 + TEMPoint(Double(f), 0) }),
             TEMTruthDislocation(id: 9, pileup: 0, points: b)]
        }
        // Frame f: line 7 in two pieces (1 px off), line 9 whole, and a false curve far away.
        let detected = (0..<3).map { f -> [[TEMPoint]] in
            let shifted = a.map { $0 + TEMPoint(Double(f), 1) }
            return [Array(shifted[0..<45]), Array(shifted[55...]), b, (0...60).map { TEMPoint(150, 100 + Double($0)) }]
        }
        let tracks = TEMDrawsAttribution.oracleTracks(truth: truth, detected: detected)
        XCTAssertEqual(tracks.map(\.id), [7, 9])
        XCTAssertEqual(tracks[0].frames, [0, 0, 1, 1, 2, 2])
        XCTAssertEqual(tracks[0].curveIndices, [0, 1, 0, 1, 0, 1])
        XCTAssertEqual(tracks[1].curveIndices, [2, 2, 2])
        let e = TEMEvaluator.evaluate(truth: truth, detected: detected, tracks: tracks)
        XCTAssertEqual(e.idf1, 1, accuracy: 1e-9, "perfect identities on found lines, the false curve untracked")
        // A curve 60 % on line 7 and 40 % off it belongs to line 7; one 30 % on it to none.
        let mostly = Array(a[0..<60]) + (1...40).map { TEMPoint(79, 30 + Double($0)) }
        let barely = Array(a[0..<30]) + (1...70).map { TEMPoint(49, 30 + Double($0)) }
        let t2 = TEMDrawsAttribution.oracleTracks(truth: [[truth[0][0]]], detected: [[mostly, barely]])
        XCTAssertEqual(t2.map(\.id), [7])
        XCTAssertEqual(t2[0].curveIndices, [0])
    }
}
