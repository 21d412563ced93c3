import XCTest
@testable import Kernels

final class STEM4DCalibrationTests: XCTestCase {
    func testBrightFieldFromMeanPatternOfSyntheticCube() throws {
        let syn = STEM4DSynthesizer.make(STEM4DSynthParams())
        let mean = syn.cube.withUnsafeBufferPointer {
            STEM4DVirtualDetectorPlan(masks: [], detector: syn.detector).run(.uint16($0)).meanPattern
        }
        let bf = try STEM4DCalibration.brightField(pattern: mean, detector: syn.detector)
        XCTAssertEqual(bf.cx, syn.params.bfCx, accuracy: 0.1)
        XCTAssertEqual(bf.cy, syn.params.bfCy, accuracy: 0.1)
        XCTAssertEqual(bf.radius, syn.params.bfRadius, accuracy: 0.2)
        XCTAssertEqual(bf.mradPerPixel(convergenceMrad: 100), 100 / bf.radius, accuracy: 1e-12)
    }

    func testSubPixelDiskOfKnownAreaAndCentre() throws {
        // A disk drawn with partial-pixel coverage on a noisy-free background.
        let det = STEM4DDetectorShape(rows: 41, cols: 37)
        let (cx, cy, r) = (17.37, 20.81, 11.3)
        var pat = [Float](repeating: 3, count: det.pixels)
        for y in 0..<det.rows {
            for x in 0..<det.cols {
                var cover = 0.0
                for sy in 0..<8 { for sx in 0..<8 {
                    let px = Double(x) - 0.5 + (Double(sx) + 0.5) / 8, py = Double(y) - 0.5 + (Double(sy) + 0.5) / 8
                    if (px - cx) * (px - cx) + (py - cy) * (py - cy) <= r * r { cover += 1 / 64 }
                } }
                pat[y * det.cols + x] += Float(100 * cover)
            }
        }
        let bf = try STEM4DCalibration.brightField(pattern: pat, detector: det)
        XCTAssertEqual(bf.cx, cx, accuracy: 0.02)
        XCTAssertEqual(bf.cy, cy, accuracy: 0.02)
        XCTAssertEqual(bf.radius, r, accuracy: 0.02)
    }

    func testFlatPatternIsRejected() {
        let det = STEM4DDetectorShape(rows: 8, cols: 8)
        XCTAssertThrowsError(try STEM4DCalibration.brightField(pattern: [Float](repeating: 5, count: 64), detector: det))
    }
}

/// The radius over randomised cubes (disk size and offset, dose down to 1 count per pixel, a
/// halo of diffuse scattering): within 3 % of the truth in every draw.
final class STEM4DCalibrationRandomTests: XCTestCase {
    func testRadiusOverRandomDraws() throws {
        var worst = 0.0
        for seed in 1...12 {
            var p = STEM4DSynthRandomizer.draw(.spheres, scan: 16, seed: UInt64(seed))
            p.sphereCount = min(p.sphereCount, 4)
            let syn = STEM4DSynthesizer.make(p)
            let mean = syn.cube.withUnsafeBufferPointer {
                STEM4DVirtualDetectorPlan(masks: [], detector: syn.detector).run(.uint16($0)).meanPattern
            }
            let bf = try STEM4DCalibration.brightField(pattern: mean, detector: syn.detector)
            worst = max(worst, abs(bf.radius / p.bfRadius - 1))
            XCTAssertEqual(bf.cx, p.bfCx, accuracy: 0.15, "seed \(seed)")
            XCTAssertEqual(bf.cy, p.bfCy, accuracy: 0.15, "seed \(seed)")
        }
        XCTAssertLessThan(worst, 0.03)
    }
}
