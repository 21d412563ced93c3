import Foundation
@testable import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// The prediction held at the detector's floor in the joint particle fit
/// (`particle_floor_held`, `STEM4DParticleFloorHeld`).
final class STEM4DParticleFloorHeldJobTests: XCTestCase {
    /// `particle_floor_held`: `all` by default (since the twenty-fifth session), `off` and `rival`
    /// read into `STEM4DParticleModelFit.FloorHeld` (in any case), anything else refused by name —
    /// the merge no longer maps an unknown value to off.
    func testParameter() throws {
        assertJobParameter("particle_floor_held", of: stem4dOptions, \.particleFloorHeld, byDefault: .all,
                           reads: [("off", .off), ("rival", .rival), ("all", .all), ("ALL", .all), ("Rival", .rival)],
                           refuses: ["true", "false", "", "censored", "al"])
    }

    /// `particle_floor_held=all` through a job: the randomiser's 64² draw 1 (φ 2.44°, 1.12 counts
    /// per bright-field pixel, 15 spheres r 4.3–4.4, 93 % overlapping another in projection). Two
    /// true spheres 4.3 px apart sideways and 12.7 px in depth absorb together past the
    /// synthesizer's floor (≈ 3 counts a view pixel); at this dose no view's lowest pixels pile
    /// up, nothing is censored, and the linear prediction there falls to −16 counts. With
    /// `particle_split_lateral=true particle_split_lateral_rival=both
    /// particle_split_lateral_rival_merge=merge` the second is fitted as a weak sphere and a
    /// pair beside it: 15 found, 14 true. With the prediction held at the floor in every fit and
    /// comparison, the stack fits the two as they are: 15 found, all true. Fails with the option
    /// off (its first half is that run).
    func testOverlapPastTheFloorFittedAsTwo() throws {
        func run(_ held: String) throws -> STEM4DQualityHarness.Draw {
            try sphereDraw(seed: 1, "particle-floor-held-\(held)",
                           ["particle_split_lateral": "true", "particle_split_lateral_rival": "both",
                            "particle_split_lateral_rival_merge": "merge", "particle_floor_held": held])
        }
        let off = try run("off")
        XCTAssertEqual(off.truthCount, 15)
        XCTAssertEqual(off.foundCount, 15, off.details)
        XCTAssertEqual(off.recall, 14.0 / 15, accuracy: 1e-9, off.details)
        let held = try run("all")
        XCTAssertEqual(held.foundCount, 15, held.details)
        XCTAssertEqual(held.recall, 1, accuracy: 1e-9, held.details)
        XCTAssertEqual(held.precision, 1, accuracy: 1e-9, held.details)
    }
}
