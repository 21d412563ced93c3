import XCTest
@testable import Kernels

/// Piece joins decided on the frame's evidence in the gap (`TEMDetectorConfig.joinGapEvidence`,
/// `TEMPieceJoinEvidence`): two lines lying end to end stay two curves, a line cut where it
/// fades is still joined.
final class TEMPieceJoinEvidenceTests: XCTestCase {
    private let w = 256, h = 256

    /// `video5` with the gap test at 2 spreads (`video7`'s setting).
    private var withEvidence: TEMDetectorConfig {
        var c = TEMDetectorConfig.video5
        c.joinGapEvidence = 2
        return c
    }

    /// A slightly tilted straight path from x = `x0` to `x1`.
    private func segment(_ x0: Double, _ x1: Double) -> [TEMPoint] {
        stride(from: x0, through: x1, by: 1).map { TEMPoint($0, 120 + 0.12 * ($0 - 20)) }
    }

    /// Curves covering at least 60 % of `line` within 2 px.
    private func covering(_ curves: [TEMCurve], _ line: [TEMPoint]) -> [TEMCurve] {
        curves.filter { c in
            let grid = PointGrid(TEMPolyline.resample(c.points, spacing: 0.5), cell: 2)
            return Double(line.filter { grid.hasPoint(within: 2, of: $0) }.count) >= 0.6 * Double(line.count)
        }
    }

    /// Two collinear dark lines, 14 px of background between their ends (two pile-ups' lines
    /// meeting at their bands), in noise: the geometry alone joins them into one curve over both
    /// (the detector before this rule); with the gap's evidence they stay two.
    func testTwoCollinearSeparateLinesAreNotJoined() {
        let a = segment(20, 118), b = segment(132, 236)
        var joinedBefore = 0, joinedAfter = 0, separateAfter = 0
        for seed in UInt64(1)...4 {
            let img = TEMTestImage.make(width: w, height: h, lines: [(a, 2.5, 0.25), (b, 2.5, 0.25)], noise: 0.04, seed: seed)
            var before = TEMDetector(config: .video5), after = TEMDetector(config: withEvidence)
            let c0 = before.detect(img, width: w, height: h), c1 = after.detect(img, width: w, height: h)
            if !covering(c0, a + b).isEmpty { joinedBefore += 1 }
            if !covering(c1, a + b).isEmpty { joinedAfter += 1 }
            if covering(c1, a).count == 1 && covering(c1, b).count == 1 && covering(c1, a + b).isEmpty { separateAfter += 1 }
        }
        XCTAssertGreaterThanOrEqual(joinedBefore, 3, "the geometry alone must join them (else this test shows nothing)")
        XCTAssertEqual(joinedAfter, 0, "no curve may run over both lines")
        XCTAssertEqual(separateAfter, 4, "each line found as its own curve")
    }

    /// One line whose contrast falls to a quarter over 10 px (a fading stretch): cut there by
    /// the tracer, its pieces are still joined with the gap's evidence.
    func testAGenuinelyBrokenLineIsStillJoined() {
        let line = segment(20, 236)
        let mid = TEMPolyline.length(line) / 2
        var whole = 0, cut = 0
        for seed in UInt64(1)...4 {
            var img = TEMTestImage.make(width: w, height: h, lines: [], noise: 0.04, seed: seed)
            // The dip: 10 px of arc length in the middle.
            TEMSynthesizer.stamp(&img, width: w, height: h, polyline: line, lineWidth: 2.5, contrast: 0.25) { abs($0 - mid) < 5 ? 0.25 : 1 }
            var split = withEvidence
            split.joinPieces = false
            var pieces = TEMDetector(config: split), after = TEMDetector(config: withEvidence)
            if pieces.detect(img, width: w, height: h).count >= 2 { cut += 1 }
            if covering(after.detect(img, width: w, height: h), line).count == 1 { whole += 1 }
        }
        XCTAssertGreaterThanOrEqual(cut, 3, "the fading stretch must cut the line (else this test shows nothing)")
        XCTAssertEqual(whole, 4, "the pieces joined into one curve over the whole line")
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
