import XCTest
@testable import Kernels

final class STEM4DLineStereoTests: XCTestCase {
    /// Synthetic dislocations, 2D lines = projected truth with 0.5 px jitter (standing in for
    /// the TEM line detector), rectified along 30°: depth within the target.
    func testDepthOfSyntheticLines() throws {
        var p = STEM4DSynthParams.dislocations
        p.scanRows = 80; p.scanCols = 80; p.lineCount = 3; p.lineRunMin = 15; p.lineRunMax = 30; p.seed = 2
        let syn = STEM4DSynthesizer.make(p)
        let az = 30.0
        let pair = try STEM4DStereoGeometry.pair(brightField: syn.truth.brightField, convergenceMrad: p.convergenceMrad,
                                                 azimuthDeg: az, detectorRadius: 2, stereoAngleDeg: 8)
        let v = syn.cube.withUnsafeBufferPointer {
            STEM4DVirtualDetectorPlan(detectors: [pair.minus, pair.plus], detector: syn.detector).run(.uint16($0))
        }
        let rect = STEM4DRectification(angleDeg: az, rows: p.scanRows, cols: p.scanCols)
        let minus = STEM4DImage(rows: p.scanRows, cols: p.scanCols, pixels: Array(v.image(0))).rectified(angleDeg: az)
        let plus = STEM4DImage(rows: p.scanRows, cols: p.scanCols, pixels: Array(v.image(1))).rectified(angleDeg: az)
        let h = sin(pair.stereoAngleRad / 2), a = az * .pi / 180
        var rng = SeededRandom(seed: 8)
        func project(_ sign: Double) -> [[[Double]]] {
            syn.truth.lines.map { $0.map { q in
                let (x, y) = rect.toRectified(q[0] + sign * q[2] * h * cos(a), q[1] + sign * q[2] * h * sin(a))
                return [x + 0.5 * rng.gaussian(), y + 0.5 * rng.gaussian()]
            } }
        }
        let st = STEM4DLineStereo(disparityMin: 2 * h * p.slabTop - 2, disparityMax: 2 * h * (p.slabTop + p.slabThickness) + 2)
        let lines = st.reconstruct(minus: minus, plus: plus, minusLines: project(1), plusLines: project(-1),
                                   stereoAngleRad: pair.stereoAngleRad, rectification: rect)
        XCTAssertEqual(lines.count, 3)
        let score = STEM4DLineEvaluation.score(truth: syn.truth.lines, found: lines)
        XCTAssertLessThanOrEqual(score.medianDepthError, 2, "\(score)")
        XCTAssertGreaterThan(score.coverage, 0.7, "\(score)")
        XCTAssertEqual(score.matchedPoints, score.totalPoints)
        for l in lines { XCTAssertLessThan(l.reprojectionRMS, 1.5) }
    }

    func testPiecesSplitAtRealTurnsOnly() {
        // Down 10 rows with jitter, then back up 6 rows: two pieces.
        var line: [[Double]] = []
        for k in 0...10 {
            let jitter: Double = k % 2 == 0 ? 0.3 : -0.3
            line.append([Double(k) * 0.3, Double(k) + jitter])
        }
        for k in 1...6 { line.append([3 + Double(k), 10 - Double(k)]) }
        let pieces = STEM4DLineStereo.pieces(line, line: 0)
        XCTAssertEqual(pieces.count, 2)
        XCTAssertGreaterThanOrEqual(pieces[0].xs.count, 8)
    }

    func testRectificationRoundTrip() {
        let r = STEM4DRectification(angleDeg: 37, rows: 50, cols: 70)
        let (x, y) = r.toRectified(12.5, 40.25)
        let (bx, by) = r.toImage(x, y)
        XCTAssertEqual(bx, 12.5, accuracy: 1e-9); XCTAssertEqual(by, 40.25, accuracy: 1e-9)
        // The baseline direction maps to +x.
        let (ax, ay) = r.toRectified(r.cx + cos(37 * .pi / 180), r.cy + sin(37 * .pi / 180))
        XCTAssertEqual(ax - r.cx, 1, accuracy: 1e-9); XCTAssertEqual(ay - r.cy, 0, accuracy: 1e-9)
    }
}
