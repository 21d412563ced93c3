import XCTest
@testable import Kernels

/// The polarity test pooled over every frame a detector sees (`TEMDetectorConfig.polarityPooled`,
/// `detector=video16`), and the other polarity read from the same smoothed planes
/// (`RidgeFilter.applyOpposite`).
final class TEMPolarityPoolTests: XCTestCase {
    /// Gaussian noise around 0.5 (sd 0.05), new per seed, with `lines` stamped dark at `contrast`.
    private func frame(_ w: Int, _ h: Int, seed: UInt64, lines: [[TEMPoint]], contrast: Double, width: Double = 2) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var img = (0..<(w * h)).map { _ in Float(0.5 + 0.05 * rng.gaussian()) }
        for p in lines { TEMSynthesizer.stamp(&img, width: w, height: h, polyline: p, lineWidth: width, contrast: contrast) }
        return img
    }

    /// `applyOpposite` is `apply` with the polarity flipped, bit for bit, on awkward shapes
    /// (widths not a multiple of the 8-lane groups), for every scale choice it serves, noise
    /// weights and σ^γ weights, with and without the close-pair guard.
    func testOppositeEqualsTheFlippedFilter() {
        for (w, h) in [(37, 23), (61, 9), (9, 40)] {
            var rng = SeededRandom(seed: UInt64(w * h))
            var img = (0..<(w * h)).map { _ in Float(0.5 + 0.08 * rng.gaussian()) }
            TEMSynthesizer.stamp(&img, width: w, height: h, polyline: [TEMPoint(2, 3), TEMPoint(Double(w - 3), Double(h - 2))],
                                 lineWidth: 2, contrast: 0.3)
            for bright in [false, true] {
                for (normalised, choice, guardLevel) in [(true, RidgeFilter.ScaleChoice.significance, Float(2)),
                                                         (true, .weighted, 0), (false, .significance, 0)] {
                    func run(_ polarity: Bool, opposite: Bool) -> ([Float], [Float]) {
                        var ws = RidgeFilter.Workspace()
                        var r = [Float](repeating: -1, count: w * h), nb = r
                        img.withUnsafeBufferPointer { src in r.withUnsafeMutableBufferPointer { rb in nb.withUnsafeMutableBufferPointer { n in
                            RidgeFilter.apply(src, width: w, height: h, scales: [0.8, 1.3, 2.2], beta: 0.3, brightLines: polarity,
                                              scaleExponent: 1, noiseNormalised: normalised, pairGuard: guardLevel,
                                              scaleChoice: choice, noiseStride: 3, response: rb, normal: n, workspace: &ws)
                            guard opposite else { return }
                            rb.update(repeating: -1); n.update(repeating: -1)
                            RidgeFilter.applyOpposite(width: w, height: h, scales: 3, beta: 0.3, pairGuard: guardLevel,
                                                      response: rb, normal: n, workspace: &ws)
                        } } }
                        return (r, nb)
                    }
                    let direct = run(!bright, opposite: false), recombined = run(bright, opposite: true)
                    let label = "\(w)×\(h) bright \(bright) \(choice) normalised \(normalised) guard \(guardLevel)"
                    XCTAssertEqual(direct.0.map(\.bitPattern), recombined.0.map(\.bitPattern), "response, \(label)")
                    XCTAssertEqual(direct.1, recombined.1, "normal, \(label)")
                    XCTAssertGreaterThan(direct.0.max()!, 0, "no response at all: \(label) shows nothing")
                }
            }
        }
    }

    /// Faint dark lines (not significant on one frame) over frames with new noise: the pooled
    /// test (`video16`) becomes significant, on the dark side, within the frames, while the
    /// checks alone (`video14`: the first frame, the 17th next) are not; fainter still, the
    /// pooled lean stays under the bound's 3.26 and only the sign-flip tail itself (`video18`)
    /// calls it. Noise alone over as many frames is significant at no frame under either, and
    /// there `video16` traces `video5`'s curves to the point (its plain seeds' polarity is the
    /// test-free rule's).
    func testPooledFramesReachSignificanceWhereOneFrameDoesNot() {
        // 8 × 6 tiles of 32 px, five lines across them (the test's z can never pass √(tiles leaning)).
        let w = 256, h = 192, frames = 12
        let lines = [[TEMPoint(10, 20), TEMPoint(246, 50)], [TEMPoint(20, 180), TEMPoint(236, 100)],
                     [TEMPoint(60, 5), TEMPoint(90, 187)], [TEMPoint(170, 5), TEMPoint(200, 187)], [TEMPoint(5, 120), TEMPoint(250, 140)]]
        func run(_ configs: [TEMDetectorConfig], contrast: Double, seed: UInt64) -> (detectors: [TEMDetector], curves: [[[TEMCurve]]], z: [[Double]]) {
            var detectors = configs.map { TEMDetector(config: $0) }
            var curves = configs.map { _ in [[TEMCurve]]() }, z = configs.map { _ in [Double]() }
            for f in 0..<frames {
                // The lines glide 0.3 px a frame, as lines do.
                let moved = lines.map { $0.map { TEMPoint($0.x + 0.3 * Double(f), $0.y) } }
                let img = frame(w, h, seed: seed + UInt64(f), lines: moved, contrast: contrast, width: 2.5)
                for k in detectors.indices {
                    curves[k].append(detectors[k].detect(img, width: w, height: h))
                    z[k].append((detectors[k].polarityTest.z * 100).rounded() / 100)
                }
            }
            return (detectors, curves, z)
        }
        let faint = run([.video16, .video14], contrast: 0.09, seed: 700)
        print("contrast 0.09, z after each frame: pooled \(faint.z[0]); checks alone \(faint.z[1])")
        XCTAssertGreaterThan(faint.z[0][0], -3.26, "one frame is already significant: the lines are not faint enough to show anything")
        XCTAssertFalse(faint.detectors[1].polaritySignificant, "the checks alone became significant: this case shows nothing")
        XCTAssertTrue(faint.detectors[0].polaritySignificant, "the pooled test did not become significant")
        XCTAssertLessThan(faint.z[0].last!, -3.26, "not significant on the dark side (positive z = bright)")
        XCTAssertEqual(faint.detectors[0].detectedBright, false)

        let fainter = run([.video16, .video18], contrast: 0.08, seed: 700)
        print("contrast 0.08, z after each frame: \(fainter.z[0]); first significant with the tail: \(fainter.detectors[1].firstSignificantFrame ?? 0)")
        XCTAssertFalse(fainter.detectors[0].polaritySignificant, "the bound already decides: the tail shows nothing here")
        XCTAssertTrue(fainter.detectors[1].polaritySignificant, "the sign-flip tail did not call the pooled lean")
        XCTAssertLessThan(fainter.z[1].last!, -2)

        let noise = run([.video16, .video18, .video5], contrast: 0, seed: 900)
        print("noise alone, pooled z after each frame: \(noise.z[0])")
        XCTAssertNil(noise.detectors[0].firstSignificantFrame, "noise read as lines (z \(noise.z[0]))")
        XCTAssertNil(noise.detectors[1].firstSignificantFrame, "noise read as lines by the tail (z \(noise.z[1]))")
        XCTAssertEqual(noise.curves[0], noise.curves[2], "noise frames: not the plain seeds' curves")
    }

    /// The randomisation tail (`TEMPolarityTest.signFlipTail`) against the exact tail enumerated
    /// over all 2¹² sign patterns of unequal tiles (within its Monte Carlo error), and on many
    /// like tiles leaning one way at z ≈ 2.9: significant by the tail (≈ 0.4 %), not by the bound
    /// (≈ 1.5 %) — the power the bound leaves; the same tiles with their lean removed are not.
    func testSignFlipTailMatchesEnumerationAndBeatsTheBound() {
        let a = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0, 8.0]
        var t = TEMPolarityTest(alpha: 0.01, randomisations: 19_999)
        t.add(dark: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], bright: a.enumerated().map { $0.offset % 4 == 0 ? -$0.element : $0.element })
        let observed = abs(t.sum)
        var hits = 0
        for signs in 0..<(1 << a.count) {
            let s = a.indices.reduce(0.0) { $0 + ((signs >> $1) & 1 == 1 ? a[$1] : -a[$1]) }
            if abs(s) >= observed * (1 - 1e-12) { hits += 1 }
        }
        let exact = Double(hits) / Double(1 << a.count), estimate = t.signFlipTail()
        print("12 tiles, z \(t.z): exact tail \(exact), estimate \(estimate), bound \(t.pValue)")
        XCTAssertEqual(estimate, exact, accuracy: 4 * (exact * (1 - exact) / 19_999).squareRoot() + 1e-4)
        XCTAssertLessThanOrEqual(exact, t.pValue)

        // 200 tiles of sizes 1…2, 121 leaning bright: z ≈ 2.9.
        var rng = SeededRandom(seed: 4)
        let sizes = (0..<200).map { _ in 1 + rng.unit() }
        let lean = sizes.enumerated().map { $0.offset < 121 ? $0.element : -$0.element }
        var many = TEMPolarityTest(alpha: 0.01, randomisations: 999)
        many.add(dark: [Double](repeating: 0, count: 200), bright: lean)
        var bound = many
        bound.randomisations = 0
        print("200 tiles: z \(many.z), bound \(many.pValue), tail \(many.signFlipTail())")
        XCTAssertGreaterThan(many.z, 2.6)
        XCTAssertLessThan(many.z, 3.26, "the bound alone already decides: this case shows nothing")
        XCTAssertFalse(bound.significant)
        XCTAssertTrue(many.significant, "tail \(many.signFlipTail())")
        XCTAssertEqual(many.bright, true)
        var even = TEMPolarityTest(alpha: 0.01, randomisations: 999)
        even.add(dark: [Double](repeating: 0, count: 200), bright: sizes.enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element })
        XCTAssertFalse(even.significant, "no lean read as one (z \(even.z))")
    }
}
