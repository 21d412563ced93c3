import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param temporal_long_frames=`, `temporal_polarity_alpha=`, `temporal_long_undecided_alpha=`,
/// `temporal_long_by_short_mean=`, `temporal_long_null_test=`, `temporal_long_pooled_gate=` and
/// `temporal_long_pooled_gate_side=` reach the detector settings the
/// shard reads (`TEMDetectorConfig.temporalLongFrames`, `temporalPolarityAlpha`; off by default,
/// also in `video22`); bad values fail at submission.
final class TEMTemporalLongParamTests: XCTestCase {
    func testTheLongMeanAndTheBestPolarityReachTheShard() throws {
        let config = temShardDetectorConfig
        assertJobParameter("temporal_long_frames", of: config, \.temporalLongFrames, byDefault: 0,
                           reads: [("7", 7)], refuses: ["-1", "100"])
        assertJobParameter("temporal_polarity_alpha", of: config, \.temporalPolarityAlpha, byDefault: 0,
                           reads: [("0.01", 0.01)], refuses: ["sometimes"])
        assertJobParameter("temporal_long_undecided_alpha", of: config, \.temporalLongUndecidedAlpha, byDefault: 0,
                           reads: [], refuses: ["1"])
        XCTAssertEqual(try config(["temporal_long_frames": "7", "temporal_long_undecided_alpha": "0.01"]).temporalLongUndecidedAlpha, 0.01)
        // The undecided gate alone and the K₂ mean's null (twenty-second session, tem-det-30).
        assertJobParameter("temporal_long_by_short_mean", of: config, \.temporalLongByShortMean, byDefault: true,
                           reads: [("true", true)], refuses: ["maybe"])
        assertJobParameter("temporal_long_null_test", of: config, \.temporalLongNullTest, byDefault: false,
                           reads: [], refuses: ["2"])
        let gateAlone = try config(["temporal_long_frames": "7", "temporal_long_undecided_alpha": "0.01",
                                    "temporal_long_by_short_mean": "false", "temporal_long_null_test": "true"])
        XCTAssertFalse(gateAlone.temporalLongByShortMean)
        XCTAssertTrue(gateAlone.temporalLongNullTest)
        // The undecided gate on the test pooled over every frame (twenty-sixth session, tem-det-34).
        assertJobParameter("temporal_long_pooled_gate", of: config, \.temporalLongPooledGate, byDefault: false,
                           reads: [], refuses: ["often"])
        assertJobParameter("temporal_long_pooled_gate_side", of: config, \.temporalLongPooledGateSide, byDefault: false,
                           reads: [], refuses: ["left"])
        let pooled = try config(["temporal_long_frames": "7", "temporal_long_undecided_alpha": "0.01",
                                 "temporal_long_pooled_gate": "true", "temporal_long_pooled_gate_side": "true"])
        XCTAssertTrue(pooled.temporalLongPooledGate)
        XCTAssertTrue(pooled.temporalLongPooledGateSide)
    }
}
