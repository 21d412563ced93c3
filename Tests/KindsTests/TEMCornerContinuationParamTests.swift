import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param corner_continuation_alpha=` reaches the detector (`TEMDetectorConfig.cornerContinuationAlpha`,
/// off by default); bad values fail at submission.
final class TEMCornerContinuationParamTests: XCTestCase {
    func testCornerContinuationAlphaReachesTheDetector() throws {
        let plain = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams([:])))
        XCTAssertEqual(plain.cornerContinuationAlpha, 0)
        let set = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams(["corner_continuation_alpha": "0.01"])))
        XCTAssertEqual(set.cornerContinuationAlpha, 0.01)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_alpha": "0.9"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_alpha": "-0.1"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["corner_continuation_alpha": "rarely"])))
    }
}
