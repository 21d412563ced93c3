import Kernels
import XCTest

/// The blur measured by fitting the blurred body to the amplitude (`BCDIBlurDirectFit`).
final class BCDIBlurDirectFitTests: XCTestCase {
    /// Random crystals (ellipsoids cut by facets, a density gradient) without lines, blurred
    /// by known σ, with and without noise: the fit gives √(σ² + 1/12) back (the 1/12 is the voxel
    /// staircase) within 0.2 voxel — where the surface variogram fell 0.3–0.45 short at σ ≥ 2.
    /// Noise 0.1 would pull a plain amplitude fit ≈ 0.3 low (the noise floor lifts the edge's
    /// foot); the noise power is part of the model.
    func testBlurOfLineFreeCrystals() {
        for (k, sigma) in [1.0, 2.0, 2.5].enumerated() {
            let draw = BCDIRandomCrystal.draw(seed: BCDIAccuracy.drawSeed(700, k), ranges: BCDIRandomRanges.preset("blur")!)
            for noise in [0.0, 0.1] {
                var spec = draw.spec
                spec.dislocations = []
                spec.blurSigma = sigma
                spec.noise = noise
                let v = BCDISynthetic.make(spec)
                let fit = BCDIBlurDirectFit.estimate(re: v.re, im: v.im, shape: v.shape)
                let expected = (sigma * sigma + 1.0 / 12).squareRoot()
                XCTAssertEqual(fit.sigma, expected, accuracy: 0.2, "σ \(sigma), noise \(noise)")
                XCTAssertGreaterThan(fit.bandVoxels, 1000)
                XCTAssertEqual(fit.residues, 0, "no lines, no vortices inside the body (σ \(sigma), noise \(noise))")
            }
        }
    }

    /// With dislocations the vortex lines are found inside the body and their neighbourhoods
    /// left out; the estimate stays near the blur.
    func testVortexNeighbourhoodsAreLeftOut() {
        var spec = BCDISynthetic.demoSpec(shape: BCDIShape(nz: 56, ny: 56, nx: 56), radius: 17, seed: 41)
        spec.blurSigma = 2
        spec.noise = 0.05
        let v = BCDISynthetic.make(spec)
        let fit = BCDIBlurDirectFit.estimate(re: v.re, im: v.im, shape: v.shape)
        XCTAssertGreaterThan(fit.residues, 10, "the demo's lines pierce many plaquettes")
        XCTAssertGreaterThan(fit.excludedVoxels, 100)
        XCTAssertEqual(fit.sigma, (4 + 1.0 / 12).squareRoot(), accuracy: 0.3)
    }
}
