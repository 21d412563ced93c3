import Foundation
@testable import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// Stacks of spheres refitted as a whole along depth (`particle_split_merge`).
final class STEM4DParticleStackRefitTests: XCTestCase {
    /// `particle_split_merge`: true by default (since 7 December), read, refused by name when not
    /// a boolean.
    func testParameter() throws {
        assertJobParameter("particle_split_merge", of: stem4dOptions, \.particleSplitMerge, byDefault: true,
                           reads: [("false", false)], refuses: ["both"])
    }

    /// Two spheres stacked along the line of sight (r 3.5 and 3.2, 16 px apart in depth, 0.6 px
    /// apart sideways) at 128² seed 403's microscope (37 counts per bright-field pixel, a stereo
    /// angle of 8°), in a 48² scan through the planner, shards and merge with the quadrants,
    /// point sampling and satellites. The fit without the move keeps one sphere between them
    /// (r 3.42 at z −0.6: the compromise of seed 410's misses); the split along depth finds both.
    func testStackedPairSplitInDepth() throws {
        let p = STEM4DSynthRandomizer.draw(.spheres, scan: 48, seed: 403)
        let truth: [[Double]] = [[24, 24, -8, 3.5], [24.5, 23.6, 8, 3.2]]
        let dir = try STEM4DFixtures.temporaryDirectory("stack-refit")
        try NPYWriter.write(STEM4DSynthesizer.make(p, lines: nil, spheres: truth).cube, shape: [48, 48, p.detRows, p.detCols], to: "\(dir)/c.npy")
        let zRange = max(abs(p.slabTop), abs(p.slabTop + p.slabThickness)) + 10
        func found(_ move: Bool) throws -> [STEM4DParticle3D] {
            // Without the lateral split and the held floor (defaults since the twenty-fifth
            // session): the split along depth alone is under test.
            let (_, rows, _) = try STEM4DQualityHarness.runJob(input: "\(dir)/c.npy", params: withoutLateralDefaults([
                "mode": "particles", "z_range": "\(zRange)", "particle_fit_views": "quadrants", "particle_chord_sampling": "point",
                "particle_satellites": "true", "convergence_mrad": "\(p.convergenceMrad)", "scan_rotation_deg": "\(p.scanRotationDeg)",
                "particle_radius_min": "1.5", "particle_radius_max": "8", "particle_split_merge": "\(move)",
            ]), output: "\(dir)/out-\(move)")
            return rows.filter { $0.table == "stem4d_particle_results" }.flatMap(\.rows).map { r in
                STEM4DParticle3D(x: r[1] as! Double, y: r[2] as! Double, z: r[3] as! Double, radius: r[4] as! Double)
            }
        }
        func show(_ f: [STEM4DParticle3D]) -> String { "\(f.map { [$0.x, $0.y, $0.z, $0.radius].map { ($0 * 10).rounded() / 10 } })" }
        let without = try found(false)
        XCTAssertLessThan(STEM4DParticleEvaluation.score(truth: truth, found: without).recall, 1, "the compromise: \(show(without))")
        let with = try found(true)
        let e = STEM4DParticleEvaluation.score(truth: truth, found: with)
        XCTAssertEqual(e.recall, 1, show(with))
        XCTAssertEqual(e.precision, 1, show(with))
    }

    /// `particle_stack_starts=residual` (`STEM4DParticleModelFit.stackResidualStarts`, owed since
    /// the fifteenth session), a case where it changes the outcome: the randomiser's 64² draw 201
    /// (φ 8°, 5.5 counts per bright-field pixel, 21 spheres r 2.1–3.2). With the stack's old
    /// positions as the only starts all 21 are found and nothing else; with the residual's peaks
    /// as starts too, a rebuilt stack keeps one sphere more, a false one: 22 found, precision
    /// 21 / 22 (bench, 7 December: `--seed 201 --param particle_stack_starts=residual`). Not a
    /// win — over 64² 201–250 the option wins 1 draw and loses 8 — but the option does act.
    func testResidualStartsChangeARebuiltStack() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("particle-stack-starts")
        func run(_ starts: String) throws -> STEM4DQualityHarness.Draw {
            // The default stack before the lateral split and the held floor (twenty-fifth session).
            try STEM4DQualityHarness.run(.spheres, scan: 64, seed: 201, directory: "\(dir)/\(starts)",
                                         extra: withoutLateralDefaults(["particle_stack_starts": starts]))
        }
        let old = try run("old")
        XCTAssertEqual(old.truthCount, 21)
        XCTAssertEqual(old.precision, 1, old.details)
        let residual = try run("residual")
        XCTAssertEqual(residual.recall, 1, residual.details)
        XCTAssertEqual(residual.foundCount, 22, residual.details)
        XCTAssertLessThan(residual.precision, 1, residual.details)
    }
}
