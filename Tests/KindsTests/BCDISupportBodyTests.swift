import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// `support_body` through the real job path (a CXI file with a stored support written,
/// planned, run, merged): a stored support one voxel too tight is joined with the crystal's
/// half-level body before the SNR trim, so the lines' ends in the outer layer are kept.
final class BCDISupportBodyTests: XCTestCase {
    /// `noise` seed 99 draw 12 (42×57×49, noise 0.30, three straight lines, the stored support
    /// eroded by one voxel): without the body the lines stop a voxel short of the surface at
    /// both ends (recall 0.893 in the bench); with it they reach the surface.
    func testTightSupportKeepsTheLineEnds() throws {
        let dir = try BCDIFixtures.temporaryDirectory("support-body")
        let draw = BCDIRandomCrystal.draw(seed: BCDIAccuracy.drawSeed(99, 12), ranges: BCDIRandomRanges.preset("noise")!)
        var v = BCDISynthetic.make(draw.spec)
        guard case .eroded = draw.supportError, let stored = draw.supportError.apply(to: v.support, shape: v.shape) else {
            return XCTFail("the draw this test pins has an eroded support: \(draw.summary)")
        }
        v.support = stored
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi")
        let plain = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: [:]))
        let body = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["support_body": "true"]))
        print("support_body false: \(plain.recall) / \(plain.precision), true: \(body.recall) / \(body.precision)")
        XCTAssertGreaterThanOrEqual(body.recall, 0.95, draw.summary)
        XCTAssertGreaterThanOrEqual(body.precision, 0.98, draw.summary)
        XCTAssertLessThan(plain.recall, body.recall - 0.04, "the case this test pins: \(draw.summary)")
    }

    /// A bad value is refused with the parameter's name.
    func testBadValueIsRefused() {
        XCTAssertThrowsError(try BCDIJobOptions(JobParams(["support_body": "maybe"]))) { error in
            XCTAssertTrue("\(error)".contains("support_body"), "\(error)")
        }
    }
}
