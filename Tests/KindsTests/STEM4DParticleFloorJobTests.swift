import Foundation
@testable import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// Pixels at the detector's floor censored in the joint particle fit (`particle_floor=censored`,
/// `STEM4DParticleFloor`).
final class STEM4DParticleFloorJobTests: XCTestCase {
    /// `particle_floor`: `censored` by default (since 7 December), `off` read, anything else
    /// refused by name.
    func testParameter() throws {
        assertJobParameter("particle_floor", of: stem4dOptions, \.particleFloor, byDefault: "censored",
                           reads: [("off", "off"), ("censored", "censored")], refuses: ["clip"])
    }

    /// The randomiser's 48² draw 35 (25 spheres r 2.1–5.1, contrast 0.69 on a matrix of 0.30 —
    /// the sphere centres and overlaps clip at the synthesizer's floor —, 3.4 counts per
    /// bright-field pixel, a stereo angle of 8°), written as a cube and run through the planner,
    /// shards and merge with quadrants + point + satellites + split_merge. Without the floor the
    /// sphere at (17.9, 9.5, −21.1) r 5.06 is fitted wrong with two small spheres (r 2.1, 2.4) on
    /// its rim: 26 found, recall 0.96, precision 0.92; with the pixels at the floor censored, the
    /// 25 true spheres and nothing else.
    func testClippedSphereWithoutARim() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("particle-floor")
        func run(_ floor: String) throws -> STEM4DQualityHarness.Draw {
            try STEM4DQualityHarness.run(.spheres, scan: 48, seed: 35, directory: "\(dir)/\(floor)", extra: withoutLateralDefaults([
                "particle_fit_views": "quadrants", "particle_chord_sampling": "point", "particle_satellites": "true",
                "particle_split_merge": "true", "particle_floor": floor,
                // The depth-outlier rule (a default since 7 December) off, and the lateral split and
                // the held floor (since the twenty-fifth session): the floor alone is under test.
                "particle_depth_outlier": "0",
            ]))
        }
        let without = try run("off")
        XCTAssertEqual(without.truthCount, 25)
        XCTAssertLessThan(without.recall, 1, "the sphere fitted wrong: \(without.details)")
        XCTAssertGreaterThan(without.foundCount, 25, "the rim of small spheres: \(without.details)")
        let with = try run("censored")
        XCTAssertEqual(with.recall, 1, with.details)
        XCTAssertEqual(with.precision, 1, with.details)
    }
}
