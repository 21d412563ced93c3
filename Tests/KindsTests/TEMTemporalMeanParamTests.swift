import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param temporal_mean_frames=` reaches the detector settings the shard reads
/// (`TEMDetectorConfig.temporalMeanFrames`, off by default); bad values fail at submission.
final class TEMTemporalMeanParamTests: XCTestCase {
    func testTemporalMeanFramesReachesTheShard() throws {
        let plain = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams([:])))
        XCTAssertEqual(plain.temporalMeanFrames, 0)
        let set = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams(["temporal_mean_frames": "5"])))
        XCTAssertEqual(set.temporalMeanFrames, 5)
        XCTAssertFalse(set.temporalDropStraight)
        let straight = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams(["temporal_mean_frames": "5", "temporal_drop_straight": "true"])))
        XCTAssertTrue(straight.temporalDropStraight)
        XCTAssertEqual(straight.temporalProbeInterval, 0, "the mean on every frame unless asked")
        let probed = TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams(["temporal_mean_frames": "3", "temporal_probe_interval": "8"])))
        XCTAssertEqual(probed.temporalProbeInterval, 8)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_probe_interval": "-1"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_probe_interval": "often"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_drop_straight": "maybe"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_mean_frames": "-1"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_mean_frames": "65"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_mean_frames": "many"])))
    }
}
