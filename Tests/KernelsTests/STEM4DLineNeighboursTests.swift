import XCTest
@testable import Kernels

/// `STEM4DLineNeighbours` and `STEM4DLineSweepStereo.modelNeighbours`: another line under a
/// line's cross-sections, modelled in each view at its own depth instead of being left there.
final class STEM4DLineNeighboursTests: XCTestCase {
    /// The profile fitted to a line drawn by `render` gives back its amplitude and width, and
    /// rendering puts the dip where the view sees the line (shifted by −z·t); no dip, no profile.
    func testProfileOfARenderedLineIsItsOwn() {
        let n = 40
        let curve = (0..<25).map { SIMD2(20.0 + 0.3 * Double($0), 8.0 + Double($0)) }
        let z = curve.map { _ in 10.0 }
        let flat = STEM4DImage(rows: n, cols: n, pixels: [Float](repeating: 1, count: n * n))
        let truth = STEM4DLineNeighbours.Profile(amplitude: 0.2, width: 1.3)
        var views: [STEM4DLineView] = []
        for t in [(0.07, 0.0), (-0.07, 0.0), (0.0, 0.07), (0.0, -0.07)] {
            let blank = STEM4DLineView(image: flat, tx: t.0, ty: t.1)
            let dip = STEM4DLineNeighbours.render(curve: curve, z: z, profile: truth, view: blank)
            views.append(STEM4DLineView(image: STEM4DImage(rows: n, cols: n, pixels: zip(flat.pixels, dip).map { $0 - $1 }), tx: t.0, ty: t.1))
        }
        // View 0 sees the point (20 + 0.3·12, 20) at x − 10·0.07.
        let p = curve[12], x = p.x - 10 * 0.07
        let centre = views[0].image.sample(x, p.y), aside = views[0].image.sample(x + 1.3, p.y)
        XCTAssertEqual(Double(centre), 0.8, accuracy: 0.03)
        XCTAssertEqual(Double(aside), 1 - 0.2 * exp(-0.5), accuracy: 0.03)
        let fitted = STEM4DLineNeighbours.profile(curve: curve, z: z, views: views, reach: 5)
        XCTAssertEqual(fitted?.amplitude ?? 0, 0.2, accuracy: 0.015)  // bilinear reads lower a pixel-drawn peak a little
        XCTAssertEqual(fitted?.width ?? 0, 1.3, accuracy: 0.15)
        print("profile of a drawn line (0.2, 1.3 px): \(String(describing: fitted))")
        XCTAssertNil(STEM4DLineNeighbours.profile(curve: curve, z: z, views: [STEM4DLineView(image: flat, tx: 0.07, ty: 0)], reach: 5))
    }

    /// Four views (two pairs at φ = 8°, radius-3 detectors) of two parallel lines 8 px apart
    /// at depths −8 and +12 px, 200 counts per bright-field pixel. Left under each other's
    /// cross-sections they pull each other's depth by 1.3–1.6 px (each towards the other's); with
    /// the neighbour modelled — drawn and taken out, or measured jointly — each is within
    /// 0.6 px, two noise draws.
    func testNeighbourEightPixelsAwayNoLongerPullsTheDepth() throws {
        let u = SIMD2(cos(Double.pi / 3), sin(Double.pi / 3)), normal = SIMD2(-u.y, u.x)
        func line(_ offset: Double, _ z: Double) -> [[Double]] {
            (0...30).map { k in let p = SIMD2(23.0, 23.0) + (-18 + 36 * Double(k) / 30) * u + offset * normal; return [p.x, p.y, z] }
        }
        let truth = [line(-4, -8), line(4, 12)]
        for seed: UInt64 in 1...2 {
            let v = try STEM4DLineSweepTests.views(truth, rows: 46, cols: 46, counts: 200, contrast: 0.2, seed: seed)
            for mode in STEM4DLineSweepStereo.NeighbourModel.allCases {
                var sweep = STEM4DLineSweepStereo(zRange: 40, minLength: 8)
                sweep.modelNeighbours = mode
                let found = sweep.reconstruct(v).lines
                let errors = truth.map { STEM4DLineSweepTests.signedDepthError($0, found) }
                print("seed \(seed) neighbours \(mode.rawValue): signed depth errors \(errors)")
                if mode == .off {
                    XCTAssertGreaterThan(errors[0], 1.0, "seed \(seed): the deeper neighbour should pull line 0 down")
                    XCTAssertLessThan(errors[1], -1.0, "seed \(seed): the shallower neighbour should pull line 1 up")
                } else {
                    for e in errors { XCTAssertLessThan(abs(e), 0.6, "seed \(seed) \(mode.rawValue): \(errors)") }
                }
            }
        }
    }
}
