@testable import Kernels
import XCTest

/// `BCDILoopUnshrink`: a closed line moved back out by the blur's shrink as a whole — one
/// shift for every point, from the radius of the area it encloses — and a closed line that is
/// not round (two lines of a dipole joined) left as it is.
final class BCDILoopUnshrinkTests: XCTestCase {
    /// In-plane radii of `points` about `frame`'s centroid.
    private func radii(_ points: [SIMD3<Double>], _ frame: BCDILoopUnshrink.Frame) -> [Double] {
        points.map { p in
            let w = p - frame.centroid
            return BCDIVec.length(w - frame.normal * BCDIVec.dot(w, frame.normal))
        }
    }

    /// Deterministic noise in −`amplitude`…`amplitude` per axis (a linear congruential draw).
    private func jitter(_ points: [SIMD3<Double>], amplitude: Double, seed: UInt64) -> [SIMD3<Double>] {
        var state = seed
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
        return points.map { $0 + SIMD3(next(), next(), next()) * amplitude }
    }

    /// Rings (tilted or not) that wobble by 0.05 in and across their plane go to
    /// √(R'² + kσ²), k = 1 + ln(8R'/σ), R' the radius of the area they enclose: every point by
    /// the same amount, within the plane; no blur leaves a ring as it is.
    func testRingsGoToTheUnblurredRadius() {
        for (r, sigma, tilt) in [(3.5, 1.0, 0.0), (5.0, 1.5, 0.7), (2.5, 0.8, 1.2)] {
            let (e1, e2) = (SIMD3<Double>(1, 0, 0), SIMD3<Double>(0, cos(tilt), sin(tilt)))
            let normal = BCDIVec.cross(e1, e2)
            let ring = (0..<60).map { k -> SIMD3<Double> in
                let t = 2 * Double.pi * Double(k) / 60
                let radius = r + 0.05 * cos(7 * t)
                return SIMD3(9.3, 8.1, 7.7) + e1 * (radius * cos(t)) + e2 * (radius * sin(t)) + normal * (0.05 * sin(5 * t))
            }
            XCTAssertEqual(BCDILoopUnshrink.apply(ring, blur: 0), ring)
            guard let frame = BCDILoopUnshrink.frame(ring) else { return XCTFail("no frame") }
            XCTAssertEqual(abs(BCDIVec.dot(frame.normal, normal)), 1, accuracy: 1e-6)
            XCTAssertTrue(BCDILoopUnshrink.roundness(ring, frame: frame).isRound)
            let area = (frame.area / Double.pi).squareRoot()
            XCTAssertEqual(area, r, accuracy: 0.01)
            let expected = (area * area + (1 + log(8 * area / sigma)) * sigma * sigma).squareRoot()
            let moved = BCDILoopUnshrink.apply(ring, blur: sigma)
            for (p, q) in zip(radii(ring, frame), radii(moved, frame)) { XCTAssertEqual(q - p, expected - area, accuracy: 1e-9) }
            for (p, q) in zip(ring, moved) { XCTAssertEqual(BCDIVec.dot(q - p, frame.normal), 0, accuracy: 1e-9) }
        }
    }

