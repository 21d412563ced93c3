import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// `support_notches=chains` through the real job path (a CXI file with its exact support
/// written, planned, run, merged): where a line leaves the crystal its amplitude hole makes the
/// SNR trim notch the support, and the fill puts the layer back only where the line's residue
/// chain runs on into it.
final class BCDISupportNotchesTests: XCTestCase {
    /// `noise` seed 99 draw 9 (42×63×65, noise 0.30, one curved line along the surface, exact
    /// stored support): the SNR trim cuts 23 % of the line's points off (recall 0.773 in the
    /// bench); `chains` gives them back.
    func testChainsKeepTheLineEnds() throws {
        let dir = try BCDIFixtures.temporaryDirectory("support-notches")
        let draw = BCDIRandomCrystal.draw(seed: BCDIAccuracy.drawSeed(99, 9), ranges: BCDIRandomRanges.preset("noise")!)
        let v = BCDISynthetic.make(draw.spec)
        guard case .exact = draw.supportError else { return XCTFail("the draw this test pins has an exact support: \(draw.summary)") }
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi")
        let off = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["support_notches": "off"]))
        let chains = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["support_notches": "chains"]))
        print("support_notches off: \(off.recall) / \(off.precision), chains: \(chains.recall) / \(chains.precision)")
        XCTAssertGreaterThanOrEqual(chains.recall, 0.96, draw.summary)
        XCTAssertGreaterThanOrEqual(chains.precision, 0.98, draw.summary)
        XCTAssertLessThan(off.recall, chains.recall - 0.1, "the case this test pins: \(draw.summary)")
    }

    /// `blur` seed 12 draw 17 (52×56×69, σ = 2, one mixed line, no stored support): `chains` grows
    /// the candidate (the trimmed support grown by 2) along the line's chain into the ringing
    /// outside the crystal and traces a spurious line there (bench: precision 1.000 → 0.817);
    /// `crystal` bounds the fill by the amplitude's own half-level body and keeps it (1.000).
    func testCrystalBoundsTheFillByTheBody() throws {
        let dir = try BCDIFixtures.temporaryDirectory("support-notches-crystal")
        let draw = BCDIRandomCrystal.draw(seed: BCDIAccuracy.drawSeed(12, 17), ranges: BCDIRandomRanges.preset("blur")!)
        let v = BCDISynthetic.make(draw.spec)
        guard case .absent = draw.supportError else { return XCTFail("the draw this test pins stores no support: \(draw.summary)") }
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi", mask: false)
        let chains = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["support_notches": "chains"]))
        let crystal = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect("\(dir)/v.cxi", params: ["support_notches": "crystal"]))
        print("support_notches chains: \(chains.recall) / \(chains.precision), crystal: \(crystal.recall) / \(crystal.precision)")
        XCTAssertGreaterThanOrEqual(crystal.precision, 0.98, draw.summary)
        XCTAssertGreaterThanOrEqual(crystal.recall, 0.98, draw.summary)
        XCTAssertLessThan(chains.precision, crystal.precision - 0.05, "the case this test pins: \(draw.summary)")
    }

    /// A bad value is refused with the parameter's name; `true` and `false` still name `hull`
    /// and `off`; the default is `crystal` (twelfth session).
    func testBadValueIsRefused() throws {
        XCTAssertThrowsError(try BCDIJobOptions(JobParams(["support_notches": "maybe"]))) { error in
            XCTAssertTrue("\(error)".contains("support_notches"), "\(error)")
        }
        XCTAssertEqual(try BCDIJobOptions(JobParams(["support_notches": "true"])).supportNotches, .hull)
        XCTAssertEqual(try BCDIJobOptions(JobParams(["support_notches": "false"])).supportNotches, .off)
        XCTAssertEqual(try BCDIJobOptions(JobParams(["support_notches": "chains"])).supportNotches, .chains)
        XCTAssertEqual(try BCDIJobOptions(JobParams(["support_notches": "crystal"])).supportNotches, .crystal)
        XCTAssertEqual(try BCDIJobOptions(JobParams([:])).supportNotches, .crystal, "the job's default")
    }
}
