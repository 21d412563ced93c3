import Foundation
import XCTest
@testable import Kernels

/// MOTA, HOTA and identity switches on hand-built videos whose values are worked out by hand.
final class TEMTrackingScoresTests: XCTestCase {
    private func line(y: Double) -> [TEMPoint] {
        TEMPolyline.resample([TEMPoint(10, y), TEMPoint(50, y)], count: 20)
    }

    /// TEMTrack is Codable without a public memberwise initialiser (as `ctl eval tem` builds it).
    private func track(_ id: Int, frames: [Int], curves: [Int]) throws -> TEMTrack {
        let json = "{\"id\":\(id),\"frames\":\(frames),\"curveIndices\":\(curves),\"centroids\":[],\"velocities\":[],\"neighbourDistances\":[]}"
        return try JSONDecoder().decode(TEMTrack.self, from: Data(json.utf8))
    }

    /// Two dislocations over 4 frames, all detected exactly; A keeps track 0, B is handed from
    /// track 1 to track 2 after frame 1 (one switch); an untracked extra curve is no hypothesis.
    /// MOTA = 1 − 1/8; DetA = 1; AssA = (4·1 + 2·(2/4) + 2·(2/4)) / 8 = 0.75; HOTA = √0.75.
    func testOneHandOver() throws {
        let truth = (0..<4).map { _ in [TEMTruthDislocation(id: 0, pileup: 0, points: line(y: 10)),
                                        TEMTruthDislocation(id: 1, pileup: 0, points: line(y: 50))] }
        let detected = (0..<4).map { _ in [line(y: 10), line(y: 50), line(y: 90)] }
        let tracks = [try track(0, frames: [0, 1, 2, 3], curves: [0, 0, 0, 0]),
                      try track(1, frames: [0, 1], curves: [1, 1]), try track(2, frames: [2, 3], curves: [1, 1])]
        let t = TEMEvaluator.evaluate(truth: truth, detected: detected, tracks: tracks).tracking
        XCTAssertEqual(t.idSwitches, 1)
        XCTAssertEqual(t.truePositives, 8)
        XCTAssertEqual(t.falsePositives, 0)
        XCTAssertEqual(t.misses, 0)
        XCTAssertEqual(t.mota, 0.875, accuracy: 1e-12)
        XCTAssertEqual(t.detA, 1, accuracy: 1e-12)
        XCTAssertEqual(t.assA, 0.75, accuracy: 1e-12)
        XCTAssertEqual(t.hota, 0.75.squareRoot(), accuracy: 1e-12)
    }

    /// One dislocation over 2 frames: found in frame 0 next to a tracked false curve, missed in
    /// frame 1. TP 1, FN 1, FP 1: MOTA = 1 − 2/2 = 0; DetA = 1/3; AssA = 1/(2 + 1 − 1) = 0.5.
    func testMissAndFalseCurve() throws {
        let truth = (0..<2).map { _ in [TEMTruthDislocation(id: 7, pileup: 0, points: line(y: 10))] }
        let detected = [[line(y: 10), line(y: 60)], []]
        let tracks = [try track(0, frames: [0], curves: [0]), try track(1, frames: [0], curves: [1])]
        let t = TEMEvaluator.evaluate(truth: truth, detected: detected, tracks: tracks).tracking
        XCTAssertEqual(t.mota, 0, accuracy: 1e-12)
        XCTAssertEqual(t.detA, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(t.assA, 0.5, accuracy: 1e-12)
        XCTAssertEqual(t.hota, (1.0 / 6).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(t.idSwitches, 0)
    }

    /// Perfect tracks score 1; a truth id returning to its first track after a switch counts a
    /// second switch (CLEAR-MOT counts every change of the matched track).
    func testPerfectAndSwitchBack() throws {
        let truth = (0..<3).map { _ in [TEMTruthDislocation(id: 0, pileup: 0, points: line(y: 10))] }
        let detected = (0..<3).map { _ in [line(y: 10)] }
        let perfect = TEMEvaluator.evaluate(truth: truth, detected: detected,
                                            tracks: [try track(0, frames: [0, 1, 2], curves: [0, 0, 0])]).tracking
        XCTAssertEqual(perfect.mota, 1)
        XCTAssertEqual(perfect.hota, 1, accuracy: 1e-12)
        let back = TEMEvaluator.evaluate(truth: truth, detected: detected,
                                         tracks: [try track(0, frames: [0, 2], curves: [0, 0]), try track(1, frames: [1], curves: [0])]).tracking
        XCTAssertEqual(back.idSwitches, 2)
        XCTAssertEqual(back.mota, 1 - 2.0 / 3, accuracy: 1e-12)
        // AssA: pair (0,0) 2 TPs of 2/(3+2−2); pair (0,1) 1 TP of 1/(3+1−1) → (4/3 + 1/3) / 3.
        XCTAssertEqual(back.assA, (4.0 / 3 + 1.0 / 3) / 3, accuracy: 1e-12)
    }
}