    /// An elliptical loop (semi-axes 5 and 4, its plane tilted) in the synthetic crystal's
    /// solid-angle phase, blurred by σ = 1.2 with noise: its residue chain smoothed by the
    /// cells' measured position noise lies well inside the loop; unshrunk as a whole it comes
    /// back to the loop's area radius √(ab), and every point moves out by the same amount, so
    /// the traced shape is kept (the point-by-point `unshrink` moves them by their local
    /// curvature: convex stretches out, concave ones in).
    func testBlurredLoopComesBackWhole() {
        let (a, b, sigma, noise) = (5.0, 4.0, 1.2, 0.03)
        let centre = SIMD3<Double>(17.6, 17.3, 17.45)
        let (e1, e2) = (SIMD3<Double>(1, 0, 0), SIMD3<Double>(0, cos(0.5), sin(0.5)))
        let loop = (0..<48).map { k -> SIMD3<Double> in
            let t = 2 * Double.pi * Double(k) / 48
            return centre + e1 * (a * cos(t)) + e2 * (b * sin(t))
        }
        let spec = BCDISyntheticSpec(shape: BCDIShape(nz: 36, ny: 36, nx: 36), crystal: .sphere(radius: 14),
                                     dislocations: [BCDIDislocation(.polyline(loop, closed: true), burgers: SIMD3(0, 0, 2 * Double.pi / 40))],
                                     blurSigma: sigma, noise: noise, coreDip: 0.8, coreWidth: 0.5, seed: 7)
        let v = BCDISynthetic.make(spec)
        let phase = zip(v.re, v.im).map { atan2f($1, $0) }
        let residues = BCDIWinding.residues(phase: phase, support: v.support, shape: v.shape)
        guard let chain = BCDIResidueChains.chains(residues).max(by: { $0.count < $1.count }) else { return XCTFail("no residues") }
        let precision = BCDILineSmoothing.precisionMap(re: v.re, im: v.im, shape: v.shape, noise: noise)
        let variance = { (cell: SIMD3<Int>) in BCDILineSmoothing.cellVariance(cell, precision: precision, shape: v.shape) }
        func traced(blur: Double, wholeLoop: Bool) -> [SIMD3<Double>] {
            let pieces = BCDIResidueChains.pieces(chain, residues: residues, spurLength: 3, smoothing: 2, variance: variance,
                                                  blur: blur, wholeLoop: wholeLoop)
            return pieces.filter(\.closed).max { $0.cells.count < $1.cells.count }?.refined ?? []
        }
        let plain = traced(blur: 0, wholeLoop: false)
        let whole = traced(blur: sigma, wholeLoop: true), local = traced(blur: sigma, wholeLoop: false)
        guard let frame = BCDILoopUnshrink.frame(plain), let after = BCDILoopUnshrink.frame(whole), plain.count == whole.count else {
            return XCTFail("no closed line traced")
        }
        let truth = (a * b).squareRoot()
        let (before, undone) = ((frame.area / Double.pi).squareRoot(), (after.area / Double.pi).squareRoot())
        let moves = zip(radii(whole, frame), radii(plain, frame)).map { $0 - $1 }
        let localMoves = zip(radii(local, frame), radii(plain, frame)).map { $0 - $1 }
        print("ellipse 5 × 4 (area radius \(truth)) blurred by σ 1.2: traced \(before), unshrunk whole \(undone);"
              + " point moves whole \(moves.min() ?? 0)…\(moves.max() ?? 0), point by point \(localMoves.min() ?? 0)…\(localMoves.max() ?? 0)")
        // Cost of the step on this loop (and of the point-by-point `unshrink`, for comparison).
        let clock = ContinuousClock(), repetitions = 1000
        var sink = 0.0
        let wholeTime = clock.measure { for _ in 0..<repetitions { sink += BCDILoopUnshrink.apply(plain, blur: sigma)[0].x } }
        let localTime = clock.measure { for _ in 0..<repetitions { sink += BCDILineSmoothing.unshrink(plain, closed: true, blur: sigma)[0].x } }
        func microseconds(_ d: Duration) -> Double { Double(d.components.attoseconds) / 1e12 / Double(repetitions) + Double(d.components.seconds) * 1e6 / Double(repetitions) }
        print("\(plain.count)-point loop: whole \(microseconds(wholeTime)) µs, point by point \(microseconds(localTime)) µs (\(sink > 0))")
        XCTAssertLessThan(before, truth - 0.4, "the blur pulled the loop in")
        XCTAssertEqual(undone, truth, accuracy: 0.25)
        XCTAssertLessThan((moves.max() ?? 1) - (moves.min() ?? 0), 1e-9, "every point moved out by the same amount")
    }

    /// Two lines of a dipole joined at the surface: cell centres round a 30 × 5 rectangle, with
    /// noise of ±0.3 on every axis, smoothed. Its radius about the centroid runs from 2.5 to 15,
    /// far beyond what its scatter across its plane allows about any ellipse, so it is not
    /// judged round and the blur step leaves the smoothed line as it is (the point-by-point
    /// `unshrink` pushes its corners out). A ring of radius 7 with the same noise is judged
    /// round and moved.
    func testJoinedDipolePairIsLeftAlone() {
        var rectangle: [SIMD3<Double>] = []
        for x in 0..<30 { rectangle.append(SIMD3(Double(x) + 0.5, 0.5, 6.5)) }
        for y in 1..<5 { rectangle.append(SIMD3(29.5, Double(y) + 0.5, 6.5)) }
        for x in stride(from: 29, through: 0, by: -1) { rectangle.append(SIMD3(Double(x) + 0.5, 5.5, 6.5)) }
        for y in stride(from: 4, through: 1, by: -1) { rectangle.append(SIMD3(0.5, Double(y) + 0.5, 6.5)) }
        let cells = jitter(rectangle, amplitude: 0.3, seed: 3)
        let variance = [Double](repeating: 0.2, count: cells.count)
        let plain = BCDILineSmoothing.smooth(cells, variance: variance, closed: true)
        guard let frame = BCDILoopUnshrink.frame(plain) else { return XCTFail("no frame") }
        let fit = BCDILoopUnshrink.roundness(plain, frame: frame)
        XCTAssertFalse(fit.isRound, "radial \(fit.radial) across \(fit.across) limit \(fit.limit)")
        XCTAssertEqual(BCDILineSmoothing.smooth(cells, variance: variance, closed: true, blur: 1.2, wholeLoop: true), plain)
        XCTAssertNotEqual(BCDILineSmoothing.smooth(cells, variance: variance, closed: true, blur: 1.2), plain)

        let circle = (0..<44).map { k -> SIMD3<Double> in
            let t = 2 * Double.pi * Double(k) / 44
            return SIMD3(15.2 + 7 * cos(t), 3.1 + 7 * sin(t), 6.5)
        }
        let ringCells = jitter(circle, amplitude: 0.3, seed: 5)
        let ring = BCDILineSmoothing.smooth(ringCells, variance: [Double](repeating: 0.2, count: ringCells.count), closed: true)
        guard let ringFrame = BCDILoopUnshrink.frame(ring) else { return XCTFail("no frame") }
        let ringFit = BCDILoopUnshrink.roundness(ring, frame: ringFrame)
        XCTAssertTrue(ringFit.isRound, "radial \(ringFit.radial) across \(ringFit.across) limit \(ringFit.limit)")
        XCTAssertNotEqual(BCDILineSmoothing.smooth(ringCells, variance: [Double](repeating: 0.2, count: ringCells.count), closed: true,
                                                   blur: 1.2, wholeLoop: true), ring)
    }
}
