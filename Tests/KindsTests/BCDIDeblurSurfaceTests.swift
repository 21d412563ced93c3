import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// `deblur_surface=body` and `hull` through the real job path (a CXI file written, planned, run, merged):
/// under a σ = 2 blur the deconvolved field is kept up to the crystal's sharp surface, where
/// the measured band (`measured`) showed the blurred field's displaced vortices and lost the
/// lines' ends.
final class BCDIDeblurSurfaceTests: XCTestCase {
    /// `blur` seed 99 draw 3 (43×49×52, four straight lines, exact support): the lines' ends in
    /// the crystal's outer layer are found with the body rule and missed with the measured band.
    /// Pinned to the old finder (`line_smoothing=off`): with the default loop smoothing the measured
    /// band's recall rises to 0.9518, 0.0299 short of the body's (the gap this test pins is 0.03).
    func testBodyKeepsTheLineEndsUnderBlur() throws {
        let dir = try BCDIFixtures.temporaryDirectory("surface")
        let draw = BCDIRandomCrystal.draw(seed: BCDIAccuracy.drawSeed(99, 3), ranges: BCDIRandomRanges.preset("blur")!)
        let v = BCDISynthetic.make(draw.spec)
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi")
        let measured = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["deblur_surface": "measured", "support_notches": "off", "line_smoothing": "off"]))
        let body = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["deblur_surface": "body", "support_notches": "off", "line_smoothing": "off"]))
        XCTAssertGreaterThanOrEqual(body.recall, 0.96, draw.summary)
        XCTAssertGreaterThanOrEqual(body.precision, 0.98, draw.summary)
        XCTAssertLessThan(measured.recall, body.recall - 0.03, "the case this test pins: \(draw.summary)")
        // `hull`: where the lines leave the crystal the half-level body is notched by their
        // blurred amplitude holes; filled from its hull, the deconvolved field reaches the
        // outer layer there too (0.968 → 0.993 in the bench).
        let hull = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["deblur_surface": "hull", "support_notches": "off", "line_smoothing": "off"]))
        print("deblur_surface measured \(measured.recall), body \(body.recall), hull \(hull.recall) / \(hull.precision)")
        XCTAssertGreaterThanOrEqual(hull.recall, 0.985, draw.summary)
        XCTAssertGreaterThanOrEqual(hull.precision, 0.98, draw.summary)
        XCTAssertLessThan(body.recall, hull.recall - 0.015, "the case this test pins: \(draw.summary)")
    }
}
