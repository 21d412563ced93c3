import Foundation
@testable import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// The Student-t amplitude law charged in the comparisons between sets of spheres
/// (`particle_amplitude_prior=student_t`, `STEM4DParticleStudentTLaw`).
final class STEM4DParticleAmplitudeTailTests: XCTestCase {
    /// `particle_amplitude_prior`: `off` by default, `student_t` read, anything else refused by name.
    func testParameter() throws {
        assertJobParameter("particle_amplitude_prior", of: stem4dOptions, \.particleAmplitudePrior, byDefault: "off",
                           reads: [("student_t", "student_t")], refuses: ["gaussian"])
    }

    /// The law's tail follows the amplitudes: a Gaussian sample gets a light tail (large ν), a
    /// tight core with a quarter of weak spheres a heavy one; the level stays the core's, and
    /// the fitted (μ, s) is a maximum of the likelihood at its ν (no small move raises it).
    func testTailIsMeasured() throws {
        var rng = SeededRandom(seed: 11)
        let gaussian = (0..<80).map { _ in 0.37 + 0.02 * rng.gaussian() }
        let light = try XCTUnwrap(STEM4DParticleStudentTLaw.measure(amplitudes: gaussian))
        XCTAssertGreaterThanOrEqual(light.tail, 4, "\(light)")
        XCTAssertEqual(light.level, 0.37, accuracy: 0.01)
        XCTAssertEqual(light.scale, 0.02, accuracy: 0.006)

        var crowd = (0..<24).map { _ in 0.37 + 0.01 * rng.gaussian() }
        crowd += [0.12, 0.15, 0.19, 0.22, 0.25, 0.28, 0.31, 0.21]  // weak spurious spheres
        let heavy = try XCTUnwrap(STEM4DParticleStudentTLaw.measure(amplitudes: crowd + [0, -0.2]))
        XCTAssertLessThanOrEqual(heavy.tail, 3, "\(heavy)")
        XCTAssertEqual(heavy.level, 0.37, accuracy: 0.01, "\(heavy)")
        XCTAssertLessThan(heavy.scale, 0.03, "\(heavy)")
        let a = crowd
        let l0 = heavy.logLikelihood(a)
        for (dm, ds) in [(0.002, 0.0), (-0.002, 0.0), (0.0, 0.001), (0.0, -0.001)] {
            var moved = heavy
            moved.level += dm; moved.scale += ds
            XCTAssertLessThanOrEqual(moved.logLikelihood(a), l0 + 1e-9, "(\(dm), \(ds))")
        }
        XCTAssertNil(STEM4DParticleStudentTLaw.measure(amplitudes: Array(crowd.prefix(5))))
        XCTAssertNil(STEM4DParticleStudentTLaw.measure(amplitudes: crowd.map { _ in 0.4 }))
    }

    /// The randomiser's 48² draw 15 (27 spheres r 2.0–4.8, 4.9 counts per bright-field pixel, a
    /// stereo angle of 8°), written as a cube and run through the planner, shards and merge with
    /// quadrants + point + satellites + split_merge. Without the prior the sphere at (36.9, 7.7,
    /// 4.6) r 3.33 keeps a second one on its line of sight (r 4.55 at z 0.0); with it charged in
    /// the comparisons the 27 true spheres and nothing else.
    func testSphereSplitInDepthIsMerged() throws {
        let dir = try STEM4DFixtures.temporaryDirectory("amplitude-tail")
        func run(_ prior: String) throws -> STEM4DQualityHarness.Draw {
            try STEM4DQualityHarness.run(.spheres, scan: 48, seed: 15, directory: "\(dir)/\(prior)", extra: withoutLateralDefaults([
                "particle_fit_views": "quadrants", "particle_chord_sampling": "point", "particle_satellites": "true",
                "particle_split_merge": "true", "particle_amplitude_prior": prior,
                // The stack as it was before the floor and the depth-outlier rule (7 December) and
                // the lateral split with the held floor (twenty-fifth session) became defaults
                // (with them the extra sphere is already gone): the prior alone is under test.
                "particle_floor": "off", "particle_depth_outlier": "0",
            ]))
        }
        let without = try run("off")
        XCTAssertEqual(without.truthCount, 27)
        XCTAssertEqual(without.recall, 1, without.details)
        XCTAssertEqual(without.foundCount, 28, "the extra sphere along depth: \(without.details)")
        let with = try run("student_t")
        XCTAssertEqual(with.recall, 1, with.details)
        XCTAssertEqual(with.precision, 1, with.details)
    }

    /// The penalty against the density written out: −2 ln of the t density relative to its mode;
    /// d² near the level, far below d² in the tail; the log-likelihood against a naive sum.
    func testPenaltyAndLikelihoodAgainstTheDensity() {
        let law = STEM4DParticleStudentTLaw(level: 0.4, scale: 0.02, tail: 2)
        func density(_ c: Double) -> Double {
            let nu = law.tail, d = (c - law.level) / law.scale
            return tgamma((nu + 1) / 2) / (tgamma(nu / 2) * (nu * .pi).squareRoot() * law.scale) * pow(1 + d * d / nu, -(nu + 1) / 2)
        }
        for c in [0.4, 0.41, 0.38, 0.3, 0.12, 0.55] {
            XCTAssertEqual(law.penalty(c), -2 * log(density(c) / density(0.4)), accuracy: 1e-9, "\(c)")
        }
        XCTAssertEqual(law.penalty(0.4), 0)
        XCTAssertEqual(law.penalty(0.4 + 0.002), 0.015, accuracy: 0.0005)  // d = 0.1: ≈ (ν + 1) / ν · d²
        XCTAssertLessThan(law.penalty(0.2), 15)  // d = 10: the Gaussian would charge 100
        let sample = [0.4, 0.39, 0.12, 0.45]
        XCTAssertEqual(law.logLikelihood(sample), sample.map { log(density($0)) }.reduce(0, +), accuracy: 1e-9)
    }
}
