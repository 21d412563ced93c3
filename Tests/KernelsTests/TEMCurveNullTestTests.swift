import XCTest
@testable import Kernels

/// The curve-level test against the opposite polarity's curves (`CurveNullTest`) and the
/// detector that uses it (`TEMDetectorConfig.nullCalibrated`).
final class TEMCurveNullTestTests: XCTestCase {
    private func curve(_ points: [TEMPoint], response: Double) -> TEMCurve {
        TEMCurve(points: points, lengthPx: TEMPolyline.length(points), meanCurvature: 0, maxCurvature: 0, meanResponse: response)
    }

    private func row(y: Double, from x0: Double = 10, to x1: Double = 90) -> [TEMPoint] {
        stride(from: x0, through: x1, by: 2).map { TEMPoint($0, y) }
    }

    func testStatisticIsMeanResponseTimesRootLength() {
        let c = curve(row(y: 5, from: 0, to: 64), response: 3)
        XCTAssertEqual(CurveNullTest.statistic(c), 3 * 8, accuracy: 1e-9)
    }

    /// The threshold is the largest null statistic of the last `size` frames; older frames leave.
    func testWindowKeepsTheMaximumOfItsLastFrames() {
        var w = CurveNullTest.Window(size: 3)
        XCTAssertEqual(w.threshold, 0)
        w.add([1, 9, 2])
        w.add([])
        w.add([4])
        XCTAssertEqual(w.threshold, 9)
        w.add([3])
        XCTAssertEqual(w.threshold, 4, "the frame holding 9 has left the window")
        w.add([0.5]); w.add([0.5])
        XCTAssertEqual(w.threshold, 3)
        XCTAssertEqual(w.threshold, w.maxima.max())
    }

    /// A weaker curve running 3 px alongside a stronger curve of the other set is its flank; a
    /// stronger one, a distant one or one overlapping less than half its length is not.
    func testFlanksOfStrongerOppositeCurvesAreSetAside() {
        let line = curve(row(y: 50), response: 10)
        let flank = curve(row(y: 53), response: 4.5)
        let strongerNeighbour = curve(row(y: 47), response: 12)
        let distant = curve(row(y: 70), response: 4)
        let crossing = curve(stride(from: 0.0, through: 100, by: 2).map { TEMPoint(50, $0) }, response: 2)
        let kept = CurveNullTest.notFlanks([flank, strongerNeighbour, distant, crossing], of: [line], distance: 5, ratio: 1)
        XCTAssertEqual(kept, [1, 2, 3])
        // The same rule the other way round: the line is not a flank of its weaker flank.
        XCTAssertEqual(CurveNullTest.notFlanks([line], of: [flank], distance: 5, ratio: 1), [0])
        XCTAssertEqual(CurveNullTest.notFlanks([line], of: [], distance: 5, ratio: 1), [0])
    }

    /// Frames of smooth random texture (the same statistics in every frame, no dislocation) with
    /// one faint dark line across them: the null-calibrated detector keeps the line and traces
    /// (almost) no texture, and no more than the per-pixel thresholds of `perFrameStatistics` do.
    func testNullCalibratedDetectorKeepsTheLineAndRejectsTexture() {
        let w = 160, h = 120, frames = 10
        let linePoints = stride(from: 8.0, through: 152, by: 2).map { TEMPoint($0, 60 + 12 * sin($0 / 30)) }
        var perFrame = TEMDetector(config: .perFrameStatistics), null = TEMDetector(config: .nullCalibrated)
        var falseCurves = (perFrame: 0, null: 0), found = 0
        for f in 0..<frames {
            var rng = SeededRandom(seed: 100 + UInt64(f))
            let white = (0..<(w * h)).map { _ in Float(rng.gaussian()) }
            var img = GaussianFilter.blur(white, width: w, height: h, sigma: 1.5).map { 0.6 + 0.2 * $0 }
            TEMSynthesizer.stamp(&img, width: w, height: h, polyline: linePoints, lineWidth: 2, contrast: 0.15)
            for i in img.indices { img[i] += Float(0.01 * rng.gaussian()) }
            func onLine(_ c: TEMCurve) -> Bool {
                let near = c.points.filter { p in linePoints.contains { q in TEMPolyline.norm(p - q) <= 2.5 } }.count
                return 2 * near >= c.points.count
            }
            let a = perFrame.detect(img, width: w, height: h), b = null.detect(img, width: w, height: h)
            falseCurves.perFrame += a.filter { !onLine($0) }.count
            falseCurves.null += b.filter { !onLine($0) }.count
            if b.contains(where: onLine) { found += 1 }
        }
        XCTAssertLessThanOrEqual(falseCurves.null, min(2, falseCurves.perFrame),
                                 "texture curves in \(frames) frames: null-calibrated \(falseCurves.null), per-frame statistics \(falseCurves.perFrame)")
        XCTAssertGreaterThanOrEqual(found, frames - 2, "the line is found in \(found) of \(frames) frames")
    }
}
