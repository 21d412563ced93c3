import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param corner_continuation_alpha=` reaches the detector (`TEMDetectorConfig.cornerContinuationAlpha`,
/// off by default); bad values fail at submission.
final class TEMCornerContinuationParamTests: XCTestCase {
    func testCornerContinuationAlphaReachesTheDetector() throws {
        assertJobParameter("corner_continuation_alpha", of: temShardDetectorConfig, \.cornerContinuationAlpha, byDefault: 0,
                           reads: [("0.01", 0.01)], refuses: ["0.9", "-0.1", "rarely"])
    }

    func testArmReadingAndArmsLinesReachTheDetector() throws {
        let plain = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams([:])))
        XCTAssertEqual(plain.cornerContinuationArmOffset, 0)
        XCTAssertEqual(plain.cornerContinuationAcross, 0)
        XCTAssertEqual(plain.cornerContinuationClearance, 0)
        XCTAssertFalse(plain.cornerContinuationArmsLines)
        let set = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams([
            "corner_continuation_arm_offset": "3", "corner_continuation_across": "1", "corner_continuation_clearance": "6",
            "corner_continuation_arms_lines": "true"])))
        XCTAssertEqual(set.cornerContinuationArmOffset, 3)
        XCTAssertEqual(set.cornerContinuationAcross, 1)
        XCTAssertEqual(set.cornerContinuationClearance, 6)
        XCTAssertTrue(set.cornerContinuationArmsLines)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_arm_offset": "-1"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_across": "9"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_clearance": "-2"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_arms_lines": "maybe"])))
    }

    func testForcedCutsReachTheDetector() throws {
        let plain = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams([:])))
        XCTAssertEqual(plain.cornerContinuationMaxTurn, 0)
        XCTAssertFalse(plain.cornerContinuationStraightArms)
        XCTAssertFalse(plain.cornerContinuationTraceArm)
        let set = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams([
            "corner_continuation_max_turn": "90", "corner_continuation_straight_arms": "true",
            "corner_continuation_trace_arm": "true"])))
        XCTAssertEqual(set.cornerContinuationMaxTurn, 90)
        XCTAssertTrue(set.cornerContinuationStraightArms)
        XCTAssertTrue(set.cornerContinuationTraceArm)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_max_turn": "200"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_max_turn": "-5"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_straight_arms": "often"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_trace_arm": "2"])))
    }
}
