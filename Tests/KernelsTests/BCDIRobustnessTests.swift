import Kernels
import XCTest

/// Noise level, noise-trimmed support, ramp refinement, ensemble combination and the
/// randomised accuracy harness.
final class BCDIRobustnessTests: XCTestCase {
    /// A random draw with known noise: the measured σ is within 15 % of it (the generator's σ
    /// is `noise` times the noise-free field's peak amplitude).
    func testNoiseSigmaIsMeasuredFromTheVolume() {
        for (k, noise) in [0.1, 0.3].enumerated() {
            var ranges = BCDIRandomRanges()
            ranges.noise = noise...noise
            let draw = BCDIRandomCrystal.draw(seed: UInt64(40 + k), ranges: ranges)
            let v = BCDISynthetic.make(draw.spec)
            let sigma = BCDINoiseSupport.sigma(re: v.re, im: v.im, support: v.support, shape: v.shape)
            var clean = draw.spec
            clean.noise = 0
            let c = BCDISynthetic.make(clean)
            var peak: Float = 0
            for i in 0..<c.shape.count { peak = max(peak, (c.re[i] * c.re[i] + c.im[i] * c.im[i]).squareRoot()) }
            XCTAssertEqual(sigma, noise * Double(peak), accuracy: 0.15 * noise * Double(peak), "noise \(noise)")
        }
    }

    /// A support two voxels too large holds only noise beyond the first layer outside the
    /// crystal (the blur tail reaches one voxel): that is trimmed, and no cores inside are lost.
    func testReliableSupportDropsTheNoiseShellAndKeepsCores() {
        var spec = BCDISynthetic.demoSpec(size: 40, seed: 5)
        spec.noise = 0.2
        let v = BCDISynthetic.make(spec)
        let loose = BCDISupport.dilate(v.support, shape: v.shape, radius: 2)
        let sigma = BCDINoiseSupport.sigma(re: v.re, im: v.im, support: loose, shape: v.shape)
        let kept = BCDINoiseSupport.reliable(re: v.re, im: v.im, support: loose, shape: v.shape, sigma: sigma)
        var outside = 0, shell = 0, lostInside = 0
        let tail = BCDISupport.dilate(v.support, shape: v.shape, radius: 1)
        for i in 0..<v.shape.count where loose[i] != 0 && tail[i] == 0 {
            shell += 1
            if kept[i] != 0 { outside += 1 }
        }
        // Cores: crystal voxels within one voxel of a true line.
        let lines = v.truth.map { BCDILine(points: $0, closed: false) }.flatMap(\.segments)
        for i in 0..<v.shape.count where v.support[i] != 0 && kept[i] == 0 {
            let c = v.shape.coordinates(of: i)
            if BCDIEvaluation.distance(SIMD3(Double(c.x), Double(c.y), Double(c.z)), to: lines) < 1, !nearSurface(i, v) { lostInside += 1 }
        }
        XCTAssertLessThan(Double(outside), 0.05 * Double(shell), "noise shell kept: \(outside) of \(shell)")
        XCTAssertEqual(lostInside, 0, "core voxels inside the crystal must stay")
    }

    func nearSurface(_ i: Int, _ v: BCDISyntheticVolume) -> Bool {
        let c = v.shape.coordinates(of: i)
        for dz in -3...3 { for dy in -3...3 { for dx in -3...3 {
            let x = c.x + dx, y = c.y + dy, z = c.z + dz
            if !v.shape.contains(x: x, y: y, z: z) || v.support[v.shape.index(x: x, y: y, z: z)] == 0 { return true }
        } } }
        return false
    }

    /// Without noise the support is left as it is.
    func testReliableSupportWithoutNoiseIsTheSupport() {
        let v = BCDISynthetic.make(BCDISynthetic.demoSpec(size: 24, seed: 2))
        XCTAssertEqual(BCDINoiseSupport.reliable(re: v.re, im: v.im, support: v.support, shape: v.shape, sigma: 0), v.support)
    }

