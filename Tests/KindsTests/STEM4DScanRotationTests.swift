import Foundation
import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// A scan turned against the detector: with `scan_rotation_deg` the particle job triangulates
/// along the true baseline in the views; without it, depths are wrong or particles are lost.
final class STEM4DScanRotationTests: XCTestCase {
    func testParticlesWithRotatedScan() throws {
        var p = STEM4DSynthParams()
        p.scanRows = 48; p.scanCols = 48; p.sphereCount = 6; p.bfCounts = 60; p.margin = 6; p.seed = 11
        p.bfRadius = 12; p.bfCx = 15.6; p.bfCy = 15.8
        p.scanRotationDeg = 63
        let syn = STEM4DSynthesizer.make(p)
        let dir = try STEM4DFixtures.temporaryDirectory("rotation")
        try NPYWriter.write(syn.cube, shape: [48, 48, 32, 32], to: "\(dir)/c.npy")
        func score(_ rotation: Double) throws -> STEM4DParticleEvaluation.Score {
            let (_, rows, _) = try STEM4DQualityHarness.runJob(
                input: "\(dir)/c.npy", params: ["mode": "particles", "scan_rotation_deg": "\(rotation)"], output: "\(dir)/out-\(rotation)")
            let found = rows.filter { $0.table == "stem4d_particle_results" }.flatMap(\.rows).map {
                STEM4DParticle3D(x: $0[1] as! Double, y: $0[2] as! Double, z: $0[3] as! Double, radius: $0[4] as! Double)
            }
            return STEM4DParticleEvaluation.score(truth: syn.truth.spheres, found: found)
        }
        let right = try score(63)
        XCTAssertEqual(right.recall, 1, "\(right)")
        // One spurious large blob hugging the scan's top edge is known (docs/stem4d.md, limits).
        XCTAssertGreaterThanOrEqual(right.precision, 0.85, "\(right)")
        XCTAssertLessThan(right.medianDepthError, 1, "\(right)")
        let wrong = try score(0)
        XCTAssertTrue(wrong.recall < 1 || wrong.medianDepthError > 2, "without the rotation: \(wrong)")
    }
}
