import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param temporal_drop_ghosts=` and `temporal_drop_straight_parts=` reach the detector
/// settings the shard reads (`TEMDetectorConfig.temporalDropGhosts`, `temporalDropStraightParts`;
/// off by default, also in `video22`); bad values fail at submission.
final class TEMTemporalDropParamTests: XCTestCase {
    func testTheMeanPartDropsReachTheShard() throws {
        let config = temShardDetectorConfig
        assertJobParameter("temporal_drop_ghosts", of: config, \.temporalDropGhosts, byDefault: false,
                           reads: [("true", true)], refuses: ["maybe"])
        assertJobParameter("temporal_drop_straight_parts", of: config, \.temporalDropStraightParts, byDefault: false,
                           reads: [("true", true)], refuses: ["often"])
        XCTAssertFalse(try config(["temporal_drop_ghosts": "true"]).temporalDropStraightParts)
        // The ghost rule's test on the other frame's own response (tem-det-27): off unless given.
        XCTAssertEqual(try config([:]).temporalGhostLeftAlpha, 0)
        XCTAssertEqual(try config(["temporal_drop_ghosts": "true", "temporal_ghost_left_alpha": "0.01"]).temporalGhostLeftAlpha, 0.01)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_ghost_left_alpha": "2"])))
    }
}
