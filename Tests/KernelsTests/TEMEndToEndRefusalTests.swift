import XCTest
@testable import Kernels

/// Two pile-ups' lines meeting end to end across the gap between their slip bands are two
/// curves, not one bridged by the tracer (`TEMDetectorConfig.gapTrimScales`, `video8`), while a
/// line cut where it fades is still one.
final class TEMEndToEndRefusalTests: XCTestCase {
    private let w = 256, h = 256

    /// A frame like the medium preset's: two slip bands side by side (horizontal, 80 px wide,
    /// `gap` px apart) bounded by faint straight slip traces, and one dislocation across each
    /// band, the two on one bowed path (so they face each other across the gap).
    private func frame(gap: Double, seed: UInt64) -> (image: [Float], a: [TEMPoint], b: [TEMPoint]) {
        let top = 24.0, band = 80.0
        let a0 = top, a1 = top + band, b0 = a1 + gap, b1 = b0 + band
        func path(_ y0: Double, _ y1: Double) -> [TEMPoint] {
            stride(from: y0, through: y1, by: 1).map { TEMPoint(128 + 0.004 * ($0 - 128) * ($0 - 128) - 0.15 * ($0 - 128), $0) }
        }
        let a = path(a0, a1), b = path(b0, b1)
        var img = TEMTestImage.make(width: w, height: h, lines: [], noise: 0.035, seed: seed)
        for y in [a0, a1, b0, b1] {
            TEMSynthesizer.stamp(&img, width: w, height: h, polyline: [TEMPoint(0, y), TEMPoint(Double(w - 1), y)],
                                 lineWidth: 1.2, contrast: 0.09)
        }
        for line in [a, b] { TEMSynthesizer.stamp(&img, width: w, height: h, polyline: line, lineWidth: 2.4, contrast: 0.26) }
        return (quantised(img), a, b)
    }

    /// The frame as a job reads it: 8-bit grey (the detector reads arrays, not files).
    private func quantised(_ img: [Float]) -> [Float] {
        img.map { (min(255, max(0, ($0 * 255).rounded()))) / 255 }
    }

    /// Curves lying on both lines (≥ 20 px within 2 px of each).
    private func onBoth(_ curves: [TEMCurve], _ a: [TEMPoint], _ b: [TEMPoint]) -> Int {
        let ga = PointGrid(a, cell: 2), gb = PointGrid(b, cell: 2)
        return curves.filter { c in
            let pts = TEMPolyline.resample(c.points, spacing: 1)
            return pts.filter { ga.hasPoint(within: 2, of: $0) }.count >= 20 && pts.filter { gb.hasPoint(within: 2, of: $0) }.count >= 20
        }.count
    }

    /// Curves covering at least 60 % of `line` within 2 px.
    private func covering(_ curves: [TEMCurve], _ line: [TEMPoint]) -> Int {
        curves.filter { c in
            let grid = PointGrid(TEMPolyline.resample(c.points, spacing: 0.5), cell: 2)
            return Double(line.filter { grid.hasPoint(within: 2, of: $0) }.count) >= 0.6 * Double(line.count)
        }.count
    }

    func testTwoPileupsLinesEndToEndAreTwoCurves() {
        var bridgedBefore = 0, bridgedAfter = 0, bothFound = 0
        let frames = 8
        for seed in UInt64(1)...UInt64(frames) {
            let f = frame(gap: 16, seed: seed)
            var before = TEMDetector(config: .video7), after = TEMDetector(config: .video8)
            if onBoth(before.detect(f.image, width: w, height: h), f.a, f.b) > 0 { bridgedBefore += 1 }
            let curves = after.detect(f.image, width: w, height: h)
            if onBoth(curves, f.a, f.b) > 0 { bridgedAfter += 1 }
            if covering(curves, f.a) == 1 && covering(curves, f.b) == 1 { bothFound += 1 }
        }
        XCTAssertGreaterThanOrEqual(bridgedBefore, frames / 2, "video7 bridges the gap (else this test shows nothing)")
        XCTAssertEqual(bridgedAfter, 0, "no curve over both pile-ups' lines")
        XCTAssertGreaterThanOrEqual(bothFound, frames - 1, "each line still found as one curve")
    }

    /// One line whose contrast falls to a fifth over 12 px in noise: cut there in most frames,
    /// still reported as one curve (the trimmed gap test must not refuse a genuine break).
    func testAFadingLineIsStillOneCurve() {
        let line = stride(from: 20.0, through: 236, by: 1).map { TEMPoint($0, 60 + 0.006 * ($0 - 128) * ($0 - 128)) }
        let mid = TEMPolyline.length(line) / 2
        var whole = 0, cut = 0
        for seed in UInt64(1)...6 {
            var img = TEMTestImage.make(width: w, height: h, lines: [], noise: 0.06, seed: seed)
            TEMSynthesizer.stamp(&img, width: w, height: h, polyline: line, lineWidth: 2.5, contrast: 0.25) { abs($0 - mid) < 6 ? 0.2 : 1 }
            img = quantised(img)
            var split = TEMDetectorConfig.video8
            split.joinPieces = false
            split.tracer.gapJoin = 0
            var pieces = TEMDetector(config: split), after = TEMDetector(config: .video8)
            if covering(pieces.detect(img, width: w, height: h), line) == 0 { cut += 1 }
            if covering(after.detect(img, width: w, height: h), line) == 1 { whole += 1 }
        }
        XCTAssertGreaterThanOrEqual(cut, 3, "the fading stretch must cut the line (else this test shows nothing)")
        XCTAssertGreaterThanOrEqual(whole, 5, "the pieces joined into one curve over the whole line")
    }
}
