import XCTest
@testable import Kernels

final class STEM4DStereoGeometryTests: XCTestCase {
    let bf = STEM4DBrightField(cx: 31.5, cy: 30.2, radius: 20)

    func testPairForRequestedAngle() throws {
        let p = try STEM4DStereoGeometry.pair(brightField: bf, convergenceMrad: 91, azimuthDeg: 90, detectorRadius: 3,
                                              stereoAngleDeg: 8)
        XCTAssertEqual(p.stereoAngleDeg, 8, accuracy: 1e-9)
        // φ = s·|d1 − d2| with s = α / R.
        guard case .circle(let mx, let my, let mr) = p.minus, case .circle(let px, let py, _) = p.plus else {
            return XCTFail("circles expected")
        }
        let sep = ((px - mx) * (px - mx) + (py - my) * (py - my)).squareRoot()
        XCTAssertEqual(91 / 20 * sep, p.stereoAngleMrad, accuracy: 1e-9)
        XCTAssertEqual(mx, 31.5, accuracy: 1e-9)  // azimuth 90°: baseline along det_y
        XCTAssertLessThan(my, py)
        XCTAssertEqual(mr, 3)
        XCTAssertEqual(p.depth(disparity: 2 * sin(p.stereoAngleRad / 2) * 10), 10, accuracy: 1e-9)
    }

    func testLargestPairKeepsDetectorsInsideAndTooLargeThrows() throws {
        let p = try STEM4DStereoGeometry.pair(brightField: bf, convergenceMrad: 60, azimuthDeg: 0, detectorRadius: 4)
        XCTAssertEqual(p.offsetPx, 16, accuracy: 1e-12)
        XCTAssertEqual(p.stereoAngleMrad, 60.0 / 20 * 32, accuracy: 1e-9)
        XCTAssertThrowsError(try STEM4DStereoGeometry.pair(brightField: bf, convergenceMrad: 60, azimuthDeg: 0,
                                                           detectorRadius: 4, stereoAngleDeg: 20)) { e in
            XCTAssertTrue("\(e)".contains("largest angle"))
        }
        let several = try STEM4DStereoGeometry.pairs(brightField: bf, convergenceMrad: 91, azimuthDeg: 45, detectorRadius: 2,
                                                     stereoAnglesDeg: [4, 6, nil])
        XCTAssertEqual(several.map { ($0.stereoAngleDeg * 1000).rounded() / 1000 }.prefix(2), [4, 6])
        XCTAssertGreaterThan(several[2].stereoAngleDeg, 6)
    }

    func testQuadrantsAndTilts() {
        let shape = STEM4DDetectorShape(rows: 64, cols: 64)
        let q = STEM4DStereoGeometry.quadrants(brightField: bf)
        XCTAssertEqual(q.count, 4)
        let t0 = STEM4DStereoGeometry.tiltMrad(of: q[0], brightField: bf, convergenceMrad: 60, shape: shape)
        let t2 = STEM4DStereoGeometry.tiltMrad(of: q[2], brightField: bf, convergenceMrad: 60, shape: shape)
        // Quadrant 0 spans 0…90° (+x, +y), quadrant 2 the opposite one; centroid ≈ 4√2R/(3π).
        XCTAssertGreaterThan(t0.x, 0); XCTAssertGreaterThan(t0.y, 0)
        XCTAssertEqual(t0.x, -t2.x, accuracy: 1.5); XCTAssertEqual(t0.y, -t2.y, accuracy: 1.5)
        XCTAssertEqual((t0.x * t0.x + t0.y * t0.y).squareRoot(), 3 * 4 * 2.0.squareRoot() * 20 / (3 * .pi), accuracy: 2)
        XCTAssertTrue(q[1].jsonString().contains(#""shape":"sector""#))
    }
}
