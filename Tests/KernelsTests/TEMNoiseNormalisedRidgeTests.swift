import XCTest
@testable import Kernels

/// The noise-normalised multi-scale ridge filter against a plain reference: every scale's
/// response from the Double reference, divided by that response's robust σ (median and MAD of
/// the positive values, by sorting) over the same sampled pixels, and the per-pixel maximum.
final class TEMNoiseNormalisedRidgeTests: XCTestCase {
    private func randomImage(_ w: Int, _ h: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<(w * h)).map { _ in Float(rng.unit()) }
    }

    /// Robust σ by sorting: 1.4826 × the median of |v − median| over the positive values (the
    /// lower median, as the histogram takes the first value with half the samples at or below it).
    private func referenceSigma(_ values: [Float]) -> Double {
        let v = values.filter { $0 > 0 }.map(Double.init).sorted()
        guard !v.isEmpty else { return 0 }
        func median(_ s: [Double]) -> Double { s[(s.count - 1) / 2] }
        let m = median(v)
        return 1.4826 * median(v.map { abs($0 - m) }.sorted())
    }

    /// The pixels `RidgeFilter.responseNoise` samples: every `stride`-th index of the interior.
    private func sampled(_ r: [Float], width w: Int, height h: Int, stride: Int = 13) -> [Float] {
        Swift.stride(from: w + 1, to: w * (h - 1) - 1, by: stride).filter { $0 % w > 0 && $0 % w < w - 1 }.map { r[$0] }
    }

    func testMatchesPerScaleReferenceOnAwkwardShapes() {
        for (w, h) in [(37, 29), (64, 9), (9, 64), (53, 41)] {
            for bright in [false, true] {
                let img = randomImage(w, h, seed: UInt64(w * 7 + h))
                let scales = [1.0, 1.5, 2.2]
                var fast = [Float](repeating: -1, count: w * h), normal = fast
                var ws = RidgeFilter.Workspace()
                img.withUnsafeBufferPointer { s in fast.withUnsafeMutableBufferPointer { f in normal.withUnsafeMutableBufferPointer { n in
                    RidgeFilter.apply(s, width: w, height: h, scales: scales, beta: 0.3, brightLines: bright,
                                      noiseNormalised: true, response: f, normal: n, workspace: &ws)
                } } }
                var want = [Float](repeating: 0, count: w * h)
                for sigma in scales {
                    // σ of the dark-line response (what the filter measures), applied to either polarity.
                    let dark = RidgeFilter.referenceResponse(img, width: w, height: h, sigma: sigma, beta: 0.3, scaleExponent: 0)
                    let r = RidgeFilter.referenceResponse(img, width: w, height: h, sigma: sigma, beta: 0.3, brightLines: bright, scaleExponent: 0)
                    let noise = referenceSigma(sampled(dark, width: w, height: h))
                    XCTAssertGreaterThan(noise, 0)
                    for i in want.indices { want[i] = max(want[i], Float(Double(r[i]) / noise)) }
                }
                // The histogram median/MAD are within a bin (1/4096 of the range) of the sorted ones.
                for i in want.indices {
                    XCTAssertEqual(fast[i], want[i], accuracy: 0.01 * max(1, want[i]), "\(w)×\(h) bright \(bright) at \(i)")
                }
            }
        }
    }

    /// A line stands at the same height above the noise whatever the frame's gain: the response
    /// is in units of the frame's own noise (scaling the frame by 40 changes nothing).
    func testInvariantToGain() {
        let w = 48, h = 40
        var img = randomImage(w, h, seed: 3)
        for y in 0..<h { img[y * w + 20] -= 1.5 }
        let scaled = img.map { $0 * 40 }
        func run(_ frame: [Float]) -> [Float] {
            var r = [Float](repeating: 0, count: w * h), n = r
            var ws = RidgeFilter.Workspace()
            frame.withUnsafeBufferPointer { s in r.withUnsafeMutableBufferPointer { rb in n.withUnsafeMutableBufferPointer { nb in
                RidgeFilter.apply(s, width: w, height: h, scales: [1, 2], beta: 0.3, brightLines: false,
                                  noiseNormalised: true, response: rb, normal: nb, workspace: &ws)
            } } }
            return r
        }
        let a = run(img), b = run(scaled)
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-3 * max(1, a[i])) }
        XCTAssertGreaterThan(a[20 * w + 20], 5, "the line stands well above the frame's noise")
    }

    /// Frames without texture (constant) give zeros, not NaN or infinity.
    func testFlatFrameGivesZeros() {
        let w = 16, h = 12
        let img = [Float](repeating: 0.5, count: w * h)
        var r = [Float](repeating: 0, count: w * h), n = r
        var ws = RidgeFilter.Workspace()
        img.withUnsafeBufferPointer { s in r.withUnsafeMutableBufferPointer { rb in n.withUnsafeMutableBufferPointer { nb in
            RidgeFilter.apply(s, width: w, height: h, scales: [1, 2], beta: 0.3, brightLines: false,
                              noiseNormalised: true, response: rb, normal: nb, workspace: &ws)
        } } }
        XCTAssertTrue(r.allSatisfy { $0 == 0 })
    }
}

