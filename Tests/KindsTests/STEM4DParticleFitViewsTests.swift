import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// The views of the joint particle fit (`particle_fit_views`): at a low dose the stereo
/// detectors hold a third of the bright-field counts, the four quadrants all of them.
final class STEM4DParticleFitViewsTests: XCTestCase {
    /// `particle_fit_views`: stereo by default, `quadrants` by name (and then the quadrants
    /// are formed in particles mode whatever `detectors=` says), anything else refused naming
    /// the key.
    func testParameter() throws {
        XCTAssertEqual(try STEM4DJobOptions(JobParams([:])).particleFitViews, "stereo")
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["particle_fit_views": "quadrants"])).particleFitViews, "quadrants")
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["mode": "particles", "detectors": "bf", "particle_fit_views": "quadrants"])).detectors,
                       ["bf", "stereo", "quadrants"])
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["mode": "particles", "detectors": "bf"])).detectors, ["bf", "stereo"])
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["particle_fit_views": "all"]))) { error in
            XCTAssertTrue("\(error)".contains("particle_fit_views"), "\(error)")
        }
    }

    /// Two radius-3 spheres overlapping in projection (centres 4 px apart) and 20 px apart in
    /// depth, beside two isolated ones, at 1 count per bright-field pixel (contrast 0.3): with
    /// the quadrants as views every sphere is found, the pair at its depths (within 3 px); with
    /// the stereo detectors' views, which hold a third of the counts, the pair is not.
    func testStackedPairAtLowDoseFoundAsTwo() throws {
        var p = STEM4DSynthParams()
        p.scanRows = 40; p.scanCols = 40; p.detRows = 32; p.detCols = 32
        p.bfRadius = 8; p.bfCx = 15.6; p.bfCy = 15.8; p.bfCounts = 1; p.dfCounts = 0.05
        p.sphereContrast = 0.3; p.seed = 3
        let truth: [[Double]] = [[14, 16, -10, 3], [18, 17, 10, 3], [29, 28, 0, 3], [28, 10, 6, 2.5]]
        let syn = STEM4DSynthesizer.make(p, lines: nil, spheres: truth)
        let dir = try STEM4DFixtures.temporaryDirectory("fitviews")
        try NPYWriter.write(syn.cube, shape: [40, 40, 32, 32], to: "\(dir)/c.npy")
        func found(_ views: String) throws -> [STEM4DParticle3D] {
            let (_, rows, _) = try STEM4DQualityHarness.runJob(input: "\(dir)/c.npy", params: [
                "mode": "particles", "z_range": "30", "particle_fit_views": views,
            ], output: "\(dir)/out-\(views)")
            return rows.filter { $0.table == "stem4d_particle_results" }.flatMap(\.rows).map { r in
                STEM4DParticle3D(x: r[1] as! Double, y: r[2] as! Double, z: r[3] as! Double, radius: r[4] as! Double)
            }
        }
        let pair = Array(truth.prefix(2))
        let quadrants = try found("quadrants"), stereo = try found("stereo")
        func show(_ f: [STEM4DParticle3D]) -> String { "\(f.map { [$0.x, $0.y, $0.z, $0.radius].map { ($0 * 10).rounded() / 10 } })" }
        let q = STEM4DParticleEvaluation.score(truth: truth, found: quadrants)
        XCTAssertEqual(q.recall, 1, "quadrants: \(show(quadrants))")
        XCTAssertEqual(q.precision, 1, "quadrants: \(show(quadrants))")
        XCTAssertEqual(STEM4DParticleEvaluation.score(truth: pair, found: quadrants, depthTolerance: 3).recall, 1,
                       "the stacked pair at its depths: \(show(quadrants))")
        XCTAssertLessThan(STEM4DParticleEvaluation.score(truth: pair, found: stereo, depthTolerance: 3).recall, 1,
                          "the case must show the problem with the stereo views: \(show(stereo))")
    }
}
