import XCTest
@testable import Kernels

/// `CurveSides`: a line is darker than both its sides, a band edge is a step; a close pair's
/// partner does not make a line look like a step.
final class TEMCurveSidesTests: XCTestCase {
    private let w = 80, h = 60

    private func frame(_ value: (Double) -> Double, noise: Double = 0.02, seed: UInt64 = 1) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<(w * h)).map { i in Float(value(Double(i % w)) + noise * rng.gaussian()) }
    }

    private func vertical(_ x: Double) -> [TEMPoint] { (5..<55).map { TEMPoint(x, Double($0)) } }

    private func profile(_ img: [Float], _ x: Double, bright: Bool = false) -> CurveSides.Profile {
        img.withUnsafeBufferPointer { CurveSides.profile(vertical(x), frame: $0, width: w, height: h, bright: bright)! }
    }

    func testLineStepAndClosePair() {
        let line = frame { 0.6 - 0.3 * exp(-($0 - 40) * ($0 - 40) / 4) }
        let p = profile(line, 40)
        XCTAssertGreaterThan(p.depth(bright: false), 0.2)
        XCTAssertFalse(p.isStep(bright: false, ratio: 1))
        // A band edge: bright band right of x = 40, its dark side traced as a ridge at x = 39.
        let edge = frame { $0 < 40 ? 0.4 : 0.7 }
        XCTAssertTrue(profile(edge, 39).isStep(bright: false, ratio: 1))
        // A close pair 4 px apart: the partner sits within reach on one side only.
        let pair = frame { 0.6 - 0.3 * exp(-($0 - 38) * ($0 - 38) / 2) - 0.3 * exp(-($0 - 42) * ($0 - 42) / 2) }
        XCTAssertFalse(profile(pair, 38).isStep(bright: false, ratio: 1))
        XCTAssertFalse(profile(pair, 42).isStep(bright: false, ratio: 1))
        // Bright polarity: the same line inverted.
        let brightLine = line.map { 1.2 - $0 }
        XCTAssertFalse(profile(brightLine, 40, bright: true).isStep(bright: true, ratio: 1))
        XCTAssertGreaterThan(profile(brightLine, 40, bright: true).depth(bright: true), 0.2)
    }

    /// Curves on the border or off the frame: sides off the frame are skipped, nothing left is nil.
    func testOffFrame() {
        let img = frame { _ in 0.5 }
        img.withUnsafeBufferPointer { f in
            XCTAssertNil(CurveSides.profile(vertical(2), frame: f, width: w, height: h, bright: false))
            XCTAssertNil(CurveSides.profile([TEMPoint(1, 1)], frame: f, width: w, height: h, bright: false))
            XCTAssertNotNil(CurveSides.profile(vertical(20), frame: f, width: w, height: h, bright: false))
        }
    }
}