/// The tangent average against its plain reference on awkward shapes (narrower than the
/// window, odd sizes, every normal code, m = 0…4).
final class TEMRidgeTangentAverageTests: XCTestCase {
    func testMatchesReferenceOnAwkwardShapes() {
        var rng = SeededRandom(seed: 5)
        for (w, h) in [(1, 1), (3, 2), (7, 13), (13, 7), (17, 9), (31, 23), (8, 40), (40, 8)] {
            let response = (0..<(w * h)).map { _ in Float(rng.unit()) }
            let normal = (0..<(w * h)).map { _ in Float(Int(rng.unit() * 4) % 4) }
            for m in 0...4 {
                var out = [Float](repeating: -1, count: w * h)
                response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { n in out.withUnsafeMutableBufferPointer { o in
                    RidgeTangentAverage.apply(response: r, normal: n, width: w, height: h, halfLength: m, out: o)
                } } }
                let want = RidgeTangentAverage.reference(response: response, normal: normal, width: w, height: h, halfLength: m)
                for i in want.indices { XCTAssertEqual(out[i], want[i], accuracy: 1e-5, "\(w)×\(h) m \(m) at \(i)") }
            }
        }
    }

    /// A line along its own tangent keeps its height; a pixel off the line averages lower.
    func testLineKeepsItsHeight() {
        let w = 20, h = 20
        var response = [Float](repeating: 0, count: w * h)
        for y in 0..<h { response[y * w + 9] = 4 }
        let normal = [Float](repeating: 0, count: w * h) // normal x: tangent y
        let out = RidgeTangentAverage.reference(response: response, normal: normal, width: w, height: h, halfLength: 3)
        XCTAssertEqual(out[10 * w + 9], 4, accuracy: 1e-6)
        let across = RidgeTangentAverage.reference(response: response, normal: [Float](repeating: 2, count: w * h),
                                                   width: w, height: h, halfLength: 3)
        XCTAssertEqual(across[10 * w + 9], 4.0 / 7, accuracy: 1e-6)
    }
}

