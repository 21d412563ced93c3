import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param contrast_alpha=` reaches the detector (`TEMDetectorConfig.contrastAlpha`, off by
/// default); bad values fail at submission.
final class TEMContrastParamTests: XCTestCase {
    func testContrastAlphaReachesTheDetector() throws {
        let plain = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams([:])))
        XCTAssertEqual(plain.contrastAlpha, 0)
        let set = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams(["contrast_alpha": "0.01"])))
        XCTAssertEqual(set.contrastAlpha, 0.01)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["contrast_alpha": "0.9"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["contrast_alpha": "-0.1"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["contrast_alpha": "often"])))
    }
}
