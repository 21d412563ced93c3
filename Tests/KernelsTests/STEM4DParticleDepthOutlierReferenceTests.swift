import Foundation
@testable import Kernels
import XCTest

/// The σz median the depth-outlier rule scales by (`STEM4DParticleModelFit.depthOutlierReference`).
final class STEM4DParticleDepthOutlierReferenceTests: XCTestCase {
    /// A fit's state holding `spheres` (x, y, z, r) over two blank views shifted ±0.07 per unit
    /// depth, and the particles the rule judges with the given depth standard errors.
    func judged(_ spheres: [[Double]], sigmas: [Double], reference: STEM4DParticleModelFit.DepthOutlierReference,
                overlappingOnly: Bool = false) -> [Bool] {
        var fit = STEM4DParticleModelFit(radiusMin: 1.5, radiusMax: 8, zMin: -40, zMax: 40)
        fit.depthOutlierFactor = 2
        fit.depthOutlierReference = reference
        fit.depthOutlierOverlappingOnly = overlappingOnly
        let image = STEM4DImage(rows: 48, cols: 48, pixels: [Float](repeating: 60, count: 48 * 48))
        let views = [STEM4DParticleModelFit.View(image: image, tx: -0.07, ty: 0), STEM4DParticleModelFit.View(image: image, tx: 0.07, ty: 0)]
        let state = STEM4DParticleModelState(views: views, fit: fit)
        for s in spheres { state.add(.init(x: s[0], y: s[1], z: s[2], r: s[3], c: 0.5)) }
        let found = zip(spheres, sigmas).map { s, sigma in
            var p = STEM4DParticle3D(x: s[0], y: s[1], z: s[2], radius: s[3], views: 2, residual: 0)
            p.depthSigma = sigma
            return p
        }
        return fit.judgeDepths(found, state: state)
    }

    /// Faint spheres of poorly determined depth outnumbering the real ones (64² draw 216: 40 of 67
    /// spheres judged): the median of all is one of theirs and the rule keeps all but the worst;
    /// the median of the kept spheres, to a fixed point, is the real ones' and drops the five.
    /// Fails with `.all` in place of `.kept` (the first assertion is that run).
    func testKeptMedianDropsAMajorityOfUndeterminedDepths() {
        // Nine spheres stacked on one place: each lies on every other in every view.
        let spheres = (0..<9).map { [24, 24, -20 + 5 * Double($0), 4] }
        let sigmas = [0.15, 0.16, 0.17, 0.18, 1.5, 2.0, 2.3, 2.9, 3.1]
        XCTAssertEqual(judged(spheres, sigmas: sigmas, reference: .all), [true, true, true, true, true, true, true, true, false])
        XCTAssertEqual(judged(spheres, sigmas: sigmas, reference: .kept), [true, true, true, true, false, false, false, false, false])
    }

    /// Where the spheres share one scale the kept median changes nothing: a spread of σz within a
    /// factor of two of each other keeps every sphere, and one outlier goes with either median.
    func testKeptMedianLeavesOneScaleAlone() {
        let spheres = (0..<7).map { [24, 24, -18 + 6 * Double($0), 4] }
        let even = [0.2, 0.25, 0.3, 0.32, 0.35, 0.4, 0.5]
        XCTAssertEqual(judged(spheres, sigmas: even, reference: .kept), judged(spheres, sigmas: even, reference: .all))
        XCTAssertEqual(judged(spheres, sigmas: even, reference: .kept), Array(repeating: true, count: 7))
        let one = [0.2, 0.25, 0.3, 0.32, 0.35, 0.4, 1.5]
        XCTAssertEqual(judged(spheres, sigmas: one, reference: .kept), [true, true, true, true, true, true, false])
        XCTAssertEqual(judged(spheres, sigmas: one, reference: .all), [true, true, true, true, true, true, false])
        // Not finite: never kept, never in the median.
        XCTAssertEqual(judged(spheres, sigmas: [0.2, 0.25, .infinity, 0.32, .nan, 0.4, 0.3], reference: .kept),
                       [true, true, false, true, false, true, true])
    }

    /// With `depthOutlierOverlappingOnly` a sphere alone in a view keeps its claim at every pass
    /// and stays in the median it is part of; the stacked faint ones still go.
    func testKeptMedianSparesASphereAlone() {
        var spheres = (0..<8).map { [20, 20, -20 + 5 * Double($0), 4] }
        spheres.append([40, 40, 0, 3])
        let sigmas = [0.15, 0.16, 0.17, 0.18, 1.5, 2.0, 2.3, 2.9, 3.1]
        XCTAssertEqual(judged(spheres, sigmas: sigmas, reference: .kept, overlappingOnly: true),
                       [true, true, true, true, false, false, false, false, true])
    }
}
