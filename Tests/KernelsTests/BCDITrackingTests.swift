import XCTest
@testable import Kernels

final class BCDITrackingTests: XCTestCase {
    private func straight(_ x: Double, _ y: Double, dz: Double = 0) -> BCDILine {
        BCDILine(points: (0...10).map { SIMD3(x, y, Double($0) + dz) }, closed: false)
    }

    func testDistanceIsSymmetricAndExactForParallelLines() {
        let a = straight(0, 0), b = straight(3, 4)
        XCTAssertEqual(BCDILineMatching.distance(a, b), 5, accuracy: 1e-9)
        XCTAssertEqual(BCDILineMatching.distance(a, b), BCDILineMatching.distance(b, a), accuracy: 1e-12)
        XCTAssertEqual(BCDILineMatching.distance(a, a), 0, accuracy: 1e-12)
    }

    func testTracksFollowMovingLinesAndGateNewOnes() {
        let v0 = [straight(0, 0), straight(20, 0)]
        let v1 = [straight(21, 0), straight(1, 0)]  // both moved by 1, order swapped
        let v2 = [straight(2, 0), straight(50, 50)]  // one continues, one far away: new track
        let t = BCDITracker.track([v0, v1, v2], gate: 5)
        XCTAssertEqual(t[0].map(\.track), [0, 1])
        XCTAssertEqual(t[1].map(\.track), [1, 0])
        XCTAssertEqual(t[2].map(\.track), [0, 2])
        XCTAssertEqual(t[1][0].displacement ?? 0, 1, accuracy: 1e-9)
        XCTAssertEqual(t[1][1].shift ?? .zero, SIMD3(1, 0, 0))
        XCTAssertNil(t[2][1].displacement)
    }

    func testSyntheticSeriesTracksMovingScrew() {
        let n = 28
        let q = SIMD3<Double>(0, 0, 30)
        let d = SIMD3<Double>(0, 0, 1)
        let spec = BCDISyntheticSpec(
            shape: BCDIShape(nz: n, ny: n, nx: n), crystal: .sphere(radius: 12),
            dislocations: [BCDIDislocation(.straight(point: SIMD3(10.5, 13.5, 13.5), direction: d), burgers: d * (2 * .pi / 30))],
            bragg: q, noise: 0.005)
        let series = BCDISynthetic.series(spec, steps: 3, velocities: [SIMD3(2, 0, 0)])
        let lines = series.map { v -> [BCDILine] in
            let (phase, _) = BCDIPhaseRamp.extractPhase(re: v.re, im: v.im, support: v.support, shape: v.shape)
            return BCDILines.detect(psi: BCDIPsi.compute(phase: phase, support: v.support, shape: v.shape), support: v.support, shape: v.shape)
        }
        XCTAssertEqual(lines.map(\.count), [1, 1, 1])
        let t = BCDITracker.track(lines, gate: 4)
        XCTAssertEqual(t.flatMap { $0.map(\.track) }, [0, 0, 0])
        XCTAssertEqual(t[1][0].shift?.x ?? 0, 2, accuracy: 0.5)
        XCTAssertEqual(t[2][0].displacement ?? 0, 2, accuracy: 0.5)
    }
}
