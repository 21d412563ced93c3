import XCTest
@testable import Kernels

final class STEM4DSyntheticTests: XCTestCase {
    func testDeterministicShapeAndTruth() {
        let a = STEM4DSynthesizer.make(STEM4DSynthParams())
        let b = STEM4DSynthesizer.make(STEM4DSynthParams())
        XCTAssertEqual(a.cube.count, 32 * 32 * 32 * 32)
        XCTAssertEqual(a.cube, b.cube)
        XCTAssertEqual(a.truth.spheres.count, a.params.sphereCount)
        for s in a.truth.spheres {
            XCTAssertGreaterThanOrEqual(s[2] - s[3], a.params.slabTop - 1e-9)
            XCTAssertLessThanOrEqual(s[2] + s[3], a.params.slabTop + a.params.slabThickness + 1e-9)
        }
        var p = STEM4DSynthParams(); p.content = .lines; p.seed = 3
        let l = STEM4DSynthesizer.make(p)
        XCTAssertEqual(l.truth.lines.count, 2)
        XCTAssertEqual(l.truth.lines[0].first![2], p.slabTop, accuracy: 1e-9)
        XCTAssertEqual(l.truth.lines[0].last![2], p.slabTop + p.slabThickness, accuracy: 1e-9)
    }

    /// Reciprocity: a detector at +δ sees a sphere at depth z shifted by −z·tan θ.
    func testViewsShiftWithDepth() {
        var p = STEM4DSynthParams()
        p.scanRows = 48; p.scanCols = 48; p.sphereCount = 1; p.bfCounts = 400; p.margin = 14; p.seed = 5
        let syn = STEM4DSynthesizer.make(p)
        let sphere = syn.truth.spheres[0]
        let bf = syn.truth.brightField
        let pair = try! STEM4DStereoGeometry.pair(brightField: bf, convergenceMrad: p.convergenceMrad, azimuthDeg: 0,
                                                  detectorRadius: 1.5)
        let v = syn.cube.withUnsafeBufferPointer {
            STEM4DVirtualDetectorPlan(detectors: [pair.minus, pair.plus], detector: syn.detector).run(.uint16($0))
        }
        func darkCentroid(_ img: ArraySlice<Float>) -> Double {
            let a = Array(img), mx = a.max()!
            var s = 0.0, sx = 0.0
            for (i, x) in a.enumerated() { let w = Double(mx - x); if w > Double(mx) * 0.15 { s += w; sx += w * Double(i % p.scanCols) } }
            return sx / s
        }
        let d = darkCentroid(v.image(0)) - darkCentroid(v.image(1))
        XCTAssertEqual(pair.depth(disparity: d), sphere[2], accuracy: 2.5)
    }
}
