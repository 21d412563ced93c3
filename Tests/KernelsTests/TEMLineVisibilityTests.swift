import XCTest
@testable import Kernels

/// The lines' effective contrast-to-noise ratio (`TEMLineVisibility`) on frames whose depth and
/// noise are known.
final class TEMLineVisibilityTests: XCTestCase {
    private let w = 96, h = 80
    private var line: [TEMPoint] { stride(from: 10.0, through: 86, by: 2).map { TEMPoint($0, 40 + 8 * sin($0 / 15)) } }

    /// Flat background 0.7, white noise σ 0.02, a 3 px dark line: the ratio is at most the line's
    /// peak depth (measured on the same frame without noise) over 0.02 and not much below it (the
    /// centreline rounded to pixels samples up to half a pixel off the peak; the blur subtracted
    /// takes ≈ 1 % of white noise's σ; the MAD of 7,680 pixels is good to a few %).
    func testLineOnWhiteNoise() {
        let img = TEMTestImage.make(width: w, height: h, lines: [(line, 3, 0.3)], background: 0.7, noise: 0.02, seed: 4)
        let clean = TEMTestImage.make(width: w, height: h, lines: [(line, 3, 0.3)], background: 0.7, noise: 0, seed: 4)
        let p = line[20]
        let depth = Double(0.7 - clean[Int(p.y.rounded()) * w + Int(p.x.rounded())])
        XCTAssertGreaterThan(depth, 0.15)
        let v = TEMLineVisibility.effectiveCNR(img, width: w, height: h, lines: [line])
        XCTAssertGreaterThan(v, 0.8 * depth / 0.02)
        XCTAssertLessThan(v, 1.05 * depth / 0.02)
        XCTAssertEqual(TEMLineVisibility.effectiveCNR(img, width: w, height: h, lines: []), 0)
    }

    /// Background mottle at the line scale counts as noise: the same line on textured frames is
    /// far less visible; a bright line measures like a dark one.
    func testTextureCountsAndPolarityDoesNot() {
        var rng = SeededRandom(seed: 9)
        let white = (0..<(w * h)).map { _ in Float(rng.gaussian()) }
        let texture = GaussianFilter.blur(white, width: w, height: h, sigma: 1.5)
        var img = TEMTestImage.make(width: w, height: h, lines: [(line, 3, 0.3)], background: 0.7, noise: 0.02, seed: 4)
        let plain = TEMLineVisibility.effectiveCNR(img, width: w, height: h, lines: [line])
        for i in img.indices { img[i] += 0.3 * texture[i] }
        let textured = TEMLineVisibility.effectiveCNR(img, width: w, height: h, lines: [line])
        XCTAssertLessThan(textured, plain / 2)
        let inverted = img.map { 1 - $0 }
        XCTAssertEqual(TEMLineVisibility.effectiveCNR(inverted, width: w, height: h, lines: [line]), textured, accuracy: 0.1 * textured)
    }
}
