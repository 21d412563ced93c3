import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// `deblur_estimate` through the real job path (a CXI file written with the draw's stored
/// support, planned, the slab shard run, merged): the default `direct_restored` measures the
/// blur with the vortices the deconvolution restores left out, so a loop the blur merged no
/// longer pulls the estimate short.
final class BCDIBlurEstimateJobTests: XCTestCase {
    /// `blur` seed 301 draw 20 (47×66×57, σ = 2, noise 0.09, one loop of radius 3.5, exact
    /// stored support): `direct` keeps the merged loop's amplitude hole in its fit, measures
    /// the blur 0.15 short and finds none of the loop; the default finds part of it
    /// (`BCDIBlurRestoredFitTests` pins the same draw on the bare kernel).
    func testMergedLoopFoundWithTheDefaultEstimate() throws {
        let dir = try BCDIFixtures.temporaryDirectory("blur-estimate-job")
        let (v, draw, file) = try BCDIFixtures.writeAccuracyDraw(preset: "blur", seed: 301, index: 20, in: dir)
        let direct = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect(file, params: ["deblur_estimate": "direct"]))
        let standard = BCDIEvaluation.score(truth: v.truth, detected: try BCDIJobLines.detect(file, params: [:]))
        print("deblur_estimate direct \(direct.recall) / \(direct.precision), default \(standard.recall) / \(standard.precision)")
        XCTAssertLessThan(direct.recall, 0.1, "the case this test pins: \(draw.summary)")
        XCTAssertGreaterThan(standard.recall, direct.recall + 0.2, draw.summary)
        XCTAssertGreaterThanOrEqual(standard.precision, 0.9, draw.summary)
    }

    /// The default is `direct_restored`; the other estimators by name; a bad value is refused
    /// with the parameter's name.
    func testDefaultAndValues() throws {
        XCTAssertEqual(try BCDIJobOptions(JobParams([:])).blurEstimator, .restored, "the job's default")
        XCTAssertEqual(try BCDIJobOptions(JobParams(["deblur_estimate": "direct"])).blurEstimator, .direct)
        XCTAssertEqual(try BCDIJobOptions(JobParams(["deblur_estimate": "variogram"])).blurEstimator, .variogram)
        XCTAssertThrowsError(try BCDIJobOptions(JobParams(["deblur_estimate": "guess"]))) { error in
            XCTAssertTrue("\(error)".contains("deblur_estimate"), "\(error)")
        }
    }
}
