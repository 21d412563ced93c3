import Foundation
import XCTest
@testable import Kernels

/// The nanodiff kernels against their plain twins and against known answers.
final class NanodiffKernelTests: XCTestCase {
    /// A frame with a Gaussian peak on a Poisson background, as Doubles.
    func frame(width: Int, height: Int, seed: UInt64, background: Double, peak: Double, at c: SIMD2<Double>, sigma: Double = 2) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<(width * height)).map { i in
            let x = Double(i % width) - c.x, y = Double(i / width) - c.y
            return Double(rng.poisson(background + peak * exp(-(x * x + y * y) / (2 * sigma * sigma))))
        }
    }

    func assertClose(_ a: NanodiffFrameMoments, _ b: NanodiffFrameMoments, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        XCTAssertEqual(a.threshold, b.threshold, file: file, line: line)
        XCTAssertEqual(a.background, b.background, accuracy: 1e-9 * max(1, b.background), file: file, line: line)
        for (x, y) in [(a.w, b.w), (a.wu, b.wu), (a.wv, b.wv), (a.wuu, b.wuu), (a.wuv, b.wuv), (a.wvv, b.wvv)] {
            XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(y)), file: file, line: line)
        }
    }

    func testMomentKernelMatchesReferenceOnAwkwardShapes() {
        for (w, h) in [(1, 1), (7, 13), (15, 3), (16, 16), (17, 5), (33, 31), (64, 48)] {
            for (bg, peak) in [(0.0, 0.0), (0.02, 200.0), (0.5, 1000.0), (30.0, 5000.0)] {
                let values = frame(width: w, height: h, seed: UInt64(w * 100 + h), background: bg, peak: peak,
                                   at: SIMD2(Double(w) * 0.4, Double(h) * 0.6))
                let reference = NanodiffMomentReference.frame(values, width: w, height: h, falseAlarms: 0.1)
                let u16 = values.map { UInt16($0) }, f32 = values.map { Float($0) }
                assertClose(u16.withUnsafeBufferPointer { NanodiffMomentKernel.frame($0.baseAddress!, width: w, height: h, falseAlarms: 0.1) }, reference)
                assertClose(f32.withUnsafeBufferPointer { NanodiffMomentKernel.frame($0.baseAddress!, width: w, height: h, falseAlarms: 0.1) }, reference)
            }
        }
    }

    func testMomentKernelFindsThePeakAndFlagsNaN() {
        let values = frame(width: 48, height: 40, seed: 3, background: 0.1, peak: 2000, at: SIMD2(20.3, 17.8))
        let m = values.map { UInt16($0) }.withUnsafeBufferPointer { NanodiffMomentKernel.frame($0.baseAddress!, width: 48, height: 40, falseAlarms: 0.1) }
        let c = m.centroid!
        XCTAssertEqual(c.u, 20.3, accuracy: 0.05)
        XCTAssertEqual(c.v, 17.8, accuracy: 0.05)
        XCTAssertEqual(m.covariance.x, 4, accuracy: 0.4)
        XCTAssertLessThan(m.background, 0.2)
        var bad = values.map { Float($0) }
        bad[77] = .nan
        let n = bad.withUnsafeBufferPointer { NanodiffMomentKernel.frame($0.baseAddress!, width: 48, height: 40, falseAlarms: 0.1) }
        XCTAssertTrue(n.background.isNaN)
    }

    func testPoissonThresholdHasTheRequestedTail() {
        for mean in [0.0, 0.01, 0.3, 4.0, 50.0, 500.0] {
            let t = NanodiffPoissonThreshold.upper(mean: mean, tail: 1e-4)
            // P(X > t) ≤ 1e-4 < P(X > t − 1).
            func tail(_ k: Double) -> Double {
                var p = exp(-mean), cdf = p
                var i = 0.0
                while i < k { i += 1; p *= mean / i; cdf += p }
                return 1 - cdf
            }
            if mean <= 200 {
                XCTAssertLessThanOrEqual(tail(t), 1e-4 + 1e-12, "mean \(mean)")
                if t > 0 { XCTAssertGreaterThan(tail(t - 1), 1e-4, "mean \(mean)") }
            } else {
                XCTAssertEqual(t, mean + 3.719 * mean.squareRoot(), accuracy: 2)
            }
        }
        XCTAssertEqual(NanodiffPoissonThreshold.normalQuantile(0.975), 1.959964, accuracy: 1e-5)
    }

    func testGeometryPutsTheBraggPeakAtTheCentrePixel() {
        let p = NanodiffSynthParams.demo()
        let g = p.geometry
        let q = g.nominalQ
        XCTAssertEqual(2 * Double.pi / (q * q).sum().squareRoot(), p.d0, accuracy: 1e-9)
        // Rocking moves q along the Ewald sphere but keeps |k_f − k_i| fixed at a given pixel.
        let a = g.q(u: 3, v: 5, omega: 0.01), b = g.q(u: 3, v: 5, omega: -0.01)
        XCTAssertEqual((a * a).sum(), (b * b).sum(), accuracy: 1e-12)
        XCTAssertNil(g.problem)
        var bad = g
        bad.energyKeV = .nan
        XCTAssertNotNil(bad.problem)
    }

    func testFeaturesRecoverAKnownStrainFromRenderedFrames() {
        var p = NanodiffSynthParams()
        p.scanRows = 1; p.scanCols = 3; p.dose = 1e6; p.background = 0.01
        p.rockingHalfRangeDeg = p.suggestedHalfRangeDeg
        // A uniform dilatation: strain 5e-4 everywhere (a huge region).
        p.region = .init(x: 1, y: 0, radius: 1e6, strain: 5e-4)
        let (data, truth) = NanodiffSynthesizer.render(p, threads: 1)
        let features = data.withUnsafeBufferPointer {
            NanodiffPositionAnalysis.analyse($0, angles: p.angles, positions: 3, width: p.detCols, height: p.detRows,
                                             anglesDeg: p.anglesDeg, geometry: p.geometry)
        }
        let frame = NanodiffLatticeFrame(q0: p.geometry.nominalQ, d0: p.d0)
        for (i, f) in features.enumerated() {
            XCTAssertEqual(frame.strain(f!.q), truth.strain[i], accuracy: 3e-5)
            XCTAssertEqual(truth.strain[i], 5e-4, accuracy: 2e-5)
        }
    }

    func testLPAICIKeepsAStepAndSmoothsFlatRegions() {
        var rng = SeededRandom(seed: 9)
        let w = 24, h = 20
        let clean = (0..<(w * h)).map { ($0 % w) < 11 ? 0.0 : 1.0 }
        var noisy = clean.map { $0 + 0.1 * rng.gaussian() }
        noisy[5] = .nan
        let (out, scale) = NanodiffLPAICI.denoise(noisy, width: w, height: h)
        XCTAssertTrue(out[5].isNaN)
        func rms(_ a: [Double]) -> Double {
            let d = zip(a, clean).compactMap { $0.0.isFinite ? $0.0 - $0.1 : nil }
            return (d.reduce(0) { $0 + $1 * $1 } / Double(d.count)).squareRoot()
        }
        XCTAssertLessThan(rms(out), 0.5 * rms(noisy))
        // Next to the step the estimate stays on its own side.
        for y in 0..<h {
            XCTAssertLessThan(out[y * w + 10], 0.25)
            XCTAssertGreaterThan(out[y * w + 11], 0.75)
        }
        XCTAssertGreaterThan(scale[10 * w + 3], 1)
        XCTAssertEqual(NanodiffLPAICI.noiseSigma(noisy, width: w, height: h), 0.1, accuracy: 0.02)
    }

    func testCirculationFindsAPhaseVortexAndNotAGradient() {
        let w = 12, h = 10, step = 1000.0
        let core = SIMD2(6.3, 4.6)
        // q̄ − Q = −∇(phase): a vortex of winding 1 plus a uniform gradient and a kink.
        var gx = [Double](repeating: 0, count: w * h), gy = gx
        for y in 0..<h {
            for x in 0..<w {
                let dx = (Double(x) - core.x) * step, dy = (Double(y) - core.y) * step
                let r2 = dx * dx + dy * dy
                gx[y * w + x] = -dy / r2 + 2e-4 + (Double(y) > 7.5 ? 1e-4 : 0)
                gy[y * w + x] = dx / r2 + 1e-4
            }
        }
        let p = NanodiffDefectFinder.plaquettes(gx: gx, gy: gy, width: w, height: h, step: step)
        let found = NanodiffDefectFinder.dislocations(plaquettes: p, width: w, height: h)
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found[0].x, core.x, accuracy: 0.5)
        XCTAssertEqual(found[0].y, core.y, accuracy: 0.5)
        XCTAssertGreaterThan(abs(found[0].strength), 4)
    }

    func testEigenPCAAndKMeansSeparateTwoGroups() {
        let (values, vectors) = NanodiffSymmetricEigen.decompose([4, 1, 0, 1, 3, 0, 0, 0, 1], n: 3)
        XCTAssertEqual(values[0], 3.5 + 0.5 * 5.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(values[2], 1, accuracy: 1e-9)
        XCTAssertEqual(abs(vectors[2][2]), 1, accuracy: 1e-9)
        var rng = SeededRandom(seed: 2)
        var x: [Double] = []
        for i in 0..<120 { let c = i < 80 ? 0.0 : 5.0; x += [c + rng.gaussian(), c + rng.gaussian(), rng.gaussian()] }
        let (e, explained) = NanodiffEmbedding.pca(x, rows: 120, dims: 3, components: 2)
        XCTAssertGreaterThan(explained[0], 0.5)
        let r = NanodiffEmbedding.regions(e, rows: 120, dims: 2, k: nil)
        XCTAssertEqual(r.k, 2)
        XCTAssertEqual(Set(r.labels[0..<80]).count, 1)
        XCTAssertEqual(Set(r.labels[80...]).count, 1)
        XCTAssertNotEqual(r.labels[0], r.labels[119])
        XCTAssertEqual(r.labels[0], 0, "the larger region is label 0")
    }

    func testAutoencoderLearnsALowDimensionalDescriptor() {
        // 6-D data on a 2-D plane plus a little noise: a 3-code autoencoder reconstructs it.
        var rng = SeededRandom(seed: 5)
        var x: [Double] = []
        for _ in 0..<200 {
            let a = rng.gaussian(), b = rng.gaussian()
            x += [a, b, a + b, a - b, 0.5 * a, -b].map { $0 + 0.01 * rng.gaussian() }
        }
        let z = NanodiffEmbedding.standardise(x, rows: 200, dims: 6)
        var ae = NanodiffAutoencoder(dims: 6, hidden: 8, code: 3, seed: 1)
        let before = ae.train(z, rows: 200, epochs: 1)
        let after = ae.train(z, rows: 200, epochs: 300)
        XCTAssertLessThan(after, 0.2 * before)
        XCTAssertEqual(ae.encode(z, rows: 200).count, 600)
    }

    func testTrackerFollowsGlidingDefects() {
        let a = [NanodiffDefect(kind: .dislocation, x: 3, y: 3, strength: 6), NanodiffDefect(kind: .dislocation, x: 9, y: 3, strength: -6)]
        let b = [NanodiffDefect(kind: .dislocation, x: 9.5, y: 3, strength: -6), NanodiffDefect(kind: .dislocation, x: 3.6, y: 3.1, strength: 6),
                 NanodiffDefect(kind: .dislocation, x: 20, y: 20, strength: 6)]
        let ids = NanodiffTracker.track([a, b], gate: 2)
        XCTAssertEqual(ids[0], [1, 2])
        XCTAssertEqual(ids[1], [2, 1, 3])
    }
}
