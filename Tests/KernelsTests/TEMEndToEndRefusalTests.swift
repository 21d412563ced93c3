import XCTest
@testable import Kernels

/// Two pile-ups' lines meeting end to end across the gap between their slip bands are two
/// curves, not one bridged by the tracer (`TEMDetectorConfig.gapTrimScales`, `video8`), while a
/// line cut where it fades is still one.
final class TEMEndToEndRefusalTests: XCTestCase {
    private let w = 256, h = 256

    /// The frame as a job reads it: 8-bit grey (the detector reads arrays, not files).
    private func quantised(_ img: [Float]) -> [Float] {
        img.map { (min(255, max(0, ($0 * 255).rounded()))) / 255 }
    }

    /// Curves covering at least 60 % of `line` within 2 px.
    private func covering(_ curves: [TEMCurve], _ line: [TEMPoint]) -> Int {
        curves.filter { c in
            let grid = PointGrid(TEMPolyline.resample(c.points, spacing: 0.5), cell: 2)
            return Double(line.filter { grid.hasPoint(within: 2, of: $0) }.count) >= 0.6 * Double(line.count)
        }.count
    }

    /// Curves of `curves` lying on lines of two pile-ups (≥ 20 px within 2 px of each of two lines).
    private func acrossPileups(_ curves: [TEMCurve], _ truth: [TEMTruthDislocation]) -> Int {
        let grids = truth.map { PointGrid(TEMPolyline.resample($0.points, spacing: 0.5), cell: 2) }
        return curves.filter { c in
            let pts = TEMPolyline.resample(c.points, spacing: 1)
            let on = truth.indices.filter { k in pts.filter { grids[k].hasPoint(within: 2, of: $0) }.count >= 20 }
            return Set(on.map { truth[$0].pileup }).count > 1
        }.count
    }

    /// The first 30 frames of the seed-1 medium preset video (two slip bands side by side, 10–30
    /// px apart): `video7`'s tracer bridges a line of one pile-up to a line of the other across
    /// the gap between the bands in several frames (the jump passes its untrimmed gap test on
    /// the lines' own response near the ends); `video8`'s trimmed test refuses most of them.
    func testTwoPileupsLinesEndToEndAreTwoCurves() {
        let frames = 30
        let params = TEMSynthParams.preset(.medium, seed: 1, frames: frames)
        let synth = TEMSynthesizer(params: params)
        var before = TEMDetector(config: .video7), after = TEMDetector(config: .video8)
        var crossedBefore = 0, crossedAfter = 0
        for f in 0..<frames {
            let img = synth.frame8(f).map { Float($0) / 255 }
            crossedBefore += acrossPileups(before.detect(img, width: params.width, height: params.height), synth.truth[f])
            crossedAfter += acrossPileups(after.detect(img, width: params.width, height: params.height), synth.truth[f])
        }
        // Measured when written: see the assertion messages' counts.
        XCTAssertGreaterThanOrEqual(crossedBefore, 5, "video7 draws curves over two pile-ups (else this test shows nothing)")
        XCTAssertLessThanOrEqual(crossedAfter * 3, crossedBefore, "video8: \(crossedAfter) curves over two pile-ups against video7's \(crossedBefore)")
        print("curves over two pile-ups in 30 frames: video7 \(crossedBefore), video8 \(crossedAfter)")
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
