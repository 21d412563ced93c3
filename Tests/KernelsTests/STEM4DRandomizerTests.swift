import XCTest
@testable import Kernels

/// The randomised generator (`ctl synth stem4d --randomize`): every nuisance within its range
/// and actually varied over draws, the spheres physically possible (no interpenetration, some
/// touching, some overlapping in projection), the scan rotation turning the disparity.
final class STEM4DRandomizerTests: XCTestCase {
    func testDrawsSpanTheRangesAndAreDeterministic() {
        let draws = (1...40).map { STEM4DSynthRandomizer.draw(.spheres, scan: 48, seed: UInt64($0)) }
        XCTAssertEqual(STEM4DSynthRandomizer.draw(.spheres, scan: 48, seed: 7), draws[6])
        for p in draws {
            XCTAssertTrue((24...48).contains(p.detRows) && (24...48).contains(p.detCols))
            XCTAssertLessThanOrEqual(p.bfRadius + 1, min(p.bfCx + 0.5, Double(p.detCols) - 0.5 - p.bfCx) + 1.5)
            XCTAssertTrue((1...100).contains(p.bfCounts) && (40...120).contains(p.convergenceMrad))
            XCTAssertTrue(p.sphereRadiusMin >= 1.5 && p.sphereRadiusMax <= 8 && p.sphereRadiusMin <= p.sphereRadiusMax)
            XCTAssertGreaterThanOrEqual(p.slabThickness, 2 * p.sphereRadiusMax)
        }
        // Spread, not a fixed preset: dose over two decades, rotation over the full circle.
        XCTAssertLessThan(draws.map(\.bfCounts).min()!, 3)
        XCTAssertGreaterThan(draws.map(\.bfCounts).max()!, 30)
        XCTAssertGreaterThan(draws.map(\.scanRotationDeg).max()! - draws.map(\.scanRotationDeg).min()!, 270)
        XCTAssertGreaterThan(draws.map(\.sphereRadiusMax).max()!, 6)
        XCTAssertLessThan(draws.map(\.sphereRadiusMin).min()!, 2.2)
    }

    func testSpheresTouchAndOverlapButDoNotInterpenetrate() {
        var touching = 0, overlapping = 0
        for seed in 1...6 {
            var p = STEM4DSynthRandomizer.draw(.spheres, scan: 40, seed: UInt64(seed))
            p.detRows = 8; p.detCols = 8; p.bfCx = 3.5; p.bfCy = 3.5; p.bfRadius = 2  // the geometry only matters here
            let s = STEM4DSynthesizer.make(p).truth.spheres
            XCTAssertGreaterThan(s.count, 0)
            for i in s.indices {
                for j in s.indices where j > i {
                    let dxy = ((s[i][0] - s[j][0]) * (s[i][0] - s[j][0]) + (s[i][1] - s[j][1]) * (s[i][1] - s[j][1])).squareRoot()
                    let d = (dxy * dxy + (s[i][2] - s[j][2]) * (s[i][2] - s[j][2])).squareRoot()
                    XCTAssertGreaterThanOrEqual(d, s[i][3] + s[j][3] - 1e-9, "seed \(seed): spheres \(i) and \(j) interpenetrate")
                    if d < s[i][3] + s[j][3] + 0.31 { touching += 1 }
                    if dxy < s[i][3] + s[j][3] { overlapping += 1 }
                }
            }
        }
        XCTAssertGreaterThan(touching, 0)
        XCTAssertGreaterThan(overlapping, 0)
    }

    /// With the scan turned by 90° against the detector, a pair along det_x sees a sphere's
    /// depth as a shift along scan y.
    func testScanRotationTurnsTheDisparity() {
        var p = STEM4DSynthParams()
        p.scanRows = 48; p.scanCols = 48; p.sphereCount = 1; p.bfCounts = 400; p.margin = 14; p.seed = 5
        p.scanRotationDeg = 90
        let syn = STEM4DSynthesizer.make(p)
        XCTAssertEqual(syn.truth.scanRotationDeg, 90)
        let sphere = syn.truth.spheres[0]
        let pair = try! STEM4DStereoGeometry.pair(brightField: syn.truth.brightField, convergenceMrad: p.convergenceMrad,
                                                  azimuthDeg: 0, detectorRadius: 1.5)
        let v = syn.cube.withUnsafeBufferPointer {
            STEM4DVirtualDetectorPlan(detectors: [pair.minus, pair.plus], detector: syn.detector).run(.uint16($0))
        }
        func darkCentroid(_ img: ArraySlice<Float>) -> (x: Double, y: Double) {
            let a = Array(img), mx = a.max()!
            var s = 0.0, sx = 0.0, sy = 0.0
            for (i, x) in a.enumerated() {
                let w = Double(mx - x)
                if w > Double(mx) * 0.15 { s += w; sx += w * Double(i % p.scanCols); sy += w * Double(i / p.scanCols) }
            }
            return (sx / s, sy / s)
        }
        let a = darkCentroid(v.image(0)), b = darkCentroid(v.image(1))
        XCTAssertEqual(pair.depth(disparity: a.y - b.y), sphere[2], accuracy: 2.5)
        XCTAssertEqual(a.x - b.x, 0, accuracy: 0.5)
    }
}
