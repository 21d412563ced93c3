import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param contrast_alpha=` reaches the detector (`TEMDetectorConfig.contrastAlpha`, off by
/// default); bad values fail at submission.
final class TEMContrastParamTests: XCTestCase {
    func testContrastAlphaReachesTheDetector() throws {
        assertJobParameter("contrast_alpha", of: temShardDetectorConfig, \.contrastAlpha, byDefault: 0,
                           reads: [("0.01", 0.01)], refuses: ["0.9", "-0.1", "often"])
    }
}
