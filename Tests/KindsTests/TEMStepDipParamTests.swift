import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param step_ratio=`, `step_dip_alpha=`, `step_dip_bowed=`, `dip_alpha=` reach the detector
/// (`TEMDetectorConfig.stepRatio`, `stepDipAlpha`, `stepDipBowed`, `dipAlpha`); bad values fail.
final class TEMStepDipParamTests: XCTestCase {
    func testStepParamsReachTheDetector() throws {
        let plain = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams([:])))
        XCTAssertEqual(plain.stepRatio, TEMDetectorConfig.jobDefault.stepRatio)
        XCTAssertEqual(plain.stepDipAlpha, TEMDetectorConfig.jobDefault.stepDipAlpha)
        XCTAssertEqual(plain.stepDipBowed, TEMDetectorConfig.jobDefault.stepDipBowed)
        XCTAssertEqual(plain.dipAlpha, 0)
        let set = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams([
            "step_ratio": "0", "step_dip_alpha": "0.02", "step_dip_bowed": "false", "dip_alpha": "0.05",
        ])))
        XCTAssertEqual(set.stepRatio, 0)
        XCTAssertEqual(set.stepDipAlpha, 0.02)
        XCTAssertFalse(set.stepDipBowed)
        XCTAssertEqual(set.dipAlpha, 0.05)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["step_dip_alpha": "2"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["dip_alpha": "-0.1"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["step_dip_bowed": "maybe"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["step_ratio": "x"])))
    }
}
