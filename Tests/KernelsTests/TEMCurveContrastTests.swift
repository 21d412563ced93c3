import XCTest
@testable import Kernels

/// `TEMDetectorConfig.contrastAlpha` (`CurveContrast`): a curve must lie deeper below its sides
/// than straight stretches of the same frame do. A texture groove — a dark ridge between two faint
/// bright streaks, its centre no darker than the pixels 3–8 px beside it — is traced by `video5`
/// and dropped with the rule; a faint dark line is kept (real frames, sample 1's texture curves:
/// docs/tem.md).
final class TEMCurveContrastTests: XCTestCase {
    private let w = 160, h = 120

    /// Signed distance to the arc of centre (cx, cy) and radius r.
    private func arc(_ x: Double, _ y: Double, _ cx: Double, _ cy: Double, _ r: Double) -> Double {
        ((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot() - r
    }

    /// Background 0.5; a dark line 0.10 deep (σ 1.2 px) on an arc through (80, 60), x 15…145; two
    /// bright streaks 0.08 high (σ 0.8 px) 2.5 px either side of an arc through (80, 90), x 25…135,
    /// the groove between them; uniform noise of σ 0.02; quantised to 8 bits like a PNG frame.
    private func frame(seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var f = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let xd = Double(x), yd = Double(y)
                var v = 0.5
                if xd > 15 && xd < 145 {
                    let d = arc(xd, yd, 80, 260, 200)
                    v -= 0.10 * exp(-0.5 * d * d / 1.44)
                }
                if xd > 25 && xd < 135 {
                    let s = arc(xd, yd, 80, -140, 230)
                    v += 0.08 * (exp(-0.5 * (s - 2.5) * (s - 2.5) / 0.64) + exp(-0.5 * (s + 2.5) * (s + 2.5) / 0.64))
                }
                let u = Double(rng.next() >> 11) / Double(UInt64(1) << 53)
                v += 0.02 * (u - 0.5) * 12.0.squareRoot()
                f[y * w + x] = Float(min(max((v * 255).rounded(), 0), 255) / 255)
            }
        }
        return f
    }

    private func curves(_ img: [Float], alpha: Double) -> [TEMCurve] {
        var cfg = TEMDetectorConfig.video5
        cfg.contrastAlpha = alpha
        var detector = TEMDetector(config: cfg)
        return detector.detect(img, width: w, height: h)
    }

    /// A curve whose points lie within 3 px of the arc through (80, y0) (mean), over 60 px long.
    private func on(_ cx: Double, _ cy: Double, _ r: Double, _ cs: [TEMCurve]) -> Bool {
        cs.contains { c in
            c.lengthPx > 60 && c.points.map { abs(arc($0.x, $0.y, cx, cy, r)) }.reduce(0, +) / Double(c.points.count) <= 3
        }
    }

    func testTextureGrooveDroppedFaintLineKept() {
        let img = frame(seed: 20)
        let plain = curves(img, alpha: 0)
        XCTAssertTrue(on(80, 260, 200, plain), "the faint line is not traced at all")
        XCTAssertTrue(on(80, -140, 230, plain), "the groove is not traced without the rule (the test needs one it keeps)")
        let ruled = curves(img, alpha: 0.01)
        XCTAssertTrue(on(80, 260, 200, ruled), "the faint line is dropped by the contrast rule")
        XCTAssertFalse(on(80, -140, 230, ruled), "the groove is kept with the contrast rule")
        XCTAssertEqual(ruled.count, 1)
        // The statistic itself: the line far above the frame's level, the groove within it.
        img.withUnsafeBufferPointer { f in
            guard let level = CurveContrast.level(frame: f, width: w, height: h, bright: false) else {
                return XCTFail("no level on a 160×120 frame")
            }
            let line = plain.first { on(80, 260, 200, [$0]) }!, groove = plain.first { on(80, -140, 230, [$0]) }!
            let dl = CurveContrast.depth(line.points, frame: f, width: w, height: h, bright: false)!
            let dg = CurveContrast.depth(groove.points, frame: f, width: w, height: h, bright: false)!
            XCTAssertGreaterThan((dl - level.median) / level.spread, 5)
            XCTAssertLessThan((dg - level.median) / level.spread, 2)
        }
    }

    /// The fast kernels against their plain twins (`referenceDepth`, `referenceLevel`) on
    /// awkward shapes: frames of odd sizes, one too small for any segment, a curve running off
    /// the frame, both polarities. (The kernels subtract and halve in Float, the twins in
    /// Double: equal to 1e-6 on values in 0…1.)
    func testDepthAndLevelMatchThePlainTwins() {
        var rng = SeededRandom(seed: 7)
        for (fw, fh) in [(73, 61), (61, 90), (37, 23), (59, 59)] {
            let img = (0..<(fw * fh)).map { _ in Float(Double(rng.next() >> 11) / Double(UInt64(1) << 53)) }
            // A wavy curve running partly off the frame, points ≈ 0.7 px apart.
            let pts = (0..<120).map { i in TEMPoint(-5 + 0.7 * Double(i), Double(fh) / 2 + 6 * sin(Double(i) / 9)) }
            img.withUnsafeBufferPointer { f in
                for bright in [false, true] {
                    let got = CurveContrast.depth(pts, frame: f, width: fw, height: fh, bright: bright)
                    let want = CurveContrast.referenceDepth(pts, frame: img, width: fw, height: fh, bright: bright)
                    XCTAssertEqual(got == nil, want == nil, "\(fw)×\(fh)")
                    if let g = got, let w = want { XCTAssertEqual(g, w, accuracy: 1e-6, "\(fw)×\(fh) bright \(bright)") }
                    let level = CurveContrast.level(frame: f, width: fw, height: fh, bright: bright, segments: 64)
                    let ref = CurveContrast.referenceLevel(frame: img, width: fw, height: fh, bright: bright, segments: 64)
                    if fw < 59 || fh < 59 { XCTAssertNil(level, "\(fw)×\(fh) has no room for a 40-px segment and its sides") }
                    guard let l = level, let r = ref else { XCTAssertEqual(level == nil, ref == nil); continue }
                    XCTAssertEqual(l.segments, r.segments)
                    XCTAssertEqual(l.median, r.median, accuracy: 1e-6)
                    XCTAssertEqual(l.spread, r.spread, accuracy: 1e-6)
                    XCTAssertGreaterThan(l.spread, 0)
                }
            }
        }
    }

    func testStandsAboveTheLevel() {
        let flat = CurveContrast.Level(median: 0, spread: 0, segments: 100)
        XCTAssertTrue(CurveContrast.stands(0.01, above: flat, alpha: 0.01), "a noise-free frame: any depth above the median")
        XCTAssertFalse(CurveContrast.stands(0, above: flat, alpha: 0.01))
        let level = CurveContrast.Level(median: 1, spread: 2, segments: 100)
        // Φ⁻¹(0.99) = 2.326: the bar is 1 + 4.653.
        XCTAssertTrue(CurveContrast.stands(5.66, above: level, alpha: 0.01))
        XCTAssertFalse(CurveContrast.stands(5.65, above: level, alpha: 0.01))
        XCTAssertTrue(CurveContrast.stands(-100, above: level, alpha: 0), "alpha 0 is off")
    }
}
