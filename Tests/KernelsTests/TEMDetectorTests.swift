import XCTest
@testable import Kernels

/// The per-frame kernel on hand-made images with known lines.
final class TEMDetectorTests: XCTestCase {
    private func detect(_ img: [Float], _ w: Int, _ h: Int) -> [TEMCurve] {
        var d = TEMDetector()
        return d.detect(img, width: w, height: h)
    }

    func testStraightLine() {
        let (w, h) = (128, 96)
        let line = [TEMPoint(20, 30), TEMPoint(100, 70)]
        let curves = detect(TEMTestImage.make(width: w, height: h, lines: [(line, 2.5, 0.3)]), w, h)
        XCTAssertEqual(curves.count, 1)
        guard let c = curves.first else { return }
        XCTAssertEqual(c.points.count, 50)
        XCTAssertEqual(c.lengthPx, TEMPolyline.length(line), accuracy: 6)
        XCTAssertLessThan(TEMPolyline.meanClosestDistance(from: c.points, to: line), 0.7)
        XCTAssertLessThan(c.meanCurvature, 0.01)
        // Equally spaced samples.
        let steps = (1..<c.points.count).map { TEMPolyline.dist(c.points[$0], c.points[$0 - 1]) }
        XCTAssertLessThan((steps.max() ?? 0) - (steps.min() ?? 0), 0.05)
    }

    func testCrossingGivesTwoCurvesNotFour() {
        let (w, h) = (128, 128)
        let a = [TEMPoint(15, 20), TEMPoint(110, 105)], b = [TEMPoint(15, 100), TEMPoint(112, 30)]
        let curves = detect(TEMTestImage.make(width: w, height: h, lines: [(a, 2.5, 0.3), (b, 2.5, 0.3)]), w, h)
        XCTAssertEqual(curves.count, 2)
        for truth in [a, b] {
            let best = curves.map { TEMPolyline.meanClosestDistance(from: $0.points, to: truth) }.min() ?? .infinity
            XCTAssertLessThan(best, 1.0)
        }
    }

    func testTwoLinesFourPixelsApart() {
        let (w, h) = (128, 96)
        let a = [TEMPoint(20, 40), TEMPoint(110, 40)], b = [TEMPoint(20, 44), TEMPoint(110, 44)]
        let curves = detect(TEMTestImage.make(width: w, height: h, lines: [(a, 1.6, 0.3), (b, 1.6, 0.3)]), w, h)
        XCTAssertEqual(curves.count, 2)
        let ys = curves.map { TEMPolyline.centroid($0.points).y }.sorted()
        if ys.count == 2 {
            XCTAssertEqual(ys[0], 40, accuracy: 0.8)
            XCTAssertEqual(ys[1], 44, accuracy: 0.8)
        }
    }

    func testCurvedLineCurvature() {
        let (w, h) = (128, 128)
        let arc = (0...60).map { i -> TEMPoint in
            let t = Double(i) / 60 * Double.pi * 0.8 + 0.3
            return TEMPoint(64 + 40 * cos(t), 100 - 40 * sin(t))
        }
        let curves = detect(TEMTestImage.make(width: w, height: h, lines: [(arc, 2.5, 0.3)]), w, h)
        XCTAssertEqual(curves.count, 1)
        XCTAssertEqual(curves.first?.meanCurvature ?? 0, 1.0 / 40, accuracy: 0.006)
    }

    func testSlipTraceIsDropped() {
        let (w, h) = (160, 160)
        let trace = [TEMPoint(0, 20), TEMPoint(159, 140)]
        let disl = (0...40).map { i -> TEMPoint in
            let t = Double(i) / 40
            return TEMPoint(40 + 70 * t, 120 - 90 * t + 12 * sin(t * .pi))
        }
        let img = TEMTestImage.make(width: w, height: h, lines: [(trace, 1.2, 0.08), (disl, 2.5, 0.3)])
        let curves = detect(img, w, h)
        XCTAssertEqual(curves.count, 1)
        if let c = curves.first { XCTAssertLessThan(TEMPolyline.meanClosestDistance(from: c.points, to: disl), 1.0) }
    }

    func testBrightLineOption() {
        let (w, h) = (96, 64)
        let line = [TEMPoint(10, 32), TEMPoint(85, 32)]
        let img = TEMTestImage.make(width: w, height: h, lines: [(line, 2.5, -0.25)], background: 0.4)
        var d = TEMDetector()
        // Dark mode may pick up the dark flanks of a bright line, never the line itself.
        for c in d.detect(img, width: w, height: h) {
            XCTAssertGreaterThan(TEMPolyline.meanClosestDistance(from: c.points, to: line), 1.5)
        }
        d.config.brightLines = true
        let bright = d.detect(img, width: w, height: h)
        XCTAssertEqual(bright.count, 1)
        if let c = bright.first { XCTAssertLessThan(TEMPolyline.meanClosestDistance(from: c.points, to: line), 0.7) }
    }

    func testEmptyAndTinyFrames() {
        var d = TEMDetector()
        XCTAssertEqual(d.detect([Float](repeating: 0.5, count: 64 * 48), width: 64, height: 48).count, 0)
        XCTAssertEqual(d.detect([Float](repeating: 0.5, count: 3), width: 3, height: 1).count, 0)
    }

    func testSmoothingSplineKeepsStraightLines() {
        let line = (0..<30).map { TEMPoint(Double($0), 2 * Double($0) + 1) }
        let s = SmoothingSpline.smooth(line, lambda: 50)
        for (a, b) in zip(line, s) { XCTAssertEqual(TEMPolyline.dist(a, b), 0, accuracy: 1e-6) }
    }

    /// The banded solver against dense Gaussian elimination of (I + λDᵀD) z = y.
    func testSmoothingSplineMatchesDenseSolve() {
        for n in [3, 4, 5, 17, 61] {
            for lambda in [0.5, 20.0] {
                let p = (0..<n).map { TEMPoint(Double($0) + sin(Double($0)), cos(0.7 * Double($0)) * 3) }
                let fast = SmoothingSpline.smooth(p, lambda: lambda)
                var a = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
                for i in 0..<n { a[i][i] = 1 }
                for r in 0..<(n - 2) {
                    let c = [1.0, -2.0, 1.0]
                    for u in 0..<3 { for v in 0..<3 { a[r + u][r + v] += lambda * c[u] * c[v] } }
                }
                for axis in 0..<2 {
                    var m = a
                    var b = p.map { axis == 0 ? $0.x : $0.y }
                    for k in 0..<n {
                        for r in (k + 1)..<max(k + 1, n) {
                            let f = m[r][k] / m[k][k]
                            for c in k..<n { m[r][c] -= f * m[k][c] }
                            b[r] -= f * b[k]
                        }
                    }
                    var z = [Double](repeating: 0, count: n)
                    for k in stride(from: n - 1, through: 0, by: -1) {
                        var acc = b[k]
                        for c in (k + 1)..<max(k + 1, n) { acc -= m[k][c] * z[c] }
                        z[k] = acc / m[k][k]
                    }
                    for i in 0..<n { XCTAssertEqual(axis == 0 ? fast[i].x : fast[i].y, z[i], accuracy: 1e-9, "n \(n) λ \(lambda) at \(i)") }
                }
            }
        }
    }
}
