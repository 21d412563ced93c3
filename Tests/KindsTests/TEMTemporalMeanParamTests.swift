import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param temporal_mean_frames=` reaches the detector settings the shard reads
/// (`TEMDetectorConfig.temporalMeanFrames`: 3 with drop-straight and probe 8 in the default
/// detector `video22`, off in `video5`); each parameter overrides the detector's value either
/// way; bad values fail at submission.
final class TEMTemporalMeanParamTests: XCTestCase {
    func testTemporalMeanFramesReachesTheShard() throws {
        func config(_ params: [String: String]) throws -> TEMDetectorConfig {
            TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams(params)))
        }
        let byDefault = try config([:])
        XCTAssertEqual(byDefault.temporalMeanFrames, 3)
        XCTAssertTrue(byDefault.temporalDropStraight)
        XCTAssertEqual(byDefault.temporalProbeInterval, 8)
        XCTAssertEqual(try config(["temporal_mean_frames": "0"]).temporalMeanFrames, 0, "the mean turned off on the default")
        XCTAssertFalse(try config(["temporal_drop_straight": "false"]).temporalDropStraight)
        XCTAssertEqual(try config(["temporal_probe_interval": "0"]).temporalProbeInterval, 0)
        let plain = try config(["detector": "video5"])
        XCTAssertEqual(plain.temporalMeanFrames, 0)
        let set = try config(["detector": "video5", "temporal_mean_frames": "5"])
        XCTAssertEqual(set.temporalMeanFrames, 5)
        XCTAssertFalse(set.temporalDropStraight)
        let straight = try config(["detector": "video5", "temporal_mean_frames": "5", "temporal_drop_straight": "true"])
        XCTAssertTrue(straight.temporalDropStraight)
        XCTAssertEqual(straight.temporalProbeInterval, 0, "the mean on every frame unless asked")
        let probed = try config(["detector": "video5", "temporal_mean_frames": "3", "temporal_probe_interval": "8"])
        XCTAssertEqual(probed.temporalProbeInterval, 8)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_probe_interval": "-1"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_probe_interval": "often"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_drop_straight": "maybe"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_mean_frames": "-1"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_mean_frames": "65"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_mean_frames": "many"])))
    }
}
