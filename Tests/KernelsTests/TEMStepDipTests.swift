import XCTest
@testable import Kernels

/// `TEMDetectorConfig.stepDipAlpha` (`CurveSides.dip`): a dark line lying on a band step — its
/// sides differ by more than its depth, so the step ratio calls it a band edge — is kept because
/// it lies below its darker side along its length; a plain step, whose profile has no dip, is
/// still dropped (real frames, sample 4's left dislocation: docs/tem.md).
final class TEMStepDipTests: XCTestCase {
    private let w = 160, h = 120

    /// The band's left boundary, where the line lies, and its right one, a plain step.
    private func left(_ y: Double) -> Double { 45 + 5 * sin(y / 17) }
    private func right(_ y: Double) -> Double { 118 + 5 * sin(y / 13) }

    /// Background 0.4, a band 0.12 brighter between the two boundaries (1 px blur), a dark line
    /// 0.1 deep (σ 1.2 px) on the left boundary from y = 15 to 105, noise σ 0.01.
    private func frame(seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        func phi(_ x: Double) -> Double { 0.5 * (1 + erf(x / 2.0.squareRoot())) }
        var f = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            let yd = Double(y), a = left(yd), b = right(yd)
            let along = yd < 15 ? 15 - yd : yd > 105 ? yd - 105 : 0
            for x in 0..<w {
                let xd = Double(x)
                var v = 0.4 + 0.12 * phi(xd - a) * phi(b - xd)
                let d = xd - a
                v -= 0.1 * exp(-d * d / (2 * 1.44)) * exp(-along * along / 2)
                f[y * w + x] = Float(v + 0.01 * rng.gaussian())
            }
        }
        return f
    }

    /// Curves of `video5` (`stepRatio` 1) with the given overrides (`alpha` 0: the ratio alone,
    /// as before `stepDipAlpha`).
    private func curves(_ img: [Float], stepRatio: Double = 1, alpha: Double) -> [TEMCurve] {
        var cfg = TEMDetectorConfig.video5
        cfg.autoPolarity = false
        cfg.stepRatio = stepRatio
        cfg.stepDipAlpha = alpha
        var detector = TEMDetector(config: cfg)
        return detector.detect(img, width: w, height: h)
    }

    /// A curve running along `boundary` (mean distance ≤ 3 px over the curve's points).
    private func lies(on boundary: (Double) -> Double, _ cs: [TEMCurve]) -> Bool {
        cs.contains { c in
            c.points.map { abs($0.x - boundary($0.y)) }.reduce(0, +) / Double(c.points.count) <= 3 && c.lengthPx > 50
        }
    }

    func testLineOnAStepKeptAndPlainStepDropped() {
        let img = frame(seed: 18)
        // Without the rule both are traced: the line and the plain step's dark foot.
        let all = curves(img, stepRatio: 0, alpha: 0)
        XCTAssertTrue(lies(on: left, all), "the line is not traced at all")
        XCTAssertTrue(lies(on: { self.right($0) + 1 }, all), "the plain step is not traced at all")
        // The ratio alone drops both: the line's sides differ by more than its depth.
        let ratio = curves(img, alpha: 0)
        XCTAssertFalse(lies(on: left, ratio), "the step ratio alone keeps the line (the test needs a line it drops)")
        XCTAssertFalse(lies(on: { self.right($0) + 1 }, ratio))
        // With the dip test the line is back and the plain step stays out.
        let dip = curves(img, alpha: 0.01)
        XCTAssertTrue(lies(on: left, dip), "the line on the step is dropped with the dip test")
        XCTAssertFalse(lies(on: { self.right($0) + 1 }, dip), "the plain step is kept with the dip test")
    }

    /// `stepDipBowed`: a straight line on a straight step is what a band edge's own dark line
    /// looks like, so it is not kept for its dip; the bowed line above still is.
    func testStraightLineOnAStepNotKeptWhenBowedOnly() {
        let W = 160, H = 200
        var rng = SeededRandom(seed: 5)
        func phi(_ x: Double) -> Double { 0.5 * (1 + erf(x / 2.0.squareRoot())) }
        // A band brighter right of x = 80 and a straight line 0.1 deep on its edge, y = 70…130.
        let img: [Float] = (0..<(W * H)).map { i in
            let x = Double(i % W), y = Double(i / W)
            let along = y < 70 ? 70 - y : y > 130 ? y - 130 : 0
            let v = 0.4 + 0.12 * phi(x - 80) - 0.1 * exp(-(x - 80) * (x - 80) / 2.88) * exp(-along * along / 2)
            return Float(v + 0.01 * rng.gaussian())
        }
        func found(_ bowed: Bool) -> Bool {
            var cfg = TEMDetectorConfig.video5
            cfg.autoPolarity = false
            cfg.stepDipAlpha = 0.01
            cfg.stepDipBowed = bowed
            var detector = TEMDetector(config: cfg)
            return detector.detect(img, width: W, height: H).contains { c in
                c.lengthPx > 40 && c.points.allSatisfy { abs($0.x - 80) < 3 && $0.y > 60 && $0.y < 140 }
            }
        }
        XCTAssertTrue(found(false), "the straight line on the step is not kept for its dip")
        XCTAssertFalse(found(true), "a straight line on a step is kept with stepDipBowed")
        var cfg = TEMDetectorConfig.video5
        cfg.autoPolarity = false
        cfg.stepDipAlpha = 0.01
        cfg.stepDipBowed = true
        var detector = TEMDetector(config: cfg)
        XCTAssertTrue(lies(on: left, detector.detect(frame(seed: 18), width: w, height: h)), "the bowed line is dropped with stepDipBowed")
    }

    /// `dipAlpha`: with the step rule off, a bright line's dark flanks (dark polarity) are traced
    /// as ridges but lie below neither side; the dark line is kept.
    func testDipAlphaDropsRidgesWithoutADip() {
        var rng = SeededRandom(seed: 7)
        let img: [Float] = (0..<(w * h)).map { i in
            let x = Double(i % w), y = Double(i / w)
            let dark = x - (50 + 5 * sin(y / 17)), bright = x - (110 + 5 * sin(y / 19))
            let v = 0.45 - 0.12 * exp(-dark * dark / 4.5) + 0.2 * exp(-bright * bright / 4.5)
            return Float(v + 0.01 * rng.gaussian())
        }
        func curves(_ alpha: Double) -> [TEMCurve] {
            var cfg = TEMDetectorConfig.video5
            cfg.autoPolarity = false
            cfg.stepRatio = 0
            cfg.dipAlpha = alpha
            var detector = TEMDetector(config: cfg)
            return detector.detect(img, width: w, height: h)
        }
        func near(_ x: Double, _ cs: [TEMCurve]) -> Bool {
            cs.contains { c in c.lengthPx > 40 && c.points.map { abs($0.x - x - 5 * sin($0.y / 19)) }.reduce(0, +) / Double(c.points.count) < 6 }
        }
        let without = curves(0), with = curves(0.01)
        XCTAssertTrue(near(110, without), "the bright line's flanks are not traced (nothing to test)")
        XCTAssertFalse(near(110, with), "a flank without a dip is kept with dipAlpha")
        XCTAssertTrue(with.contains { c in c.lengthPx > 50 && c.points.allSatisfy { abs($0.x - 50 - 5 * sin($0.y / 17)) < 3 } },
                      "the dark line is dropped with dipAlpha")
    }

    /// `CurveSides.dip` on profiles: a line on a step, a plain step's foot, a bright line's flank
    /// read as a dark ridge, and the off-frame cases.
    func testDipSignTest() {
        let W = 80, H = 60
        var rng = SeededRandom(seed: 3)
        func image(_ value: (Double) -> Double) -> [Float] {
            (0..<(W * H)).map { i in Float(value(Double(i % W)) + 0.02 * rng.gaussian()) }
        }
        let vertical = (5..<55).map { TEMPoint(40, Double($0)) }
        func dip(_ img: [Float], bright: Bool = false) -> CurveSides.Dip? {
            img.withUnsafeBufferPointer { CurveSides.dip(vertical, frame: $0, width: W, height: H, bright: bright) }
        }
        // Points 3 px apart along a 49 px curve: 17 tested.
        let onStep = image { ($0 <= 40 ? 0.4 : 0.55) - 0.1 * exp(-($0 - 40) * ($0 - 40) / 3) }
        let d = dip(onStep)!
        XCTAssertEqual(d.tested, 17)
        XCTAssertEqual(d.beyond, 17)
        XCTAssertLessThan(d.pValue, 1e-4)
        // The same as `profile` sees it: a step by the ratio.
        let p = onStep.withUnsafeBufferPointer { CurveSides.profile(vertical, frame: $0, width: W, height: H, bright: false)! }
        XCTAssertTrue(p.isStep(bright: false, ratio: 1))
        // A plain step traced at its dark foot: a coin at best, no dip.
        let step = image { $0 < 41 ? 0.4 : 0.55 }
        XCTAssertGreaterThan(dip(step)!.pValue, 0.05)
        // The dark flank of a bright line (σ 1.5 px at x = 42) read as a dark ridge at x = 40.
        let flank = image { 0.4 + 0.2 * exp(-($0 - 42) * ($0 - 42) / 4.5) }
        XCTAssertGreaterThan(dip(flank)!.pValue, 0.05)
        // Bright polarity: the line on the step inverted.
        XCTAssertLessThan(dip(onStep.map { 1 - $0 }, bright: true)!.pValue, 1e-4)
        // Sides off the frame: nothing to test.
        onStep.withUnsafeBufferPointer { f in
            XCTAssertNil(CurveSides.dip((5..<55).map { TEMPoint(2, Double($0)) }, frame: f, width: W, height: H, bright: false))
            XCTAssertNil(CurveSides.dip([TEMPoint(40, 10)], frame: f, width: W, height: H, bright: false))
        }
    }
}
