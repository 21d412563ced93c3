import XCTest
@testable import Kernels

/// `STEM4DLineDepthFit.pooledWeights`: the views' displacements across a line weighed by the
/// mean profile's derivative pooled over the window's points instead of each point's own.
final class STEM4DLineDepthWeightsTests: XCTestCase {
    /// Four 40×40 views of a straight line along y (a Gaussian dip of σ 1.2 px, contrast 0.2),
    /// view k displaced along x by `shifts[k]`, white noise of `noise` per pixel, smoothed at
    /// σ/2 as the reconstruction reads them.
    func views(shifts: [Double], noise: Double, rng: inout SeededRandom) -> [STEM4DLineView] {
        let n = 40, tilts: [(Double, Double)] = [(0.07, 0), (-0.07, 0), (0, 0.07), (0, -0.07)]
        return zip(shifts, tilts).map { shift, t in
            let pixels = (0..<(n * n)).map { i -> Float in
                let dx = Double(i % n) - 20 - shift
                return Float(1 - 0.2 * exp(-dx * dx / (2 * 1.2 * 1.2)) + noise * rng.gaussian())
            }
            return STEM4DLineView(image: STEM4DImage(rows: n, cols: n, pixels: pixels).gaussianBlurred(sigma: 0.6), tx: t.0, ty: t.1)
        }
    }

    /// The first two views displaced by ±0.3 px, 80 noise draws at a level where one
    /// cross-section's G′ is noisy (0.08 per pixel against a 0.2 dip). One step with each
    /// point's own G′ is shrunk (the noise inflates ΣG′²: 0.50 of 0.6 px here); with the pooled
    /// weights it is not (within 0.05 px), at the same relative spread (std / mean within 10 %):
    /// the same information, less shrinkage for the fit's iterations to undo. Without noise both
    /// give it within 0.05 px.
    func testPooledWeightsShrinkOneStepLessAtTheSameSpread() {
        let curve = (0..<21).map { SIMD2(20.0, 10.0 + Double($0)) }
        var fit = STEM4DLineDepthFit(halfWidth: 5, zRange: 40)
        let offsets = stride(from: -fit.halfWidth, through: fit.halfWidth + 1e-9, by: fit.step).map { $0 }
        let z = [Double](repeating: 0, count: 7)
        func difference(_ v: [STEM4DLineView], pooled: Bool) -> Double? {
            fit.pooledWeights = pooled
            guard let e = fit.displacements(curve: curve, range: 7...13, normal: SIMD2(1, 0), z: z, offsets: offsets, views: v) else { return nil }
            return e[0] - e[1]
        }
        var rng = SeededRandom(seed: 11)
        let clean = views(shifts: [0.3, -0.3, 0, 0], noise: 0, rng: &rng)
        for pooled in [false, true] {
            XCTAssertEqual(abs(difference(clean, pooled: pooled) ?? 0), 0.6, accuracy: 0.05, "pooled \(pooled)")
        }
        var local: [Double] = [], pooled: [Double] = []
        for _ in 0..<80 {
            let v = views(shifts: [0.3, -0.3, 0, 0], noise: 0.08, rng: &rng)
            if let a = difference(v, pooled: false), let b = difference(v, pooled: true) { local.append(abs(a)); pooled.append(abs(b)) }
        }
        XCTAssertEqual(local.count, 80)
        func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
        func std(_ x: [Double]) -> Double { let m = mean(x); return (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - 1)).squareRoot() }
        print("displacement 0.6 px: local mean \(mean(local)) std \(std(local)); pooled mean \(mean(pooled)) std \(std(pooled))")
        XCTAssertEqual(mean(pooled), 0.6, accuracy: 0.05)
        XCTAssertGreaterThan(mean(pooled), mean(local) + 0.04, "the pooled step should be less shrunk")
        XCTAssertEqual(std(pooled) / mean(pooled), std(local) / mean(local), accuracy: 0.1 * std(local) / mean(local))
    }
}
