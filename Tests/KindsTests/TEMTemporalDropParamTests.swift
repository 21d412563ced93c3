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
        func config(_ params: [String: String]) throws -> TEMDetectorConfig {
            TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams(params)))
        }
        let byDefault = try config([:])
        XCTAssertFalse(byDefault.temporalDropGhosts)
        XCTAssertFalse(byDefault.temporalDropStraightParts)
        XCTAssertTrue(try config(["temporal_drop_ghosts": "true"]).temporalDropGhosts)
        XCTAssertTrue(try config(["temporal_drop_straight_parts": "true"]).temporalDropStraightParts)
        XCTAssertFalse(try config(["temporal_drop_ghosts": "true"]).temporalDropStraightParts)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_drop_ghosts": "maybe"])))
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_drop_straight_parts": "often"])))
        // The ghost rule's test on the other frame's own response (tem-det-27): off unless given.
        XCTAssertEqual(byDefault.temporalGhostLeftAlpha, 0)
        XCTAssertEqual(try config(["temporal_drop_ghosts": "true", "temporal_ghost_left_alpha": "0.01"]).temporalGhostLeftAlpha, 0.01)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["temporal_ghost_left_alpha": "2"])))
    }
}