    /// A known ramp of 0.17 rad/voxel under blur σ = 1.5 and noise is recovered to within
    /// 0.015 rad/voxel (a residual that adds < 0.1 rad to Ψ, against a margin of 0.7 at the
    /// cutoff), from the Bragg-peak start and from zero, on odd shapes. (The rest is the
    /// surface bending of the blurred ramp, ≈ 6 % of it in a crystal of radius 11.)
    func testRampRefinementRecoversTheRampUnderBlur() {
        for (k, shape) in [BCDIShape(nz: 29, ny: 33, nx: 31), BCDIShape(nz: 40, ny: 27, nx: 35)].enumerated() {
            var spec = BCDISynthetic.demoSpec(shape: shape, radius: 11, seed: UInt64(k + 1))
            spec.dislocations = []
            spec.blurSigma = 1.5
            spec.noise = 0.1
            spec.ramp = SIMD3(0.15, -0.07, 0.05)
            let v = BCDISynthetic.make(spec)
            let initial = BCDIPhaseRamp.estimate(re: v.re, im: v.im, support: v.support, shape: v.shape)
            let refined = BCDIPhaseRamp.refine(re: v.re, im: v.im, support: v.support, shape: v.shape, initial: initial)
            let error = refined - spec.ramp
            XCTAssertLessThan(((error * error).sum()).squareRoot(), 0.015, "\(shape): refined \(refined)")
            // Started far off (no Bragg-peak centring), the iterations still converge.
            let cold = BCDIPhaseRamp.refine(re: v.re, im: v.im, support: v.support, shape: v.shape, initial: .zero, passes: 6)
            let coldError = cold - spec.ramp
            XCTAssertLessThan(((coldError * coldError).sum()).squareRoot(), 0.015, "\(shape): from zero \(cold)")
        }
    }

    /// Three members: a line in all of them (one shifted, registered by the centroids) has
    /// confidence 1; a line in one of them 1/3; duplicates are merged.
    func testEnsembleConfidenceFromAgreement() {
        func line(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> BCDILine {
            BCDILine(points: (0...10).map { a + (b - a) * (Double($0) / 10) }, closed: false)
        }
        let common = line(SIMD3(0, 5, 5), SIMD3(20, 5, 5))
        let lone = line(SIMD3(0, 15, 15), SIMD3(20, 15, 15))
        let shift = SIMD3<Double>(1.5, -1, 0)
        let shifted = BCDILine(points: common.points.map { $0 + shift }, closed: false)
        let out = BCDIEnsemble.combine([[common], [shifted, lone], [common]],
                                       centroids: [SIMD3(10, 10, 10), SIMD3(10, 10, 10) + shift, SIMD3(10, 10, 10)])
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out[0].confidence, 1, accuracy: 1e-9)
        XCTAssertEqual(out[0].agreeing, 3)
        XCTAssertEqual(out[1].confidence, 1.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(out[1].agreeing, 1)
        XCTAssertEqual(out[1].member, 1)
        XCTAssertEqual(out[1].line.points[0], SIMD3(0, 15, 15) - shift, "in member 0's frame")
        XCTAssertTrue(BCDIEnsemble.combine([], centroids: []).isEmpty)
    }

    /// The harness over a few clean random draws: the finder works on all of them, and the
    /// report is a distribution (the full 50-draw figures come from `ctl bench bcdi --accuracy`).
    func testAccuracyHarnessOnCleanDraws() {
        let report = BCDIAccuracy.run(preset: "clean", ranges: BCDIRandomRanges.preset("clean")!, count: 4, seed: 7, threads: 2)
        XCTAssertEqual(report.draws.count, 4)
        XCTAssertGreaterThanOrEqual(BCDIAccuracy.quantile(report.draws.map(\.score.recall), 0.5), 0.8, report.description)
        XCTAssertGreaterThanOrEqual(BCDIAccuracy.quantile(report.draws.map(\.score.precision), 0.5), 0.8, report.description)
        XCTAssertTrue(report.description.contains("clean: 4 draws"))
        XCTAssertEqual(BCDIAccuracy.quantile([3, 1, 2, 4, 5], 0.5), 3)
        XCTAssertEqual(BCDIAccuracy.quantile([0, 10], 0.1), 1, accuracy: 1e-12)
    }

    /// Every draw is a valid volume with lines inside the crystal, and the same seed gives
    /// the same draw.
    func testRandomDrawsAreReproducibleAndVaried() {
        let a = BCDIRandomCrystal.draw(seed: 99), b = BCDIRandomCrystal.draw(seed: 99), c = BCDIRandomCrystal.draw(seed: 100)
        XCTAssertEqual(a.spec, b.spec)
        XCTAssertNotEqual(a.spec, c.spec)
        XCTAssertFalse(a.lineKinds.isEmpty)
        XCTAssertLessThanOrEqual(a.spec.noise, 0.30)
        XCTAssertLessThanOrEqual(a.spec.blurSigma, 2.0)
    }
}
