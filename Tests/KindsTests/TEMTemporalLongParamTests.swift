import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param temporal_long_frames=` and `temporal_polarity_alpha=` reach the detector settings the
/// shard reads (`TEMDetectorConfig.temporalLongFrames`, `temporalPolarityAlpha`; off by default,
/// also in `video22`); bad values fail at submission.
final class TEMTemporalLongParamTests: XCTestCase {
    func testTheLongMeanAndTheBestPolarityReachTheShard() throws {
        func config(_ params: [String: String]) throws -> TEMDetectorConfig {
            TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams(params)))
        }
        let byDefault = try config([:])
        XCTAssertEqual(byDefault.temporalLongFrames, 0)
        XCTAssertEqual(byDefault.temporalPolarityAlpha, 0)
        XCTAssertEqual(try config(["temporal_long_frames": "7"]).temporalLongFrames, 7)
        XCTAssertEqual(try config(["temporal_polarity_alpha": "0.01"]).temporalPolarityAlpha, 0.01)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_long_frames": "-1"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_long_frames": "100"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_polarity_alpha": "sometimes"])))
        XCTAssertEqual(byDefault.temporalLongUndecidedAlpha, 0)
        XCTAssertEqual(try config(["temporal_long_frames": "7", "temporal_long_undecided_alpha": "0.01"]).temporalLongUndecidedAlpha, 0.01)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_long_undecided_alpha": "1"])))
    }
}
