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

    /// A loop blurred to radius R' is put back at √(R'² + kσ²), k = 1 + ln(8R'/σ), by
    /// `unshrink` (the circle through points πσ of arc either side is the circle itself, but for
    /// the chords it is measured on), tilted out of the axes or not; a straight line does not
    /// move; an open arc moves out along its whole length, its ends too; no blur, or a line too
    /// short to measure, leaves the line as it is; a wiggle shorter than the blur's reach is not
    /// amplified.
    func testUnshrinkUndoesTheBlurOnCurvedLines() {
        func ring(_ r: Double, count: Int, tilt: Double) -> [SIMD3<Double>] {
            (0..<count).map { k in
                let t = 2 * Double.pi * Double(k) / Double(count)
                return SIMD3(20 + r * cos(t), 20 + r * sin(t) * cos(tilt), 20 + r * sin(t) * sin(tilt))
            }
        }
        func expected(_ r: Double, _ sigma: Double) -> Double { (r * r + (1 + log(8 * r / sigma)) * sigma * sigma).squareRoot() }
        let centre = SIMD3<Double>(20, 20, 20)
        for (radius, sigma, tilt) in [(3.5, 1.5, 0.0), (2.5, 1.2, 0.7), (5.0, 2.0, 1.3)] {
            let count = Int((4 * Double.pi * radius).rounded())
            for p in BCDILineSmoothing.unshrink(ring(radius, count: count, tilt: tilt), closed: true, blur: sigma) {
                XCTAssertEqual(BCDIVec.length(p - centre), expected(radius, sigma), accuracy: 0.03, "R' \(radius) σ \(sigma)")
            }
        }
        let straight = (0..<12).map { SIMD3(Double($0), 0.5 * Double($0), 3) }
        XCTAssertEqual(BCDILineSmoothing.unshrink(straight, closed: false, blur: 1.5), straight)
        let arc = Array(ring(3, count: 38, tilt: 0).prefix(16))
        for p in BCDILineSmoothing.unshrink(arc, closed: false, blur: 1) {
            XCTAssertEqual(BCDIVec.length(p - centre), expected(3, 1), accuracy: 0.03)
        }
        XCTAssertEqual(BCDILineSmoothing.unshrink(arc, closed: false, blur: 0), arc)
        XCTAssertEqual(BCDILineSmoothing.unshrink(Array(arc.prefix(6)), closed: false, blur: 1), Array(arc.prefix(6)), "shorter than 2πσ")
        // A straight line with a ±0.3-voxel zigzag of period 4 (shorter than 2πσ): no point moves
        // by more than a third of the zigzag (with the curvature taken from the points two steps
        // either side, the peaks would move out by 0.75 voxel).
        let offsets: [Double] = [0, 0.3, 0, -0.3]
        let zigzag = (0..<30).map { k -> SIMD3<Double> in SIMD3(Double(k), 10 + offsets[k % 4], 5) }
        for (p, q) in zip(BCDILineSmoothing.unshrink(zigzag, closed: false, blur: 1.2), zigzag) {
            XCTAssertLessThan(BCDIVec.length(p - q), 0.1, "\(q) → \(p)")
        }
    }

    /// The physics `unshrink` rests on, on a real field: a dislocation loop of radius 5 (the
    /// synthetic crystal's solid-angle phase, a narrow core dip) blurred by σ = 1.2, no noise:
    /// its residue chain, smoothed by the RTS smoother, lies well inside the loop (≈ √(R² − kσ²)
    /// = 4.3 for k = 1 + ln(8R/σ)); with the blur undone it comes back to the loop.
    func testBlurredLoopComesBackToItsRadius() {
        let radius = 5.0, sigma = 1.2
        let centre = SIMD3<Double>(17.6, 17.3, 17.45)
        let loop = (0..<48).map { k -> SIMD3<Double> in
            let t = 2 * Double.pi * Double(k) / 48
            return centre + SIMD3(radius * cos(t), radius * sin(t), 0)
        }
        let spec = BCDISyntheticSpec(shape: BCDIShape(nz: 36, ny: 36, nx: 36), crystal: .sphere(radius: 14),
                                     dislocations: [BCDIDislocation(.polyline(loop, closed: true), burgers: SIMD3(0, 0, 2 * Double.pi / 40))],
                                     blurSigma: sigma, noise: 0, coreDip: 0.8, coreWidth: 0.5)
        let v = BCDISynthetic.make(spec)
        let phase = zip(v.re, v.im).map { atan2f($1, $0) }
        let residues = BCDIWinding.residues(phase: phase, support: v.support, shape: v.shape)
        let chain = BCDIResidueChains.chains(residues).max { $0.count < $1.count }!
        func meanRadius(_ blur: Double) -> Double {
            let pieces = BCDIResidueChains.pieces(chain, residues: residues, spurLength: 3, smoothing: 2, variance: { _ in 0.2 }, blur: blur)
            XCTAssertEqual(pieces.count, 1)
            XCTAssertTrue(pieces.first?.closed == true)
            let pts = pieces.first?.refined ?? []
            return pts.map { p in ((p.x - centre.x) * (p.x - centre.x) + (p.y - centre.y) * (p.y - centre.y)).squareRoot() }
                .reduce(0, +) / Double(max(1, pts.count))
        }
        let plain = meanRadius(0), undone = meanRadius(sigma)
        print("loop R 5 blurred by σ 1.2: smoothed radius \(plain), blur undone \(undone)")
        XCTAssertLessThan(plain, radius - 0.4, "the blur pulled the loop in")
        XCTAssertEqual(undone, radius, accuracy: 0.25)
    }
}
