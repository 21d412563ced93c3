import XCTest
@testable import Kernels

/// The slip-trace rule of the detector: straight lines across the field are traces or band
/// edges however dark; curved lines and short straight pieces are kept.
final class TEMSlipTraceRuleTests: XCTestCase {
    private func curve(_ pts: [TEMPoint], response: Double = 5) -> TEMCurve {
        TEMCurve(points: TEMPolyline.resample(pts, count: 50), lengthPx: TEMPolyline.length(pts), meanCurvature: 0,
                 maxCurvature: 0, meanResponse: response)
    }

    /// A point set with equal spread every way is as far from straight as it gets: the
    /// discriminant of its second moments rounds to a tiny negative here (4 corners of a square of
    /// half-diagonal 1.37 at (1.7, 2.3), turned 0.013 rad), which once read as RMS 0 — straight.
    func testAPointSetSpreadEqualBothWaysIsNotReadStraight() {
        let r = 1.37, a = 0.013
        let square = (0..<4).map { k in
            TEMPoint(1.7 + r * cos(2 * .pi * Double(k) / 4 + a), 2.3 + r * sin(2 * .pi * Double(k) / 4 + a))
        }
        XCTAssertEqual(TEMDetector.lineRMS(square), r / 2.0.squareRoot(), accuracy: 1e-9)
    }

    func testStraightLinesAcrossTheFieldAreDroppedCurvedLinesKept() {
        let w = 200, h = 160
        let across = curve([TEMPoint(0, 20), TEMPoint(199, 40)], response: 9)           // darker than the lines
        let pieceA = curve([TEMPoint(0, 120), TEMPoint(70, 127)]), pieceB = curve([TEMPoint(100, 130), TEMPoint(180, 138)])
        let shortStraight = curve([TEMPoint(60, 70), TEMPoint(110, 72)])                 // 25 % of its chord
        let bowed = curve(stride(from: 40.0, through: 150, by: 2).map { TEMPoint($0, 90 + 25 * sin(($0 - 40) / 110 * .pi)) })
        let curves = [across, pieceA, pieceB, shortStraight, bowed]
        let rms = curves.map { TEMDetector.lineRMS(TEMPolyline.resample($0.points, spacing: 1)) }
        var config = TEMDetectorConfig.video
        let kept = TEMDetector.dropSlipTraces(curves, rms: rms, config: config, width: w, height: h)
        XCTAssertEqual(kept, [shortStraight, bowed])
        config.traceFieldFraction = 0
        XCTAssertEqual(TEMDetector.dropSlipTraces(curves, rms: rms, config: config, width: w, height: h), curves)
    }
}
