import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param temporal_long_frames=`, `temporal_polarity_alpha=`, `temporal_long_undecided_alpha=`,
/// `temporal_long_by_short_mean=` and `temporal_long_null_test=` reach the detector settings the
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
        // The undecided gate alone and the K₂ mean's null (twenty-second session, tem-det-30).
        XCTAssertTrue(byDefault.temporalLongByShortMean)
        XCTAssertFalse(byDefault.temporalLongNullTest)
        let gateAlone = try config(["temporal_long_frames": "7", "temporal_long_undecided_alpha": "0.01",
                                    "temporal_long_by_short_mean": "false", "temporal_long_null_test": "true"])
        XCTAssertFalse(gateAlone.temporalLongByShortMean)
        XCTAssertTrue(gateAlone.temporalLongNullTest)
        XCTAssertTrue(try config(["temporal_long_by_short_mean": "true"]).temporalLongByShortMean)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_long_by_short_mean": "maybe"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_long_null_test": "2"])))
    }
}
