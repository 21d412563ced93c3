import Foundation
@testable import Kernels
import XCTest

/// The background refitted without the pixels the held model predicts under the floor
/// (`STEM4DParticleModelFit.floorHeldBackground`).
final class STEM4DParticleFloorHeldBackgroundTests: XCTestCase {
    /// Two noiseless 48² views at a flat background of 60 counts with a strongly absorbing sphere
    /// (r 10, amplitude 1.5: its linear prediction reaches −30 counts) clipped at a floor of 3
    /// counts, the sphere in the model at its true place and amplitude. Under the held model the
    /// pixels predicted under the floor read image + level × model = 3 + 60 × 1.5 × chord, far above
    /// the background: refitted with them, the plane stands at 61.4 and the background is off by up
    /// to 0.48 counts after the smooth term; without them, both are the truth. Fails with the option off
    /// (the first half is that run).
    func testPixelsPredictedUnderTheFloorSayNothingOfTheBackground() {
        let (w, h) = (48, 48)
        let sphere = (x: 24.0, y: 24.0, r: 10.0, c: 1.5)
        var pixels = [Float](repeating: 60, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let q = 1 - (pow(Double(x) - sphere.x, 2) + pow(Double(y) - sphere.y, 2)) / (sphere.r * sphere.r)
                if q > 0 { pixels[y * w + x] = Float(max(3, 60 - 60 * sphere.c * q.squareRoot())) }
            }
        }
        let image = STEM4DImage(rows: h, cols: w, pixels: pixels)
        let views = [STEM4DParticleModelFit.View(image: image, tx: 0, ty: 0), STEM4DParticleModelFit.View(image: image, tx: 0, ty: 0)]
        func background(heldOut: Bool) -> (plane: Double, worst: Double) {
            var fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 12, zMin: -10, zMax: 10)
            fit.pointSampling = true
            fit.floorHeld = .all
            fit.floorHeldBackground = heldOut
            let state = STEM4DParticleModelState(views: views, fit: fit)
            state.add(.init(x: sphere.x, y: sphere.y, z: 0, r: sphere.r, c: sphere.c))
            state.plane = state.plane.map { _ in (60, 0, 0) }
            XCTAssertEqual(state.holdFloor, [3, 3])
            state.refitBackground()
            var worst = 0.0
            for y in 0..<h { for x in 0..<w { worst = max(worst, abs(state.background(0, x, y) - 60)) } }
            return (state.plane[0].0, worst)
        }
        let all = background(heldOut: false)
        XCTAssertGreaterThan(all.plane, 61, "every uncensored pixel lifts the plane")
        XCTAssertGreaterThan(all.worst, 0.3, "the smooth term takes part of it: 0.48 when written")
        let held = background(heldOut: true)
        XCTAssertEqual(held.plane, 60, accuracy: 1e-4)
        XCTAssertLessThan(held.worst, 1e-3)
    }
}
