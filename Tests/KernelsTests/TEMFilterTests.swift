import XCTest
@testable import Kernels

final class TEMFilterTests: XCTestCase {
    private func randomImage(_ w: Int, _ h: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<(w * h)).map { _ in Float(rng.unit()) }
    }

    func testKernelMoments() {
        for sigma in [0.8, 1.0, 1.5, 2.5] {
            let r = Double(GaussianFilter.kernel(sigma: sigma, order: 0).count / 2)
            let js = Array(stride(from: -r, through: r, by: 1))
            let k0 = GaussianFilter.kernel(sigma: sigma, order: 0).map(Double.init)
            let k1 = GaussianFilter.kernel(sigma: sigma, order: 1).map(Double.init)
            let k2 = GaussianFilter.kernel(sigma: sigma, order: 2).map(Double.init)
            XCTAssertEqual(k0.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertEqual(zip(js, k1).map { $0 * $1 }.reduce(0, +), 1, accuracy: 1e-5) // d/dx x = 1
            XCTAssertEqual(k2.reduce(0, +), 0, accuracy: 1e-5)
            XCTAssertEqual(zip(js, k2).map { 0.5 * $0 * $0 * $1 }.reduce(0, +), 1, accuracy: 1e-5) // d²/dx² x²/2 = 1
        }
    }

    func testSeparableMatchesDirect2DOnOddShapes() {
        for (w, h) in [(1, 1), (7, 13), (13, 7), (31, 17), (40, 3)] {
            let img = randomImage(w, h, seed: UInt64(w * 100 + h))
            for sigma in [1.0, 1.5] {
                let g0 = GaussianFilter.kernel(sigma: sigma, order: 0), g2 = GaussianFilter.kernel(sigma: sigma, order: 2)
                let fast = GaussianFilter.separable(img, width: w, height: h, kx: g2, ky: g0)
                let slow = GaussianFilter.referenceSeparable(img, width: w, height: h, kx: g2, ky: g0)
                for i in fast.indices { XCTAssertEqual(fast[i], slow[i], accuracy: 1e-5, "\(w)x\(h) σ=\(sigma) at \(i)") }
            }
        }
    }

    func testSymmetricPassesMatchGeneric() {
        let (w, h) = (37, 11)
        let img = randomImage(w, h, seed: 3)
        let id: [Float] = [1]
        for sigma in [0.3, 1.0, 1.5] {
            let k = GaussianFilter.kernel(sigma: sigma, order: 0)
            var hz = [Float](repeating: 0, count: w * h), vt = hz
            img.withUnsafeBufferPointer { s in hz.withUnsafeMutableBufferPointer {
                GaussianFilter.horizontalSymmetric(s, width: w, height: h, kernel: k, into: $0) } }
            img.withUnsafeBufferPointer { s in vt.withUnsafeMutableBufferPointer {
                GaussianFilter.verticalSymmetric(s, width: w, height: h, kernel: k, antisymmetric: false, into: $0) } }
            let wantH = GaussianFilter.referenceSeparable(img, width: w, height: h, kx: k, ky: id)
            let wantV = GaussianFilter.referenceSeparable(img, width: w, height: h, kx: id, ky: k)
            for i in hz.indices { XCTAssertEqual(hz[i], wantH[i], accuracy: 1e-5); XCTAssertEqual(vt[i], wantV[i], accuracy: 1e-5) }
        }
        let k1 = GaussianFilter.kernel(sigma: 1.5, order: 1)
        var v = [Float](repeating: 0, count: w * h)
        img.withUnsafeBufferPointer { s in v.withUnsafeMutableBufferPointer {
            GaussianFilter.verticalSymmetric(s, width: w, height: h, kernel: k1, antisymmetric: true, into: $0)
        } }
        let want = GaussianFilter.referenceSeparable(img, width: w, height: h, kx: id, ky: k1)
        for i in v.indices { XCTAssertEqual(v[i], want[i], accuracy: 1e-5) }
    }

    func testRidgeFilterMatchesReference() {
        for (w, h) in [(29, 23), (1, 1), (7, 13), (13, 2)] {
        let img = randomImage(w, h, seed: 9)
        var fast = [Float](repeating: 0, count: w * h), normal = fast
        var ws = RidgeFilter.Workspace()
        img.withUnsafeBufferPointer { s in fast.withUnsafeMutableBufferPointer { f in normal.withUnsafeMutableBufferPointer { n in
            RidgeFilter.apply(s, width: w, height: h, scales: [1.0, 1.5], beta: 0.5, brightLines: false, response: f, normal: n, workspace: &ws)
        } } }
        XCTAssertTrue(normal.allSatisfy { [0, 1, 2, 3].contains($0) })
        let a = RidgeFilter.referenceResponse(img, width: w, height: h, sigma: 1.0, beta: 0.5)
        let b = RidgeFilter.referenceResponse(img, width: w, height: h, sigma: 1.5, beta: 0.5)
        for i in fast.indices { XCTAssertEqual(fast[i], max(a[i], b[i]), accuracy: 1e-5, "\(w)x\(h) at \(i)") }
        }
    }

    /// All scales in one pass give exactly what one pass per scale and a per-pixel maximum
    /// (first scale winning ties) give, response and normal, on awkward shapes.
    func testMultiScaleCombineEqualsPerScaleMaximum() {
        for (w, h) in [(1, 1), (3, 3), (9, 9), (17, 13), (8, 40), (31, 7), (2, 5), (10, 3)] {
            for (scales, bright) in [([0.8, 1.3], false), ([1.0, 1.5, 2.2], true)] {
                let img = randomImage(w, h, seed: UInt64(w * 100 + h))
                func run(_ s: [Double]) -> ([Float], [Float]) {
                    var r = [Float](repeating: -1, count: w * h), n = r
                    var ws = RidgeFilter.Workspace()
                    img.withUnsafeBufferPointer { src in r.withUnsafeMutableBufferPointer { rb in n.withUnsafeMutableBufferPointer { nb in
                        RidgeFilter.apply(src, width: w, height: h, scales: s, beta: 0.3, brightLines: bright, scaleExponent: 1,
                                          response: rb, normal: nb, workspace: &ws)
                    } } }
                    return (r, n)
                }
                let (fused, fusedNormal) = run(scales)
                var (want, wantNormal) = run([scales[0]])
                for s in scales.dropFirst() {
                    let (r, n) = run([s])
                    for i in want.indices where r[i] > want[i] { want[i] = r[i]; wantNormal[i] = n[i] }
                }
                XCTAssertEqual(fused, want, "\(w)×\(h) \(scales)")
                XCTAssertEqual(fusedNormal, wantNormal, "\(w)×\(h) \(scales)")
            }
        }
    }

    /// NMS + hysteresis against a plain per-pixel reference, with ties (few response levels)
    /// and every normal code, on awkward shapes.
    func testSuppressAndLinkMatchesPlainReference() {
        for (w, h) in [(3, 3), (9, 4), (10, 10), (17, 13), (33, 7), (64, 21)] {
            var state: UInt64 = UInt64(w * 7919 + h)
            func next() -> UInt64 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return state >> 33 }
            let response = (0..<(w * h)).map { _ in Float(next() % 6) * 0.25 }
            let normal = (0..<(w * h)).map { _ in Float(next() % 4) }
            let (low, high): (Float, Float) = (0.5, 1.0)
            var mask = [UInt8](repeating: 7, count: w * h)
            let kept = response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { n in mask.withUnsafeMutableBufferPointer { m in
                RidgeThreshold.suppressAndLink(response: r, normal: n, width: w, height: h, low: low, high: high, into: m)
            } } }
            // Reference: candidates by the definition, then keep the 8-connected groups of
            // candidates holding a pixel ≥ high.
            var cand = [Bool](repeating: false, count: w * h)
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    let i = y * w + x, v = response[i]
                    let (dx, dy) = [(1, 0), (1, 1), (0, 1), (-1, 1)][Int(normal[i])]
                    let before = response[(y - dy) * w + (x - dx)], after = response[(y + dy) * w + (x + dx)]
                    cand[i] = v >= low && v > before && v >= after
                }
            }
            var keep = [Bool](repeating: false, count: w * h)
            var todo = (0..<(w * h)).filter { cand[$0] && response[$0] >= high }
            for i in todo { keep[i] = true }
            while let p = todo.popLast() {
                for dy in -1...1 { for dx in -1...1 {
                    let q = p + dy * w + dx
                    if cand[q] && !keep[q] { keep[q] = true; todo.append(q) }
                } }
            }
            XCTAssertEqual(kept, (0..<(w * h)).filter { keep[$0] }, "\(w)×\(h)")
            XCTAssertEqual(mask, keep.map { $0 ? 1 : 0 }, "\(w)×\(h)")
        }
    }

    /// The fused (row-ring) blur is bit-identical to the two separate symmetric passes.
    func testFusedBlurEqualsTwoPasses() {
        for (w, h) in [(1, 1), (1, 9), (9, 1), (5, 3), (17, 13), (16, 40), (33, 2), (100, 7)] {
            for sigma in [0.5, 0.8, 1.3, 2.5] {
                let img = randomImage(w, h, seed: UInt64(w * 31 + h))
                let k = GaussianFilter.kernel(sigma: sigma, order: 0)
                var tmp = [Float](repeating: 0, count: w * h), twoPass = tmp, fused = tmp
                img.withUnsafeBufferPointer { s in
                    tmp.withUnsafeMutableBufferPointer { GaussianFilter.horizontalSymmetric(s, width: w, height: h, kernel: k, into: $0) }
                    fused.withUnsafeMutableBufferPointer { GaussianFilter.blurSymmetric(s, width: w, height: h, kernel: k, into: $0) }
                }
                tmp.withUnsafeBufferPointer { t in twoPass.withUnsafeMutableBufferPointer {
                    GaussianFilter.verticalSymmetric(t, width: w, height: h, kernel: k, antisymmetric: false, into: $0)
                } }
                XCTAssertEqual(fused, twoPass, "\(w)×\(h) σ \(sigma)")
            }
        }
    }

    func testQuantisedNormal() {
        // Vertical dark line: normal along x. Diagonal (1, 1) line: normal along (1, −1).
        XCTAssertEqual(RidgeFilter.direction(1, 0, 0), 0)
        XCTAssertEqual(RidgeFilter.direction(0, 0, 1), 2)
        XCTAssertEqual(RidgeFilter.direction(0.5, -0.5, 0.5), 3)
        XCTAssertEqual(RidgeFilter.direction(0.5, 0.5, 0.5), 1)
    }

    func testRidgeRespondsToDarkNotBrightLine() {
        let (w, h) = (40, 40)
        var img = [Float](repeating: 0.5, count: w * h)
        for y in 0..<h { img[y * w + 20] = 0.2 }
        let dark = RidgeFilter.referenceResponse(img, width: w, height: h, sigma: 1.0, beta: 0.5)
        let bright = RidgeFilter.referenceResponse(img, width: w, height: h, sigma: 1.0, beta: 0.5, brightLines: true)
        XCTAssertGreaterThan(dark[20 * w + 20], 0.05)
        XCTAssertEqual(bright[20 * w + 20], 0)
    }
}