/// The close-pair guard (`pairGuard`): against a plain reference, and on a close pair and a wide
/// line drawn into noise.
final class TEMRidgePairGuardTests: XCTestCase {
    func testMatchesReferenceOnAwkwardShapes() {
        var rng = SeededRandom(seed: 11)
        for (w, h) in [(37, 29), (64, 9), (9, 64), (23, 23), (10, 3)] {
            let img = (0..<(w * h)).map { _ in Float(rng.unit()) }
            for bright in [false, true] {
                for guardLevel in [0.0, 0.05, 0.2] {
                    let scales = [0.8, 1.3, 2.2]
                    var fast = [Float](repeating: -1, count: w * h), normal = fast
                    var ws = RidgeFilter.Workspace()
                    img.withUnsafeBufferPointer { s in fast.withUnsafeMutableBufferPointer { f in normal.withUnsafeMutableBufferPointer { n in
                        RidgeFilter.apply(s, width: w, height: h, scales: scales, beta: 0.3, brightLines: bright, scaleExponent: 1,
                                          pairGuard: Float(guardLevel), response: f, normal: n, workspace: &ws)
                    } } }
                    let want = RidgeFilter.referenceCombined(img, width: w, height: h, scales: scales, beta: 0.3,
                                                             brightLines: bright, scaleExponent: 1, pairGuard: guardLevel)
                    let peak = max(1e-6, want.max() ?? 0)
                    var mismatches = 0
                    for i in want.indices where abs(fast[i] - want[i]) > 1e-4 * peak {
                        // A guard decision exactly at the level may go either way in Float.
                        mismatches += 1
                    }
                    XCTAssertLessThanOrEqual(mismatches, 1, "\(w)×\(h) bright \(bright) guard \(guardLevel)")
                }
            }
        }
    }

    /// Filtered at 0.8, 1.3 and 2.2 px with noise-normalised scales: a close pair (two dark lines
    /// 4 px apart) fills its gap at the coarse scale without the guard, and stays two ridges
    /// with it; a single wide line keeps its coarse-scale response under the guard.
    func testClosePairStaysTwoAndWideLineKeepsCoarseScale() {
        let w = 64, h = 48
        var rng = SeededRandom(seed: 2)
        func profile(_ d: Double, width s: Double) -> Float { Float(exp(-d * d / (2 * s * s))) }
        func frame(_ lines: [(Double, Double)]) -> [Float] {
            (0..<(w * h)).map { i in
                let x = Double(i % w)
                var v = Float(1) + 0.08 * Float(rng.gaussian())
                for (x0, s) in lines { v -= 0.6 * profile(x - x0, width: s) }
                return v
            }
        }
        func run(_ img: [Float], guardLevel: Float) -> [Float] {
            var r = [Float](repeating: 0, count: w * h), n = r
            var ws = RidgeFilter.Workspace()
            img.withUnsafeBufferPointer { s in r.withUnsafeMutableBufferPointer { rb in n.withUnsafeMutableBufferPointer { nb in
                RidgeFilter.apply(s, width: w, height: h, scales: [0.8, 1.3, 2.2], beta: 0.3, brightLines: false,
                                  noiseNormalised: true, pairGuard: guardLevel, response: rb, normal: nb, workspace: &ws)
            } } }
            return r
        }
        // Mean over the rows of each column (the lines run along y).
        func columns(_ r: [Float]) -> [Float] {
            (0..<w).map { x in (8..<(h - 8)).map { r[$0 * w + x] }.reduce(0, +) / Float(h - 16) }
        }
        // Lines 4 px apart, 0.8 px wide: one line at 2.2 px (4 < 2·√(2.2² + 0.8²)), two at 0.8 px.
        // Unguarded the coarse scale fills the gap (≈ 8 noise σ here, the lines ≈ 13).
        let pair = frame([(30, 0.8), (34, 0.8)])
        let plain = columns(run(pair, guardLevel: 0)), guarded = columns(run(pair, guardLevel: 2))
        XCTAssertLessThan(guarded[32], 0.6 * min(guarded[30], guarded[34]), "guarded: a valley between two ridges")
        XCTAssertGreaterThan(plain[32], 2 * guarded[32], "the guard removed the coarse scale's response in the gap")
        let wide = frame([(32, 2.5)])
        let wPlain = columns(run(wide, guardLevel: 0)), wGuarded = columns(run(wide, guardLevel: 2))
        XCTAssertEqual(wGuarded[32], wPlain[32], accuracy: 0.05 * wPlain[32], "a wide line keeps its coarse-scale response")
    }
}
