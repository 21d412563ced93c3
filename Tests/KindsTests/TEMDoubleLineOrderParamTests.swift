import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param double_line_order=` switches the fold of a double line's pieces by their order across
/// the line, with the pairs read only where the runs test can refuse and folded by frame
/// (`TEMTrackerConfig.doubleLineOrder`, `doubleLineOrderRefusable`, `doubleLineOrderByFrame`).
final class TEMDoubleLineOrderParamTests: XCTestCase {
    func testDoubleLineOrderParamReachesTheTracker() throws {
        func config(_ params: [String: String]) throws -> TEMTrackerConfig {
            TEMMerge.trackerConfig(try TEMJobOptions(JobParams(params)))
        }
        XCTAssertEqual(try config([:]).doubleLineOrder, TEMTrackerConfig().doubleLineOrder)
        XCTAssertTrue(try config([:]).doubleLineOrder, "on by default since the twentieth session")
        let on = try config(["double_line_order": "true"])
        XCTAssertTrue(on.doubleLineOrder && on.doubleLineOrderRefusable && on.doubleLineOrderByFrame)
        XCTAssertFalse(try config(["double_line_order": "false"]).doubleLineOrder)
        XCTAssertThrowsError(try TEMJobOptions(JobParams(["double_line_order": "maybe"])))
    }
}
