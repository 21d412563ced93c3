import XCTest
@testable import Kernels

/// `RidgeFilter.ScaleChoice` (`weighted`, `localised`) against a plain per-scale reference, and
/// what it is for: at a close pair the significance-chosen scale puts the ridge between the
/// lines; the σ^γ-weighted location map keeps one at each line.
final class TEMScaleChoiceTests: XCTestCase {
    private let scales = [0.8, 1.3, 2.2]

    private func run(_ img: [Float], _ w: Int, _ h: Int, choice: RidgeFilter.ScaleChoice, bright: Bool = false,
                     pairGuard: Float = 0, allowScalarCheck: Bool = false) -> (response: [Float], normal: [Float], location: [Float]) {
        var r = [Float](repeating: .nan, count: w * h), n = r, loc = r
        var ws = RidgeFilter.Workspace()
        img.withUnsafeBufferPointer { s in r.withUnsafeMutableBufferPointer { rb in n.withUnsafeMutableBufferPointer { nb in
            loc.withUnsafeMutableBufferPointer { lb in
                RidgeFilter.apply(s, width: w, height: h, scales: scales, beta: 0.3, brightLines: bright, scaleExponent: 1,
                                  noiseNormalised: true, pairGuard: pairGuard, scaleChoice: choice, response: rb, normal: nb,
                                  location: choice == .localised ? lb : nil, workspace: &ws)
            }
        } } }
        return (r, n, loc)
    }

    /// Per pixel, from the same smoothed planes: each scale's response in noise units (the
    /// `significance` map's norms) and its σ¹-weighted key; `weighted` gives the value of the
    /// scale with the largest key, `localised` the largest value and the largest key, with
    /// the normal of the key's winner. The scalar formulas (`hessian`, `ridge`, `direction`) per
    /// pixel, checked against the filter's vector loop and scalar border on awkward shapes.
    func testMatchesPerPixelDefinition() {
        for (w, h) in [(37, 29), (9, 9), (64, 11), (13, 40)] {
            for bright in [false, true] {
                var rng = SeededRandom(seed: UInt64(w * 5 + h))
                let img = (0..<(w * h)).map { _ in Float(rng.unit()) }
                let n = w * h
                let planes = scales.map { GaussianFilter.blur(img, width: w, height: h, sigma: $0) }
                let sign: Float = bright ? -1 : 1
                let norms = planes.map { p in
                    sign / max(p.withUnsafeBufferPointer { RidgeFilter.responseNoise($0.baseAddress!, width: w, height: h, beta: 0.3) }, 1e-12)
                }
                let keys = zip(scales, norms).map { Float($0) / abs($1) }
                var wantW = [Float](repeating: 0, count: n), wantWN = wantW
                var wantR = wantW, wantL = wantW, wantLN = wantW
                for i in 0..<n {
                    var bestKey: Float = 0
                    for si in scales.indices {
                        let (a0, b0, c0) = planes[si].withUnsafeBufferPointer {
                            RidgeFilter.hessian($0.baseAddress!, width: w, height: h, x: i % w, y: i / w)
                        }
                        let (a, b, c) = (a0 * norms[si], b0 * norms[si], c0 * norms[si])
                        let r = RidgeFilter.ridge(a, b, c, beta: 0.3), key = r * keys[si]
                        if si == 0 || key > bestKey {
                            bestKey = key; wantW[i] = r; wantWN[i] = RidgeFilter.direction(a, b, c)
                            wantL[i] = key; wantLN[i] = RidgeFilter.direction(a, b, c)
                        }
                        if si == 0 || r > wantR[i] { wantR[i] = r }
                    }
                }
                let weighted = run(img, w, h, choice: .weighted, bright: bright)
                let localised = run(img, w, h, choice: .localised, bright: bright)
                let significance = run(img, w, h, choice: .significance, bright: bright)
                // The vector loop sums the Hessian in another order than the scalar formulas: values
                // agree to rounding, and a normal code or a winner may flip only at a rounding tie.
                var flips = 0
                for i in 0..<n {
                    XCTAssertEqual(localised.response[i], wantR[i], accuracy: 1e-4 * max(1, wantR[i]), "\(w)×\(h) \(bright) localised at \(i)")
                    XCTAssertEqual(localised.location[i], wantL[i], accuracy: 1e-4 * max(1, wantL[i]), "\(w)×\(h) \(bright) location at \(i)")
                    if abs(weighted.response[i] - wantW[i]) > 1e-4 * max(1, wantW[i]) { flips += 1 }
                    if weighted.normal[i] != wantWN[i] { flips += 1 }
                    if localised.normal[i] != wantLN[i] { flips += 1 }
                }
                XCTAssertLessThanOrEqual(flips, n / 100, "\(w)×\(h) \(bright): winners or normals differ beyond rounding ties")
                // The localised response is the significance map itself.
                XCTAssertEqual(localised.response, significance.response, "\(w)×\(h) \(bright)")
            }
        }
    }

    /// Two dark lines 4 px apart, 0.8 px wide, in noise, no guard: the σ¹-weighted location map
    /// (what non-maximum suppression reads under `localised`) has a ridge at each line and a
    /// valley between them.
    func testClosePairLocationPeaksAtTheLines() {
        let w = 64, h = 48
        var rng = SeededRandom(seed: 4)
        let img: [Float] = (0..<(w * h)).map { i in
            let x = Double(i % w)
            var v = Float(1) + 0.05 * Float(rng.gaussian())
            for x0 in [30.0, 34.0] { v -= 0.6 * Float(exp(-(x - x0) * (x - x0) / (2 * 0.8 * 0.8))) }
            return v
        }
        let out = run(img, w, h, choice: .localised)
        func columns(_ r: [Float]) -> [Float] {
            (0..<w).map { x in (8..<(h - 8)).map { r[$0 * w + x] }.reduce(0, +) / Float(h - 16) }
        }
        let loc = columns(out.location)
        XCTAssertGreaterThan(loc[30], loc[32] * 1.2, "σ¹ weights: a ridge at the left line")
        XCTAssertGreaterThan(loc[34], loc[32] * 1.2, "σ¹ weights: a ridge at the right line")
    }
}
