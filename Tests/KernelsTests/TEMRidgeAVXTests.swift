import XCTest
@testable import Kernels

/// The AVX loops (`CTEMSIMD`) against the Swift loops they replace, which stay their reference
/// (and the path of CPUs without AVX): bit-for-bit equal values on awkward shapes, both
/// polarities, with and without the close-pair guard. And `RidgeFilter.responseNoise` (eight
/// sampled pixels per vector) against the same statistic over the scalar Hessian.
final class TEMRidgeAVXTests: XCTestCase {
    private func randomImage(_ w: Int, _ h: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<(w * h)).map { _ in Float(rng.unit()) }
    }

    private func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }

    func testBlurEqualsSwiftLoops() throws {
        try XCTSkipUnless(RidgeFilter.useAVX, "no AVX on this CPU: the Swift loops are the only path")
        for (w, h) in [(37, 29), (8, 8), (1, 5), (17, 3), (64, 9), (133, 41)] {
            let img = randomImage(w, h, seed: UInt64(w * 31 + h))
            for sigma in [0.8, 1.3, 2.2] {
                let k = GaussianFilter.kernel(sigma: sigma, order: 0)
                var fast = [Float](repeating: .nan, count: w * h), plain = fast
                img.withUnsafeBufferPointer { s in
                    fast.withUnsafeMutableBufferPointer { GaussianFilter.blurSymmetric(s, width: w, height: h, kernel: k, into: $0) }
                    plain.withUnsafeMutableBufferPointer { GaussianFilter.blurSymmetric(s, width: w, height: h, kernel: k, into: $0, allowAVX: false) }
                }
                XCTAssertEqual(bits(fast), bits(plain), "\(w)×\(h) σ \(sigma)")
            }
        }
    }

    func testCombineEqualsSwiftLoop() throws {
        try XCTSkipUnless(RidgeFilter.useAVX, "no AVX on this CPU: the Swift loops are the only path")
        for (w, h) in [(37, 29), (10, 10), (11, 3), (3, 11), (64, 9), (133, 41)] {
            let n = w * h
            // Three smoothed planes of a random frame, as `apply` makes them.
            let img = randomImage(w, h, seed: UInt64(w * 7 + h))
            var planes = [Float](repeating: 0, count: 3 * n)
            for (si, sigma) in [0.8, 1.3, 2.2].enumerated() {
                let sm = GaussianFilter.blur(img, width: w, height: h, sigma: sigma)
                planes.replaceSubrange((si * n)..<((si + 1) * n), with: sm)
            }
            for norms in [[Float](arrayLiteral: 0.8, 1.3, 2.2), [-3.1, -7.5, -21.0], [2.5, 9.0]] {
                for guardValue in [Float(0), 2] {
                    var r1 = [Float](repeating: .nan, count: n), n1 = r1, r2 = r1, n2 = r1
                    planes.withUnsafeBufferPointer { p in norms.withUnsafeBufferPointer { nb in
                        RidgeFilter.combine(p.baseAddress!, planeStride: n, norms: nb.baseAddress!, scales: norms.count, width: w, height: h,
                                            beta: 0.3, pairGuard: guardValue, response: &r1, normal: &n1)
                        RidgeFilter.combine(p.baseAddress!, planeStride: n, norms: nb.baseAddress!, scales: norms.count, width: w, height: h,
                                            beta: 0.3, pairGuard: guardValue, response: &r2, normal: &n2, allowAVX: false)
                    } }
                    XCTAssertEqual(bits(r1), bits(r2), "\(w)×\(h) norms \(norms) guard \(guardValue)")
                    XCTAssertEqual(bits(n1), bits(n2), "\(w)×\(h) norms \(norms) guard \(guardValue)")
                }
            }
        }
    }

    /// `responseNoise` gathers eight sampled pixels per vector; the statistic over the scalar
    /// `hessian` and `ridge` of the same pixels must be the same number.
    func testResponseNoiseEqualsScalarDefinition() {
        for (w, h) in [(37, 29), (3, 3), (64, 9), (9, 64), (200, 13)] {
            let img = GaussianFilter.blur(randomImage(w, h, seed: UInt64(w + 3 * h)), width: w, height: h, sigma: 1.3)
            let fast = img.withUnsafeBufferPointer { RidgeFilter.responseNoise($0.baseAddress!, width: w, height: h, beta: 0.3) }
            var samples: [Float] = []
            img.withUnsafeBufferPointer { s in
                for i in stride(from: w + 1, to: w * (h - 1) - 1, by: 13) where i % w > 0 && i % w < w - 1 {
                    let (a, b, c) = RidgeFilter.hessian(s.baseAddress!, width: w, height: h, x: i % w, y: i / w)
                    samples.append(RidgeFilter.ridge(a, b, c, beta: 0.3))
                }
            }
            let want = samples.withUnsafeBufferPointer { RidgeThreshold.robustStats($0, stride: 1).sigma }
            XCTAssertEqual(fast.bitPattern, want.bitPattern, "\(w)×\(h)")
        }
    }
}
