import XCTest
@testable import Kernels

/// Piece joins decided on the frame's evidence in the gap (`TEMDetectorConfig.joinGapEvidence`,
/// `TEMPieceJoinEvidence`): a line cut where it fades is still joined; the frame's null.
final class TEMPieceJoinEvidenceTests: XCTestCase {
    private let w = 256, h = 256

    /// `video5` with the gap test at 2 spreads (`video7`'s setting).
    private var withEvidence: TEMDetectorConfig {
        var c = TEMDetectorConfig.video5
        c.joinGapEvidence = 2
        return c
    }

    /// A piece of one bowed path (radius ≈ 80 px: not straight, so the slip-trace rule for
    /// straight lines across the field leaves it) from x = `x0` to `x1`.
    private func segment(_ x0: Double, _ x1: Double) -> [TEMPoint] {
        stride(from: x0, through: x1, by: 1).map { TEMPoint($0, 60 + 0.006 * ($0 - 128) * ($0 - 128)) }
    }

    /// Curves covering at least 60 % of `line` within 2 px.
    private func covering(_ curves: [TEMCurve], _ line: [TEMPoint]) -> [TEMCurve] {
        curves.filter { c in
            let grid = PointGrid(TEMPolyline.resample(c.points, spacing: 0.5), cell: 2)
            return Double(line.filter { grid.hasPoint(within: 2, of: $0) }.count) >= 0.6 * Double(line.count)
        }
    }

    /// One line whose contrast falls to a fifth over 12 px (a fading stretch) in noise: the
    /// detector cuts it there in most frames, and with the gap's evidence the pieces are still
    /// joined into one curve (a gap test too strict for a faint gap fails this).
    func testAGenuinelyBrokenLineIsStillJoined() {
        let line = segment(20, 236)
        let mid = TEMPolyline.length(line) / 2
        var whole = 0, cut = 0
        for seed in UInt64(1)...12 {
            var img = TEMTestImage.make(width: w, height: h, lines: [], noise: 0.06, seed: seed)
            // The dip: 10 px of arc length in the middle.
            TEMSynthesizer.stamp(&img, width: w, height: h, polyline: line, lineWidth: 2.5, contrast: 0.25) { abs($0 - mid) < 6 ? 0.2 : 1 }
            var split = withEvidence
            split.joinPieces = false
            var pieces = TEMDetector(config: split), after = TEMDetector(config: withEvidence)
            if covering(pieces.detect(img, width: w, height: h), line).isEmpty { cut += 1 }
            if covering(after.detect(img, width: w, height: h), line).count == 1 { whole += 1 }
        }
        // Measured when written (17-sample null): cut in 4 of 6 frames, one curve in 5 of 6; with
        // the frame's null shared with the tracer (31 samples, 6 December) 4 of 6: 12 frames now.
        print("fading line: cut in \(cut) of 12 frames, one curve in \(whole)")
        XCTAssertGreaterThanOrEqual(cut, 6, "the fading stretch must cut the line (else this test shows nothing)")
        XCTAssertGreaterThanOrEqual(whole, 9, "the pieces joined into one curve over the whole line")
    }

    /// The frame's null: on a pure noise frame the level for a path rises above the median and
    /// falls with the path's length (a longer mean is less spread).
    func testNullLevelFromTheFrame() {
        let img = TEMTestImage.make(width: w, height: h, lines: [], noise: 0.04, seed: 3)
        var d = TEMDetector(config: withEvidence)
        _ = d.detect(img, width: w, height: h)
        let r = d.lastResponse(), nb = d.lastNormal(), t = d.lastThresholds
        let null = r.withUnsafeBufferPointer { rb in nb.withUnsafeBufferPointer { n in
            TEMPieceJoinEvidence.Null(response: rb, normal: n, width: w, height: h, median: t.median, sigma: t.sigma, maxSamples: 16)
        } }
        XCTAssertGreaterThan(null.level(samples: 3, k: 2), null.level(samples: 3, k: 0))
        XCTAssertGreaterThan(null.spread[2], null.spread[15], "spread of a 2-sample mean vs a 15-sample mean")
    }
}
