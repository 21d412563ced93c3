import XCTest
@testable import Kernels

/// The blob detector on crowded and cut particles, and the alignment that refines their
/// shifts between views; images of projected spheres (chord profile) with Gaussian noise.
final class STEM4DBlobSeparationTests: XCTestCase {
    /// A bright image with dark projected spheres (x, y, r) of depth `contrast`, noise σ = `noise`.
    func image(_ w: Int, _ h: Int, _ spheres: [(Double, Double, Double)], contrast: Float = 40, noise: Double = 2,
               seed: UInt64 = 1, gradient: Float = 0) -> STEM4DImage {
        var rng = SeededRandom(seed: seed)
        var px = [Float](repeating: 100, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                px[y * w + x] += gradient * Float(x)
                // Each pixel averages 4×4 points (a probe of finite size), so a sub-pixel shift
                // of a sphere is a shift of its image, as in a real scan.
                for (cx, cy, r) in spheres {
                    var chord = 0.0
                    for sy in 0..<4 {
                        for sx in 0..<4 {
                            let ox = Double(x) + (Double(sx) - 1.5) / 4 - cx, oy = Double(y) + (Double(sy) - 1.5) / 4 - cy
                            chord += max(0, 1 - (ox * ox + oy * oy) / (r * r)).squareRoot() / 16
                        }
                    }
                    px[y * w + x] -= contrast * Float(chord)
                }
                px[y * w + x] += Float(noise * rng.gaussian())
            }
        }
        return STEM4DImage(rows: h, cols: w, pixels: px)
    }

    func assertFound(_ blobs: [STEM4DBlob], _ spheres: [(Double, Double, Double)], within tol: Double, _ what: String) {
        XCTAssertEqual(blobs.count, spheres.count, "\(what): \(blobs)")
        for (cx, cy, _) in spheres {
            XCTAssertTrue(blobs.contains { abs($0.x - cx) < tol && abs($0.y - cy) < tol }, "\(what): (\(cx), \(cy)) not in \(blobs)")
        }
    }

    /// Chains of touching spheres come out one blob per sphere, at several radii and angles.
    func testTouchingChainsAreSeparated() {
        for (r, angle) in [(2.5, 0.0), (3.0, 0.7), (4.0, 2.1), (5.5, 1.2)] {
            let step = 2 * r + 0.2
            let chain = (0..<3).map { k in (32 + (Double(k) - 1) * step * cos(angle), 32 + (Double(k) - 1) * step * sin(angle), r) }
            let blobs = STEM4DBlobDetector(radiusMin: 1.5, radiusMax: 8).detect(image(64, 64, chain, seed: UInt64(r * 10)))
            assertFound(blobs, chain, within: 1, "chain of radius \(r) at \(angle) rad")
        }
    }

    /// A single large sphere stays one blob (its rim is not taken for several small ones).
    func testLargeSphereIsOneBlob() {
        for r in [4.0, 6.0, 8.0] {
            let one = [(31.3, 30.6, r)]
            for seed in 1...3 as ClosedRange<UInt64> {
                let blobs = STEM4DBlobDetector(radiusMin: 1.5, radiusMax: 8).detect(image(64, 64, one, contrast: 60, seed: seed))
                assertFound(blobs, one, within: 0.5, "sphere of radius \(r), seed \(seed)")
            }
        }
    }

    /// Spheres cut by the image border are found near their centres; a brightness gradient
    /// along the image gives no blob at its darker edge.
    func testSpheresCutByTheBorderAreFound() {
        let cut = [(1.0, 20.0, 3.0), (40.0, 62.5, 3.5), (63.2, 40.0, 4.0)]
        let blobs = STEM4DBlobDetector(radiusMin: 1.5, radiusMax: 8).detect(image(64, 64, cut, seed: 3))
        assertFound(blobs, cut, within: 1.5, "cut spheres")
        let plain = STEM4DBlobDetector(radiusMin: 1.5, radiusMax: 8).detect(image(64, 64, [], seed: 4, gradient: 0.5))
        XCTAssertEqual(plain, [], "a gradient is no particle")
    }

    /// The shift between two views of the same particles is recovered to a few hundredths of
    /// a pixel, whatever the gain and offset of the second view; nil without signal.
    func testAlignmentRecoversSubPixelShift() {
        for (r, dx, dy) in [(2.0, 0.37, -0.21), (3.5, -1.13, 0.08), (6.0, 0.61, 0.94)] {
            let a = image(48, 48, [(24, 24, r)], contrast: 40, noise: 1, seed: 5)
            var b = image(48, 48, [(24 + dx, 24 + dy, r)], contrast: 40, noise: 1, seed: 6)
            b.pixels = b.pixels.map { 0.7 * $0 + 12 }
            let sa = a.gaussianBlurred(sigma: STEM4DParticleAlignment.smoothingSigma)
            let sb = b.gaussianBlurred(sigma: STEM4DParticleAlignment.smoothingSigma)
            let s = STEM4DParticleAlignment.shift(reference: sa, view: sb, x: 24, y: 24, radius: r, initial: (dx.rounded(), dy.rounded()))
            XCTAssertNotNil(s, "radius \(r)")
            if let s {
                XCTAssertEqual(s.0, dx, accuracy: 0.05, "radius \(r)")
                XCTAssertEqual(s.1, dy, accuracy: 0.05, "radius \(r)")
            }
        }
        let flat = STEM4DImage(rows: 20, cols: 20, pixels: [Float](repeating: 5, count: 400))
        XCTAssertNil(STEM4DParticleAlignment.shift(reference: flat, view: flat, x: 10, y: 10, radius: 3, initial: (0, 0)))
    }
}
