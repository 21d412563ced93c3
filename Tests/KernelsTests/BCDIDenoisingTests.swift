import Kernels
import XCTest

/// The complex smoothing kernel against its direct reference, and the noise-scaled denoising.
final class BCDIDenoisingTests: XCTestCase {
    /// A random field and a random support on awkward shapes (rows shorter than, equal to and
    /// not a multiple of the SIMD width; single planes; kernels wider than the array).
    func testSmoothingMatchesTheDirectReference() {
        let shapes = [BCDIShape(nz: 1, ny: 1, nx: 1), BCDIShape(nz: 3, ny: 5, nx: 7), BCDIShape(nz: 6, ny: 4, nx: 8),
                      BCDIShape(nz: 9, ny: 11, nx: 19), BCDIShape(nz: 2, ny: 17, nx: 33)]
        var rng = SeededRandom(seed: 3)
        for shape in shapes {
            let re = (0..<shape.count).map { _ in Float(rng.gaussian()) }, im = (0..<shape.count).map { _ in Float(rng.gaussian()) }
            let support = (0..<shape.count).map { _ in UInt8(rng.unit() < 0.7 ? 1 : 0) }
            for sigma in [0.4, 0.9, 2.2] {
                let fast = BCDIComplexSmoothing.smooth(re: re, im: im, support: support, shape: shape, sigma: sigma)
                let ref = BCDIComplexSmoothing.reference(re: re, im: im, support: support, shape: shape, sigma: sigma)
                for i in 0..<shape.count {
                    XCTAssertEqual(fast.re[i], ref.re[i], accuracy: 1e-5, "\(shape) σ \(sigma) re at \(i)")
                    XCTAssertEqual(fast.im[i], ref.im[i], accuracy: 1e-5, "\(shape) σ \(sigma) im at \(i)")
                }
            }
        }
    }

    /// White noise comes out with its σ divided by `noiseReduction` (within sampling error:
    /// smoothed values are correlated over ≈ noiseReduction² voxels, so both components of a
    /// 64³ volume give ≈ 1 % on σ at width 1.2).
    func testNoiseReductionIsWhatWhiteNoiseShows() {
        let shape = BCDIShape(nz: 64, ny: 64, nx: 64)
        var rng = SeededRandom(seed: 9)
        let re = (0..<shape.count).map { _ in Float(rng.gaussian()) }, im = re.map { _ in Float(rng.gaussian()) }
        let support = [UInt8](repeating: 1, count: shape.count)
        for sigma in [0.6, 1.2] {
            let (sr, si) = BCDIComplexSmoothing.smooth(re: re, im: im, support: support, shape: shape, sigma: sigma)
            var sum = 0.0, n = 0.0
            let r = BCDIComplexSmoothing.radius(sigma: sigma)
            for z in r..<(shape.nz - r) { for y in r..<(shape.ny - r) { for x in r..<(shape.nx - r) {
                let i = shape.index(x: x, y: y, z: z)
                sum += Double(sr[i] * sr[i] + si[i] * si[i])
                n += 2
            } } }
            let measured = 1 / (sum / n).squareRoot()
            XCTAssertEqual(measured, BCDIComplexSmoothing.noiseReduction(sigma: sigma), accuracy: 0.05 * measured, "σ \(sigma)")
        }
    }

    /// No smoothing when the data already meet the target; more noise, wider smoothing; capped.
    func testSmoothingWidthFollowsTheNoise() {
        XCTAssertEqual(BCDIDenoising.smoothingSigma(noise: 0.05, amplitude: 1, target: 0.1), 0)
        let a = BCDIDenoising.smoothingSigma(noise: 0.15, amplitude: 1, target: 0.1)
        let b = BCDIDenoising.smoothingSigma(noise: 0.3, amplitude: 1, target: 0.1)
        XCTAssertGreaterThan(a, 0)
        XCTAssertGreaterThan(b, a)
        XCTAssertGreaterThanOrEqual(BCDIComplexSmoothing.noiseReduction(sigma: b), 3 * 0.999)
        XCTAssertEqual(BCDIDenoising.smoothingSigma(noise: 5, amplitude: 1, target: 0.1, maximum: 1.5), 1.5)
    }

    /// Slabs with `radius` halo planes give the whole volume's denoised phase bit for bit.
    func testDenoisedPhaseOfASlabEqualsTheWholeVolume() {
        var spec = BCDISynthetic.demoSpec(size: 24, seed: 4)
        spec.noise = 0.25
        let v = BCDISynthetic.make(spec)
        let g = SIMD3(0.05, -0.02, 0.1), c = SIMD3(11.5, 11.0, 12.2), sigma = 0.9
        let whole = BCDIDenoising.phase(re: v.re, im: v.im, support: v.support, shape: v.shape, firstPlane: 0, ramp: g, centroid: c, sigma: sigma)
        let r = BCDIComplexSmoothing.radius(sigma: sigma), p = v.shape.planeCount
        for z in [0..<5, 9..<13, 20..<24] {
            let read = max(0, z.lowerBound - r)..<min(v.shape.nz, z.upperBound + r)
            let planes = (read.lowerBound * p)..<(read.upperBound * p)
            let slab = BCDIDenoising.phase(re: Array(v.re[planes]), im: Array(v.im[planes]), support: Array(v.support[planes]), shape: v.shape,
                                           firstPlane: read.lowerBound, ramp: g, centroid: c, sigma: sigma)
            let mine = slab[((z.lowerBound - read.lowerBound) * p)..<((z.upperBound - read.lowerBound) * p)]
            XCTAssertEqual(mine.map(\.bitPattern), whole[(z.lowerBound * p)..<(z.upperBound * p)].map(\.bitPattern), "planes \(z)")
        }
    }

    /// On a noisy crystal (noise 0.3 of the peak amplitude) the denoised finder keeps the lines
    /// and drops the noise vortex pairs that the raw phase makes.
    func testDenoisingRemovesNoiseLinesAndKeepsTrueOnes() {
        var spec = BCDISynthetic.demoSpec(size: 44, seed: 21)
        spec.noise = 0.3
        let v = BCDISynthetic.make(spec)
        var raw = BCDIAnalysisSettings()
        raw.phaseNoise = 0
        let before = BCDIEvaluation.score(truth: v.truth, detected: BCDIVolumeAnalysis.run(re: v.re, im: v.im, storedSupport: v.support, shape: v.shape, settings: raw).lines)
        let result = BCDIVolumeAnalysis.run(re: v.re, im: v.im, storedSupport: v.support, shape: v.shape)
        let after = BCDIEvaluation.score(truth: v.truth, detected: result.lines)
        XCTAssertGreaterThan(result.smoothing, 0)
        XCTAssertGreaterThanOrEqual(after.recall, 0.95, "recall \(after.recall) (raw phase \(before.recall))")
        XCTAssertGreaterThanOrEqual(after.precision, 0.95, "precision \(after.precision) (raw phase \(before.precision))")
    }
}
