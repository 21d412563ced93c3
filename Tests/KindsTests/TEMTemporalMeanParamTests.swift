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
        let config = temShardDetectorConfig
        // On the default detector (the mean of 3 with drop-straight and probe 8); `0` turns the mean off.
        assertJobParameter("temporal_mean_frames", of: config, \.temporalMeanFrames, byDefault: 3,
                           reads: [("0", 0)], refuses: ["-1", "65", "many"])
        assertJobParameter("temporal_drop_straight", of: config, \.temporalDropStraight, byDefault: true,
                           reads: [("false", false)], refuses: ["maybe"])
        assertJobParameter("temporal_probe_interval", of: config, \.temporalProbeInterval, byDefault: 8,
                           reads: [("0", 0)], refuses: ["-1", "often"])
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
    }
}
