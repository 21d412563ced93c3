import XCTest
@testable import Kernels

final class BCDISyntheticTests: XCTestCase {
    func testRecallAndPrecisionOnOwnData() {
        for faceted in [false, true] {
            var spec = BCDISynthetic.demoSpec(size: 40, faceted: faceted, seed: 3)
            spec.ramp = SIMD3(0.15, -0.1, 0.2)
            let v = BCDISynthetic.make(spec)
            // The stored support (as in a CXI file), and the support from amplitude alone
            // (threshold, closing, hole filling), which is smaller than the true crystal by
            // about the blur width, so true points right at the surface can be outside it.
            let amplitudeSupport = BCDISupport.fromAmplitude(re: v.re, im: v.im, shape: v.shape, threshold: 0.3)
            for (support, minimum) in [(v.support, 0.95), (amplitudeSupport, 0.9)] {
                let (phase, ramp) = BCDIPhaseRamp.extractPhase(re: v.re, im: v.im, support: support, shape: v.shape)
                XCTAssertEqual(ramp.x, 0.15, accuracy: 0.03)
                let psi = BCDIPsi.compute(phase: phase, support: support, shape: v.shape)
                let lines = BCDILines.detect(psi: psi, support: support, phase: phase, shape: v.shape)
                let score = BCDIEvaluation.score(truth: v.truth, detected: lines)
                XCTAssertGreaterThanOrEqual(score.recall, minimum, "faceted \(faceted): \(score), \(lines.count) lines")
                XCTAssertGreaterThanOrEqual(score.precision, 0.95, "faceted \(faceted): \(score)")
                XCTAssertLessThan(score.meanDistance, 0.8)
                XCTAssertEqual(lines.count, 3)
                // Every line has Q·b = +2π about its true direction: the winding sign, taken
                // relative to the detected point order, must agree once orientations are aligned.
                for line in lines where !line.closed {
                    let truth = v.truth.min { a, b in
                        BCDIEvaluation.distance(line.points[line.points.count / 2], to: BCDILine(points: a, closed: false).segments)
                            < BCDIEvaluation.distance(line.points[line.points.count / 2], to: BCDILine(points: b, closed: false).segments)
                    }!
                    let along = ((truth[truth.count - 1] - truth[0]) * line.direction).sum() > 0 ? 1 : -1
                    XCTAssertEqual((line.windingSign ?? 0) * along, 1, "faceted \(faceted)")
                }
            }
        }
    }

    func testSupportFillsCoreHoles() {
        let v = BCDISynthetic.make(BCDISynthetic.demoSpec(size: 32, seed: 2))
        let support = BCDISupport.fromAmplitude(re: v.re, im: v.im, shape: v.shape, threshold: 0.3)
        // Every true line point inside the crystal is inside the computed support.
        var missing = 0, total = 0
        for p in v.truth.joined() {
            let r = p.rounded(.toNearestOrEven)
            let i = v.shape.index(x: Int(r.x), y: Int(r.y), z: Int(r.z))
            guard v.support[i] != 0 else { continue }
            total += 1
            if support[i] == 0 { missing += 1 }
        }
        XCTAssertGreaterThan(total, 50)
        XCTAssertLessThan(Double(missing), 0.02 * Double(total))
    }

    /// A crystal one voxel from the array border is not glued to it by the closing (the border
    /// is background), and the closing still fills a narrow gap inside.
    func testClosingTreatsTheBorderAsBackground() {
        let shape = BCDIShape(nz: 12, ny: 12, nx: 12)
        var s = [UInt8](repeating: 0, count: shape.count)
        for z in 1..<11 { for y in 1..<11 { for x in 1..<11 where x != 6 { s[shape.index(x: x, y: y, z: z)] = 1 } } }
        let closed = BCDISupport.close(s, shape: shape, radius: 2)
        XCTAssertEqual(closed[shape.index(x: 0, y: 5, z: 5)], 0)
        XCTAssertEqual(closed[shape.index(x: 5, y: 0, z: 5)], 0)
        XCTAssertEqual(closed[shape.index(x: 6, y: 5, z: 5)], 1)
        XCTAssertTrue(zip(s, closed).allSatisfy { $0 == 0 || $1 == 1 }, "closing is extensive")
    }

    func testFillHolesKeepsOpenCavities() {
        let shape = BCDIShape(nz: 7, ny: 7, nx: 7)
        var s = [UInt8](repeating: 0, count: shape.count)
        for z in 1..<6 { for y in 1..<6 { for x in 1..<6 { s[shape.index(x: x, y: y, z: z)] = 1 } } }
        s[shape.index(x: 3, y: 3, z: 3)] = 0  // enclosed
        BCDISupport.fillHoles(&s, shape: shape)
        XCTAssertEqual(s[shape.index(x: 3, y: 3, z: 3)], 1)
        XCTAssertEqual(s[0], 0)
    }

    func testSeriesMovesLines() {
        let spec = BCDISynthetic.demoSpec(size: 24, seed: 1)
        let vs = BCDISynthetic.series(spec, steps: 2, velocities: [SIMD3(1, 0, 0), .zero, .zero])
        XCTAssertEqual(vs.count, 2)
        XCTAssertNotEqual(vs[0].re, vs[1].re)
        let a = vs[0].truth.flatMap { $0 }.map(\.x).reduce(0, +), b = vs[1].truth.flatMap { $0 }.map(\.x).reduce(0, +)
        XCTAssertNotEqual(a, b)
    }
}
