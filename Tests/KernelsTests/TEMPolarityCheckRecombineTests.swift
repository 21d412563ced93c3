import XCTest
@testable import Kernels

/// A polarity check reads the other polarity from the frame's smoothed planes recombined
/// (`RidgeFilter.applyOpposite`) instead of filtering the frame again: the detector's curves,
/// response map and polarity are bit for bit those of the filter run again
/// (`TEMDetector.checksByRecombining` false, the path before).
final class TEMPolarityCheckRecombineTests: XCTestCase {
    /// Noise around 0.5, new per frame, with three gliding bowed lines (not across the field: a
    /// straight line across it reads as a slip trace) dark (`contrast` > 0) or bright.
    private func frame(_ k: Int, w: Int, h: Int, contrast: Double) -> [Float] {
        var rng = SeededRandom(seed: UInt64(1000 + k))
        var img = (0..<(w * h)).map { _ in Float(0.5 + 0.05 * rng.gaussian()) }
        for j in 0..<3 {
            let x = 20 + 30 * Double(j) + 0.7 * Double(k)
            TEMSynthesizer.stamp(&img, width: w, height: h, polyline: [TEMPoint(x, 20), TEMPoint(x + 9, 45), TEMPoint(x + 2, 72)],
                                 lineWidth: 2.5, contrast: contrast)
        }
        return img
    }

    /// Dark lines (the checks keep the polarity) and bright lines (the first check moves it to
    /// bright: the recombined maps become the frame's), over 34 frames: checks on frames 1, 17
    /// and 33; with `video5` (significance scales, the pair guard) and `video` (σ^γ weights).
    func testChecksGiveTheSameCurvesAsFilteringAgain() {
        let w = 131, h = 97  // not multiples of the filter's eight-pixel groups
        for (name, config) in [("video5", TEMDetectorConfig.video5), ("video", TEMDetectorConfig.video)] {
            for contrast in [0.25, -0.25] {
                var fast = TEMDetector(config: config), plain = TEMDetector(config: config)
                plain.checksByRecombining = false
                var curves = 0
                for k in 0..<34 {
                    let img = frame(k, w: w, h: h, contrast: contrast)
                    let a = fast.detect(img, width: w, height: h), b = plain.detect(img, width: w, height: h)
                    let label = "\(name) contrast \(contrast) frame \(k)"
                    XCTAssertEqual(a.map { $0.points.map(\.x.bitPattern) + $0.points.map(\.y.bitPattern) },
                                   b.map { $0.points.map(\.x.bitPattern) + $0.points.map(\.y.bitPattern) }, "curves, \(label)")
                    XCTAssertEqual(a.map(\.meanResponse.bitPattern), b.map(\.meanResponse.bitPattern), "responses, \(label)")
                    XCTAssertEqual(fast.lastResponse().map(\.bitPattern), plain.lastResponse().map(\.bitPattern), "map, \(label)")
                    XCTAssertEqual(fast.lastNormal(), plain.lastNormal(), "normals, \(label)")
                    XCTAssertEqual(fast.detectedBright, plain.detectedBright, label)
                    XCTAssertEqual(fast.polarityTest.z.bitPattern, plain.polarityTest.z.bitPattern, "test, \(label)")
                    curves += a.count
                }
                XCTAssertEqual(fast.detectedBright, contrast < 0, "\(name) contrast \(contrast): the polarity read")
                XCTAssertGreaterThan(curves, 34, "\(name) contrast \(contrast): the lines are found")
            }
        }
    }
}
