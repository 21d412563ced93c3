import XCTest
@testable import Kernels

/// The depth-break test on depth sequences along a trace: a jump is found where it is, at any
/// noise level the trace itself shows, and smooth depths — inclined, bowed, noisy — are not cut.
final class STEM4DTraceDepthBreaksTests: XCTestCase {
    /// Depths of `n` points: `shape` plus white noise of `noise` px, with a jump of `jump` px
    /// from point `at` on.
    func sequence(_ n: Int, shape: (Double) -> Double, noise: Double, jump: Double = 0, at: Int = 0, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { i in shape(Double(i) / Double(n - 1)) + noise * rng.gaussian() + (i >= at ? jump : 0) }
    }

    func testJumpIsFoundWhereItIs() {
        let test = STEM4DTraceDepthBreaks()
        for (seed, at) in zip(UInt64(1)...20, [17, 23, 31, 40, 12, 19, 28, 36, 44, 15, 21, 33, 25, 38, 13, 29, 42, 18, 35, 27]) {
            // An inclined line at noise 1 px per point, joining one 12 px deeper.
            let z = sequence(56, shape: { -10 + 8 * $0 }, noise: 1, jump: 12, at: at, seed: seed)
            let cuts = test.breaks(z, block: 3, resolution: 0.5)
            XCTAssertEqual(cuts.count, 1, "seed \(seed): \(cuts)")
            if let c = cuts.first { XCTAssertLessThanOrEqual(abs(c - at), 2, "seed \(seed): cut at \(c), jump at \(at)") }
        }
    }

    func testSmoothDepthsAreNotCut() {
        let test = STEM4DTraceDepthBreaks()
        var cut = 0
        for seed in UInt64(1)...100 {
            // Inclined and bowed by 18 px (a line curving in depth), at noise 0.3–3 px.
            let noise = [0.3, 1, 3][Int(seed % 3)]
            let z = sequence(40 + Int(seed % 40), shape: { -15 + 10 * $0 + 18 * sin(Double.pi * $0) }, noise: noise, seed: seed)
            if !test.breaks(z, block: 3, resolution: 0.5).isEmpty { cut += 1 }
        }
        // 5 % per trace by design; 100 traces: expect ≈ 5 (binomial 99th percentile 11).
        XCTAssertLessThanOrEqual(cut, 11, "\(cut) of 100 smooth traces cut")
        // Too short to hold two blocks on each side: never cut.
        XCTAssertEqual(test.breaks([0, 0, 0, 20, 20, 20], block: 2, resolution: 0.5), [])
        // Flat to the sampling's resolution: a sub-step wiggle is no jump.
        XCTAssertEqual(test.breaks((0..<40).map { $0 < 20 ? 0 : 0.1 }, block: 2, resolution: 5), [])
    }
}
