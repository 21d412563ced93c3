@testable import Kernels
import XCTest

/// `BCDILineSmoothing`: the position-precision map against the exact value of a linear vortex
/// and a plain per-voxel reference, the RTS smoother against the batch least-squares solution
/// of the same model, and what the smoothing must do to a line traced beside the truth.
final class BCDILineSmoothingTests: XCTestCase {
    /// A linear vortex a·(u + i·v) across an oblique line, on an awkward 7×9×11 array: central
    /// (and, at the border, one-sided) differences are exact, so every voxel holds a²/σ².
    func testPrecisionOfALinearVortex() {
        let shape = BCDIShape(nz: 7, ny: 9, nx: 11)
        let e1 = BCDIVec.normalized(SIMD3<Double>(1, 2, -1)), t = BCDIVec.normalized(SIMD3<Double>(1, -1, -1))
        let e2 = SIMD3(t.y * e1.z - t.z * e1.y, t.z * e1.x - t.x * e1.z, t.x * e1.y - t.y * e1.x)
        let (a, sigma) = (0.37, 0.05)
        var re = [Float](repeating: 0, count: shape.count), im = re
        for i in 0..<shape.count {
            let (x, y, z) = shape.coordinates(of: i)
            let r = SIMD3(Double(x), Double(y), Double(z)) - SIMD3(4.3, 3.6, 2.8)
            re[i] = Float(a * BCDIVec.dot(r, e1))
            im[i] = Float(a * BCDIVec.dot(r, e2))
        }
        let map = BCDILineSmoothing.precisionMap(re: re, im: im, shape: shape, noise: sigma)
        for v in map { XCTAssertEqual(Double(v), a * a / (sigma * sigma), accuracy: 1e-3 * a * a / (sigma * sigma)) }
    }

    /// A smooth non-linear field on a 5×6×13 array against the plain Double loop
    /// (`BCDILineSmoothingReference.precisionMap`).
    func testPrecisionMatchesTheReference() {
        let shape = BCDIShape(nz: 5, ny: 6, nx: 13)
        var re = [Float](repeating: 0, count: shape.count), im = re
        for i in 0..<shape.count {
            let (x, y, z) = shape.coordinates(of: i)
            re[i] = Float(sin(0.4 * Double(x)) + 0.3 * Double(y * z) - 0.1 * Double(x * y))
            im[i] = Float(cos(0.3 * Double(y + z)) * Double(x) * 0.2 + 0.05 * Double(z * z))
        }
        let sigma = 0.2
        let map = BCDILineSmoothing.precisionMap(re: re, im: im, shape: shape, noise: sigma)
        let reference = BCDILineSmoothingReference.precisionMap(re: re, im: im, shape: shape, noise: sigma)
        XCTAssertTrue(reference.contains { $0 > 1 }, "the field has gradients")
        for (got, expected) in zip(map, reference) { XCTAssertEqual(Double(got), expected, accuracy: 1e-4 * max(1, expected)) }
    }

    /// The RTS pass gives the batch weighted least-squares solution of the same model
    /// (`BCDILineSmoothingReference.batchSmooth`, solved densely), at a given q and at the
    /// maximum-likelihood q the smoother picks.
    func testSmootherIsTheBatchSolution() {
        let z: [Double] = [0.1, 1.3, 1.7, 3.4, 3.9, 5.2, 5.8, 7.3, 7.9]
        let r: [Double] = [0.1, 0.3, 2.0, 0.2, 4.0, 0.1, 0.5, 0.2, 0.3]
        let points = z.map { SIMD3($0, 0, 0) }
        for q in [0.07, BCDILineSmoothing.maximumLikelihoodQ(points, r)] {
            let out = BCDILineSmoothing.filter(points, r, q: q, smooth: true).points.map(\.x)
            let u = BCDILineSmoothingReference.batchSmooth(z, variance: r, q: q)
            for k in z.indices { XCTAssertEqual(out[k], u[k], accuracy: 1e-9, "q \(q), point \(k)") }
        }
    }

    /// A straight line whose traced cells run 2 voxels aside over three cells where the field's
    /// gradient is small (variance 3 voxel², measured) comes back within 0.7 voxel of its
    /// course; a circle of radius 6 traced with small variances keeps its radius (the
    /// curvature noise is the data's, not a fixed width).
    func testBesideStretchComesBackAndCurvesStay() {
        var pts = (0..<24).map { SIMD3(Double($0), 5, 5) }
        var variance = [Double](repeating: 0.12, count: 24)
        for k in 10...12 {
            pts[k].y += 2
            variance[k] = 3
        }
        let out = BCDILineSmoothing.smooth(pts, variance: variance, closed: false)
        for k in 10...12 { XCTAssertLessThan(abs(out[k].y - 5), 0.7, "point \(k): \(out[k])") }
        let ring = (0..<38).map { k -> SIMD3<Double> in
            let t = 2 * Double.pi * Double(k) / 38
            return SIMD3(10 + 6 * cos(t), 10 + 6 * sin(t), 5)
        }
        let smoothed = BCDILineSmoothing.smooth(ring, variance: [Double](repeating: 0.1, count: 38), closed: true)
        for p in smoothed { XCTAssertEqual(BCDIVec.length(p - SIMD3(10, 10, 5)), 6, accuracy: 0.15) }
        // Too short to fit: as it is.
        XCTAssertEqual(BCDILineSmoothing.smooth(Array(pts.prefix(4)), variance: Array(variance.prefix(4)), closed: false), Array(pts.prefix(4)))
    }
}
