import XCTest
@testable import Kernels

/// The polarity decision as a sign-flip test over the frame's tiles (`TEMPolarityTest`,
/// `TEMDetectorConfig.polarityAlpha`, `detector=video14`), and the tile-wise excess response it
/// reads (`RidgeThreshold.excessResponse(_:high:width:block:blocks:)`).
final class TEMPolarityTestTests: XCTestCase {
    /// Gaussian noise around 0.5 (sd 0.05) with `dark` lines stamped dark and `bright` bright.
    private func frame(_ w: Int, _ h: Int, seed: UInt64, dark: [[TEMPoint]], darkContrast: Double,
                       bright: [[TEMPoint]] = [], brightContrast: Double = 0) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var img = (0..<(w * h)).map { _ in Float(0.5 + 0.05 * rng.gaussian()) }
        for p in dark { TEMSynthesizer.stamp(&img, width: w, height: h, polyline: p, lineWidth: 2, contrast: darkContrast) }
        for p in bright { TEMSynthesizer.stamp(&img, width: w, height: h, polyline: p, lineWidth: 2, contrast: -brightContrast) }
        return img
    }

    /// Noise alone: neither polarity is significant over four checks, and `video14` reads the
    /// frames with the plain seeds only — what `video5` traces, to the bit.
    func testNoLinesIsNotSignificant() {
        let w = 160, h = 128
        var d14 = TEMDetector(config: .video14), d5 = TEMDetector(config: .video5)
        d14.config.polarityCheckInterval = 1
        d5.config.polarityCheckInterval = 1
        var zs: [Double] = []
        for f in 0..<4 {
            let img = frame(w, h, seed: 100 + UInt64(f), dark: [], darkContrast: 0)
            let c14 = d14.detect(img, width: w, height: h), c5 = d5.detect(img, width: w, height: h)
            zs.append(d14.polarityTest.z)
            XCTAssertFalse(d14.polaritySignificant, "noise read as lines at check \(f) (z \(zs))")
            XCTAssertEqual(c14, c5, "frame \(f): not the plain seeds' curves")
        }
        print("noise alone, z after each check: \(zs)")
        XCTAssertLessThan(abs(zs.last!), 3.26)
    }

    /// A frame pair the per-frame excess alone reads two ways: frame 1 shows five dark lines,
    /// frame 2 (the lines faded, as under flicker or a tilt off the Bragg condition) faint
    /// bright lines elsewhere. Frame 2 alone leans bright — the rule that read each check's own
    /// excess flipped the video to bright there — but the test, its tiles summed over both
    /// checks, has nothing significant against the dark side it found at frame 1, and
    /// `video14` keeps dark lines.
    func testAFrameLeaningTheOtherWayDoesNotFlipASignificantPolarity() {
        let w = 256, h = 192
        let dark = [[TEMPoint(10, 20), TEMPoint(246, 50)], [TEMPoint(20, 180), TEMPoint(236, 100)],
                    [TEMPoint(60, 5), TEMPoint(90, 187)], [TEMPoint(170, 5), TEMPoint(200, 187)], [TEMPoint(5, 120), TEMPoint(250, 140)]]
        let bright = [[TEMPoint(20, 70), TEMPoint(240, 80)], [TEMPoint(30, 160), TEMPoint(230, 150)],
                      [TEMPoint(120, 10), TEMPoint(130, 180)], [TEMPoint(225, 10), TEMPoint(235, 180)]]
        let first = frame(w, h, seed: 300, dark: dark, darkContrast: 0.2)
        let second = frame(w, h, seed: 301, dark: [], darkContrast: 0, bright: bright, brightContrast: 0.12)
        var alone = TEMDetector(config: .video14)
        alone.config.polarityCheckInterval = 1
        _ = alone.detect(second, width: w, height: h)
        XCTAssertEqual(alone.detectedBright, true, "frame 2 alone must lean bright (else the pair shows nothing)")
        var d = TEMDetector(config: .video14)
        d.config.polarityCheckInterval = 1
        _ = d.detect(first, width: w, height: h)
        XCTAssertEqual(d.detectedBright, false)
        XCTAssertTrue(d.polaritySignificant, "frame 1's dark lines must be significant (z \(d.polarityTest.z))")
        _ = d.detect(second, width: w, height: h)
        print("dark lines then a bright-leaning frame: z \(d.polarityTest.z); frame 2 alone z \(alone.polarityTest.z)")
        XCTAssertEqual(d.detectedBright, false, "one frame leaning bright flipped the polarity (z \(d.polarityTest.z))")
    }

    /// The bound 2·exp(−z²/2) against the exact sign-flip tail, enumerated over every sign
    /// pattern of a few unequal tiles; and the bookkeeping over two checks (summed inside each
    /// tile, not counted as more tiles).
    func testTheBoundHoldsOnTheExactSignFlipTail() {
        let first = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], second = [0.5, 3.0, 0.0, 2.0, 8.0, 1.0, 0.0, 7.5]
        var t = TEMPolarityTest(alpha: 0.01)
        t.add(dark: Array(repeating: 0, count: 8), bright: first)
        t.add(dark: second, bright: Array(repeating: 0, count: 8))
        let a = zip(first, second).map { $0 - $1 }
        let s = a.reduce(0, +), q = a.map { $0 * $0 }.reduce(0, +)
        XCTAssertEqual(t.tiles, a)
        XCTAssertEqual(t.sum, s, accuracy: 1e-12)
        XCTAssertEqual(t.sumOfSquares, q, accuracy: 1e-12)
        XCTAssertEqual(t.z, s / q.squareRoot(), accuracy: 1e-12)
        for threshold in [0.5, 1.0, 1.5, 2.0, 2.5] {
            var hits = 0
            for signs in 0..<(1 << a.count) {
                let sum = a.indices.reduce(0.0) { $0 + ((signs >> $1) & 1 == 1 ? a[$1] : -a[$1]) }
                if abs(sum) >= threshold * q.squareRoot() { hits += 1 }
            }
            let exact = Double(hits) / Double(1 << a.count)
            XCTAssertLessThanOrEqual(exact, min(1, 2 * exp(-threshold * threshold / 2)) + 1e-12, "at z = \(threshold)")
        }
        XCTAssertFalse(TEMPolarityTest().significant, "no evidence is not significant")
        XCTAssertNil(TEMPolarityTest().bright)
    }

    /// The tiled excess on an awkward 37 × 23 frame (tiles of 8: 5 × 3, the last partial): the
    /// total is `excessResponse`'s to the bit, and the tiles hold what a naive pass over the same
    /// samples gives each.
    func testTiledExcessEqualsThePlainTotalAndANaiveTiling() {
        let w = 37, h = 23
        var rng = SeededRandom(seed: 9)
        let values = (0..<(w * h)).map { _ in Float(max(0, rng.gaussian() + (rng.uniform(0...1) < 0.1 ? 6 : 0))) }
        var tiles: [Double] = []
        let (plain, tiled) = values.withUnsafeBufferPointer {
            (RidgeThreshold.excessResponse($0, high: 2), RidgeThreshold.excessResponse($0, high: 2, width: w, block: 8, blocks: &tiles))
        }
        XCTAssertEqual(plain, tiled)
        XCTAssertGreaterThan(plain, 0, "some samples must pass the cut (else this test shows nothing)")
        XCTAssertEqual(tiles.count, 15)
        let st = values.withUnsafeBufferPointer { RidgeThreshold.robustStats($0) }
        let sigma = max(st.sigma, 1e-6), cut = st.median + 2 * sigma
        var naive = [Double](repeating: 0, count: 15)
        for i in Swift.stride(from: 0, to: w * h, by: 7) where values[i] > cut {
            naive[(i / w / 8) * 5 + (i % w) / 8] += Double((values[i] - cut) / sigma)
        }
        for k in 0..<15 { XCTAssertEqual(tiles[k], naive[k], accuracy: 1e-9, "tile \(k)") }
        XCTAssertEqual(tiles.reduce(0, +), plain, accuracy: 1e-9)
    }
}
