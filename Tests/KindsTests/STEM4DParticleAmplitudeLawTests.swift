import Foundation
@testable import Kernels
import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// One material, one contrast (`particle_shared_amplitude`), the stack cap (`particle_stack_max`) and
/// the stacks' starts (`particle_stack_starts`).
final class STEM4DParticleAmplitudeLawTests: XCTestCase {
    /// The three parameters: off / 10 / `old` by default, read, refused by name when malformed.
    func testParameters() throws {
        let defaults = try STEM4DJobOptions(JobParams([:]))
        XCTAssertFalse(defaults.particleSharedAmplitude)
        XCTAssertEqual(defaults.particleStackMax, 10)
        XCTAssertEqual(defaults.particleStackStarts, "old")
        let set = try STEM4DJobOptions(JobParams(["particle_shared_amplitude": "true", "particle_stack_max": "16",
                                                  "particle_stack_starts": "residual"]))
        XCTAssertTrue(set.particleSharedAmplitude)
        XCTAssertFalse(set.particleSharedAmplitudePerSphere)
        XCTAssertFalse(defaults.particleSharedAmplitudePerSphere)
        let perSphere = try STEM4DJobOptions(JobParams(["particle_shared_amplitude": "per_sphere"]))
        XCTAssertTrue(perSphere.particleSharedAmplitude)
        XCTAssertTrue(perSphere.particleSharedAmplitudePerSphere)
        XCTAssertEqual(set.particleStackMax, 16)
        XCTAssertEqual(set.particleStackStarts, "residual")
        for (key, value) in [("particle_shared_amplitude", "maybe"), ("particle_stack_max", "0"), ("particle_stack_max", "ten"),
                             ("particle_stack_starts", "new")] {
            XCTAssertThrowsError(try STEM4DJobOptions(JobParams([key: value])), "\(key)=\(value)") { error in
                XCTAssertTrue("\(error)".contains(key), "\(error)")
            }
        }
    }

    /// The law on amplitudes with a few wrong-strength spheres among them: the level and spread
    /// of the material's spheres, not moved by the outliers; none from too few spheres or none
    /// spread.
    func testLawIsRobust() throws {
        var rng = SeededRandom(seed: 7)
        var c = (0..<14).map { _ in 0.37 + rng.uniform(-0.01...0.01) }
        c[2] = 0.12; c[5] = 0.22; c[9] = 0.30  // three spurious, weaker
        let law = try XCTUnwrap(STEM4DParticleAmplitudeLaw.measure(amplitudes: c + [0, -0.1]))
        XCTAssertEqual(law.mean(4), 0.37, accuracy: 0.006)
        XCTAssertLessThan(law.spread, 0.02)
        XCTAssertGreaterThan(law.spread, 0.002)
        XCTAssertNil(STEM4DParticleAmplitudeLaw.measure(amplitudes: Array(c.prefix(5))))
        XCTAssertNil(STEM4DParticleAmplitudeLaw.measure(amplitudes: c.map { _ in 0.4 }))
    }

    /// `per_sphere`: the prior's weight is 1 / (s² + 1 / I) — the plain 1 / s² for a sphere
    /// measured exactly, half of it when the sphere's own variance equals s², none without
    /// information; the plain law ignores I.
    func testPerSpherePrecision() {
        var law = STEM4DParticleAmplitudeLaw(level: 0.4, spread: 0.02)
        XCTAssertEqual(law.precision(information: 1 / (0.02 * 0.02)), 2500, accuracy: 1e-9)
        law.perSphere = true
        XCTAssertEqual(law.precision(information: 1e30), 2500, accuracy: 1e-6)
        XCTAssertEqual(law.precision(information: 1 / (0.02 * 0.02)), 1250, accuracy: 1e-6)
        XCTAssertEqual(law.precision(information: 0), 0)
    }
}

/// The joint fit held to one amplitude (`STEM4DParticleModelFit.sharedAmplitude`) on views drawn
/// independently of it (point-sampled chords, Poisson counts).
final class STEM4DParticleSharedAmplitudeFitTests: XCTestCase {
    let shifts: [(Double, Double)] = [(-0.07, 0), (0.07, 0), (0, -0.07), (0, 0.07)]

    func views(_ w: Int, _ h: Int, _ spheres: [[Double]], level: Double = 60, contrast: Double = 0.4, seed: UInt64 = 1)
        -> [STEM4DParticleModelFit.View] {
        shifts.enumerated().map { k, t in
            var rng = SeededRandom(seed: seed &+ UInt64(k) &* 7919)
            var px = [Float](repeating: 0, count: w * h)
            for y in 0..<h {
                for x in 0..<w {
                    var a = 0.0
                    for s in spheres {
                        let dx = Double(x) - (s[0] - s[2] * t.0), dy = Double(y) - (s[1] - s[2] * t.1)
                        a += contrast * max(0, 1 - (dx * dx + dy * dy) / (s[3] * s[3])).squareRoot()
                    }
                    px[y * w + x] = Float(rng.poisson(level * max(0.05, 1 - a)))
                }
            }
            return STEM4DParticleModelFit.View(image: STEM4DImage(rows: h, cols: w, pixels: px), tx: t.0, ty: t.1)
        }
    }

    /// Eight spheres (two overlapping in projection, 6 px apart sideways and 20 px in depth) found from nothing with
    /// and without the shared amplitude: the same spheres, and with it the measured level is
    /// the drawn contrast's (0.4 of the level) within a few per cent.
    func testKeepsEverySphereAndMeasuresTheLevel() {
        let truth: [[Double]] = [[10, 10, -8, 3.5], [30, 9, 6, 3], [44, 12, -2, 4], [12, 30, 10, 3.2], [25.5, 30, -12, 3.8],
                                 [31.5, 31, 8, 3.4], [44, 32, 3, 3], [20, 20, 0, 2.8]]
        var fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 6, zMin: -30, zMax: 30)
        fit.pointSampling = true
        let v = views(54, 42, truth)
        let free = fit.fit([], views: v)
        fit.sharedAmplitude = true
        let held = fit.fit([], views: v)
        for (what, found) in [("free", free), ("held", held)] {
            XCTAssertEqual(found.count, truth.count, "\(what): \(found.map { [$0.x, $0.y, $0.z, $0.radius] })")
            for s in truth {
                XCTAssertTrue(found.contains { hypot($0.x - s[0], $0.y - s[1]) < 1 && abs($0.z - s[2]) < 3 }, "\(what): \(s) not found")
            }
        }
        let state = STEM4DParticleModelState(views: v, fit: fit)
        for p in held { state.add(.init(x: p.x, y: p.y, z: p.z, r: p.radius, c: 0)) }
        state.initialBackground()
        for k in state.spheres.indices { state.refine(k) }
        let law = STEM4DParticleAmplitudeLaw.measure(amplitudes: state.spheres.map(\.c))
        XCTAssertEqual(law?.level ?? 0, 0.4, accuracy: 0.02, "\(String(describing: law))")
    }
}
