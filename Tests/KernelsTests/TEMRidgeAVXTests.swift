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
        // Widths around the in-place interior of the row pass (r up to 7): 15, 16, 23, 24 and a frame's 512.
        for (w, h) in [(37, 29), (8, 8), (1, 5), (17, 3), (64, 9), (133, 41), (15, 4), (16, 5), (23, 3), (24, 6), (512, 3)] {
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
        // Widths 9 … 18 put the last 8-pixel group (C, the scalar's association) over 0 … 7 of
        // the columns the vector groups do not reach.
        for (w, h) in [(37, 29), (10, 10), (11, 3), (3, 11), (64, 9), (133, 41), (9, 9), (12, 5), (16, 4), (17, 6), (18, 7), (4, 4)] {
            let n = w * h
            // Three smoothed planes of a random frame, as `apply` makes them.
            let img = randomImage(w, h, seed: UInt64(w * 7 + h))
            var planes = [Float](repeating: 0, count: 3 * n)
            for (si, sigma) in [0.8, 1.3, 2.2].enumerated() {
                let sm = GaussianFilter.blur(img, width: w, height: h, sigma: sigma)
                planes.replaceSubrange((si * n)..<((si + 1) * n), with: sm)
            }
            for norms in [[Float](arrayLiteral: 0.8, 1.3, 2.2), [-3.1, -7.5, -21.0], [2.5, 9.0]] {
                // Keys: none (significance) or the σ-weighted choice (`ScaleChoice.weighted`).
                for keys in [nil, norms.map { 1 / abs($0) * 1.7 }] as [[Float]?] {
                    for guardValue in [Float(0), 2] {
                        var r1 = [Float](repeating: .nan, count: n), n1 = r1, r2 = r1, n2 = r1
                        planes.withUnsafeBufferPointer { p in norms.withUnsafeBufferPointer { nb in
                            (keys ?? []).withUnsafeBufferPointer { kb in
                                let kp = keys == nil ? nil : kb.baseAddress
                                RidgeFilter.combine(p.baseAddress!, planeStride: n, norms: nb.baseAddress!, scales: norms.count, width: w, height: h,
                                                    beta: 0.3, pairGuard: guardValue, response: &r1, normal: &n1, keys: kp)
                                RidgeFilter.combine(p.baseAddress!, planeStride: n, norms: nb.baseAddress!, scales: norms.count, width: w, height: h,
                                                    beta: 0.3, pairGuard: guardValue, response: &r2, normal: &n2, keys: kp, allowAVX: false)
                            }
                        } }
                        XCTAssertEqual(bits(r1), bits(r2), "\(w)×\(h) norms \(norms) keys \(String(describing: keys)) guard \(guardValue)")
                        XCTAssertEqual(bits(n1), bits(n2), "\(w)×\(h) norms \(norms) keys \(String(describing: keys)) guard \(guardValue)")
                    }
                }
            }
        }
    }

    /// `responseNoise` gathers eight sampled pixels per vector; the statistic over the scalar
    /// `hessian` and `ridge` of the same pixels must be the same number.
    func testResponseNoiseEqualsScalarDefinition() {
        for (w, h) in [(37, 29), (3, 3), (64, 9), (9, 64), (200, 13), (512, 40), (14, 14)] {
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
            // The Swift loop (the path without AVX) gives the same bits as the C one.
            let plain = img.withUnsafeBufferPointer { RidgeFilter.responseNoise($0.baseAddress!, width: w, height: h, beta: 0.3, allowAVX: false) }
            XCTAssertEqual(plain.bitPattern, want.bitPattern, "\(w)×\(h) Swift loop")
        }
    }

    /// `robustStats` through the C histogram (vectorised bin indices, four interleaved
    /// histograms) gives the same median and σ bits as the Swift loop, for strides 1 and 29,
    /// skewed and tied values, and counts not a multiple of eight.
    func testRobustStatsEqualsSwiftLoop() throws {
        try XCTSkipUnless(RidgeFilter.useAVX, "no AVX on this CPU: the Swift loops are the only path")
        for (count, seed) in [(1, 1), (7, 2), (9, 3), (100, 4), (4_097, 5), (262_144, 6)] as [(Int, UInt64)] {
            var rng = SeededRandom(seed: seed)
            // Half zeros (the clipped response), a long tail, and some exact ties.
            let values: [Float] = (0..<count).map { k in
                let u = rng.unit()
                if u < 0.5 { return 0 }
                return k % 5 == 0 ? 0.25 : Float(-log(1 - u) * 3)
            }
            for stride in [1, 29] {
                let fast = values.withUnsafeBufferPointer { RidgeThreshold.robustStats($0, stride: stride) }
                let plain = values.withUnsafeBufferPointer { RidgeThreshold.robustStats($0, stride: stride, allowAVX: false) }
                XCTAssertEqual(fast.median.bitPattern, plain.median.bitPattern, "count \(count) stride \(stride)")
                XCTAssertEqual(fast.sigma.bitPattern, plain.sigma.bitPattern, "count \(count) stride \(stride)")
            }
        }
    }

    /// `robustStats` (C gather, either histogram) against its definition written plainly here:
    /// the positive values of every `stride`-th sample, the first bin of 4096 over [lo, hi] at
    /// which half of them are counted, then the same over |v − median| for the MAD.
    func testRobustStatsMatchesDefinition() {
        func definition(_ values: [Float], stride: Int) -> (Float, Float) {
            let v = Swift.stride(from: 0, to: values.count, by: stride).map { values[$0] }.filter { $0 > 0 }
            guard let lo = v.min(), let hi = v.max() else { return (0, 0) }
            guard hi > lo else { return (lo, 0) }
            func median(_ xs: [Float], lo: Float, hi: Float) -> Float {
                let scale = Float(4095) / max(hi - lo, .leastNormalMagnitude)
                var hist = [Int](repeating: 0, count: 4096)
                for x in xs { hist[min(4095, max(0, Int((x - lo) * scale)))] += 1 }
                var acc = 0
                for b in 0..<4096 {
                    acc += hist[b]
                    if 2 * acc >= xs.count { return lo + (Float(b) + 0.5) / scale }
                }
                return hi
            }
            let med = median(v, lo: lo, hi: hi)
            let mad = median(v.map { abs($0 - med) }, lo: 0, hi: max(hi - med, med - lo))
            return (med, 1.4826 * mad)
        }
        var rng = SeededRandom(seed: 11)
        let values: [Float] = (0..<5_000).map { _ in Float(rng.unit() * 2 - 1) }
        for stride in [1, 3, 29, 4_999, 5_000, 9_000] {
            let want = definition(values, stride: stride)
            for avx in [true, false] {
                let got = values.withUnsafeBufferPointer { RidgeThreshold.robustStats($0, stride: stride, allowAVX: avx) }
                XCTAssertEqual(got.median.bitPattern, want.0.bitPattern, "stride \(stride) avx \(avx)")
                XCTAssertEqual(got.sigma.bitPattern, want.1.bitPattern, "stride \(stride) avx \(avx)")
            }
        }
    }
}
