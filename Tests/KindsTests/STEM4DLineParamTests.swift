import Kernels
@testable import Kinds
import Shared
import XCTest

/// The lines' depth smoothing is a job parameter (recorded with the job), not a worker's
/// environment: its default is the fitter's, a value reaches the reconstruction, and a bad one
/// is refused naming the parameter.
final class STEM4DLineParamTests: XCTestCase {
    func testLineDepthWindowDefaultsToTheFittersAndIsValidated() throws {
        XCTAssertEqual(try STEM4DJobOptions(JobParams([:])).lineDepthWindow, STEM4DLineDepthFit.defaultSmoothing)
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["line_depth_window": "3"])).lineDepthWindow, 3)
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_depth_window": "-1"]))) { error in
            XCTAssertTrue("\(error)".contains("line_depth_window"), "\(error)")
        }
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_depth_window": "wide"])))
        XCTAssertEqual(STEM4DLineSweepStereo(zRange: 40, minLength: nil).depthSmoothingHalf, STEM4DLineDepthFit.defaultSmoothing)
    }

    /// `line_depth_fit` and `line_own_evidence`: off by default (the method before), the new
    /// methods by name, anything else refused naming the parameter.
    func testLineDepthFitAndOwnEvidenceAreValidated() throws {
        let plain = try STEM4DJobOptions(JobParams([:]))
        XCTAssertEqual(plain.lineDepthFit, "points")
        XCTAssertFalse(plain.lineOwnEvidence)
        XCTAssertFalse(STEM4DLineSweepStereo(zRange: 40, minLength: nil).splineDepth)
        XCTAssertFalse(STEM4DLineSweepStereo(zRange: 40, minLength: nil).ownEvidence)
        let on = try STEM4DJobOptions(JobParams(["line_depth_fit": "spline", "line_own_evidence": "true"]))
        XCTAssertEqual(on.lineDepthFit, "spline")
        XCTAssertTrue(on.lineOwnEvidence)
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_depth_fit": "curve"]))) { error in
            XCTAssertTrue("\(error)".contains("line_depth_fit"), "\(error)")
        }
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_own_evidence": "maybe"])))
    }

    /// `line_depth_breaks`: on by default for jobs (off in the bare kernel), `false` turns the
    /// tracer's depth-break test off, anything else refused.
    func testLineDepthBreaksIsValidated() throws {
        XCTAssertTrue(try STEM4DJobOptions(JobParams([:])).lineDepthBreaks)
        XCTAssertFalse(STEM4DLineSweepStereo(zRange: 40, minLength: nil).depthBreaks)
        XCTAssertFalse(try STEM4DJobOptions(JobParams(["line_depth_breaks": "false"])).lineDepthBreaks)
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_depth_breaks": "sometimes"])))
    }

    /// `line_depth_background`: off by default (job and kernel), `true` and `auto` parsed,
    /// nonsense refused with the values it takes.
    func testLineDepthBackgroundIsValidated() throws {
        XCTAssertEqual(try STEM4DJobOptions(JobParams([:])).lineDepthBackground, .off)
        XCTAssertEqual(STEM4DLineSweepStereo(zRange: 40, minLength: nil).depthBackground, .off)
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["line_depth_background": "true"])).lineDepthBackground, .on)
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["line_depth_background": "false"])).lineDepthBackground, .off)
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["line_depth_background": "auto"])).lineDepthBackground, .auto)
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_depth_background": "slope"]))) { error in
            XCTAssertTrue("\(error)".contains("false, true or auto"), "\(error)")
        }
    }

    /// `line_depth_weights`: `local` by default (job and kernel), `pooled` parsed, nonsense
    /// refused with the values it takes.
    func testLineDepthWeightsIsValidated() throws {
        XCTAssertEqual(try STEM4DJobOptions(JobParams([:])).lineDepthWeights, "local")
        XCTAssertFalse(STEM4DLineSweepStereo(zRange: 40, minLength: nil).pooledDepthWeights)
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["line_depth_weights": "pooled"])).lineDepthWeights, "pooled")
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_depth_weights": "global"]))) { error in
            XCTAssertTrue("\(error)".contains("local or pooled"), "\(error)")
        }
    }

    /// `line_neighbours`: `off` by default (job and kernel), `subtract` and `joint` parsed,
    /// nonsense refused with the values it takes.
    func testLineNeighboursIsValidated() throws {
        XCTAssertEqual(try STEM4DJobOptions(JobParams([:])).lineNeighbours, .off)
        XCTAssertEqual(STEM4DLineSweepStereo(zRange: 40, minLength: nil).modelNeighbours, .off)
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["line_neighbours": "subtract"])).lineNeighbours, .subtract)
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["line_neighbours": "joint"])).lineNeighbours, .joint)
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_neighbours": "true"]))) { error in
            XCTAssertTrue("\(error)".contains("off, subtract or joint"), "\(error)")
        }
    }

    /// `particle_significance`: 6 by default (the fit's own), a number, or `auto` (nil: the
    /// look-elsewhere level is worked out per cube at the merge); nonsense refused.
    func testParticleSignificanceIsValidated() throws {
        XCTAssertEqual(try STEM4DJobOptions(JobParams([:])).particleSignificance, 6)
        XCTAssertEqual(STEM4DParticleModelFit().significance, 6)
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["particle_significance": "5"])).particleSignificance, 5)
        XCTAssertNil(try STEM4DJobOptions(JobParams(["particle_significance": "auto"])).particleSignificance)
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["particle_significance": "high"]))) { error in
            XCTAssertTrue("\(error)".contains("particle_significance"), "\(error)")
        }
    }
}
