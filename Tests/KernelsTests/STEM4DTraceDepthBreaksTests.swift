import XCTest
@testable import Kernels

/// Cutting a trace where its depth jumps (`STEM4DTraceDepthBreaks`), on synthetic depth
/// sequences: points along a trace with noise correlated over a block, as the Hessian at scale
/// σ correlates about 2σ neighbouring points.
final class STEM4DTraceDepthBreaksTests: XCTestCase {
    let test = STEM4DTraceDepthBreaks()

    /// `n` depths along a smooth curve plus noise of `sigma` per block of 3 points (each block
    /// one draw, shared by its points, and a little independent noise per point).
    func trace(_ n: Int, sigma: Double, rng: inout SeededRandom, curve: (Double) -> Double) -> [Double] {
        var out: [Double] = []
        var shared = 0.0
        for i in 0..<n {
            if i % 3 == 0 { shared = sigma * rng.gaussian() }
            out.append(curve(Double(i)) + shared + 0.2 * sigma * rng.gaussian())
        }
        return out
    }

    /// Smooth traces — flat, inclined, bowed — of 30–75 points (10–25 blocks) are cut about as
    /// often as the level says (5 %): at most 18 of 200 (9 %). The noise comes from so few blocks that
    /// a normal level (χ²(1)) cut 13 % of them.
    func testSmoothTracesAreCutAtTheStatedRate() {
        var rng = SeededRandom(seed: 11)
        var cut = 0
        for i in 0..<200 {
            let n = 30 + Int(rng.unit() * 46)
            let slope = rng.uniform(-0.4...0.4), bow = rng.uniform(-8...8)
            let z = trace(n, sigma: 1.5, rng: &rng) { s in
                slope * s + bow * sin(Double.pi * s / Double(n - 1)) + Double(i % 3)
            }
            if !test.breaks(z, block: 3, resolution: 0.5).isEmpty { cut += 1 }
        }
        XCTAssertLessThanOrEqual(cut, 18, "smooth traces cut: \(cut) of 200")
    }

    /// Two lines 15 px apart in depth met end to end (60 points, the jump at point 33, block
    /// noise 1 px): the jump is cut within a block of it in at least 36 of 40 draws, and a
    /// second, false cut beside it (more than a block away) in at most 2 — with the normal
    /// level, the noise of the parts measured from 6–14 blocks, false cuts came in 11 of 40.
    func testAJumpIsCutWithoutAFalseCutBesideIt() {
        var rng = SeededRandom(seed: 5)
        var found = 0, false_ = 0
        for _ in 0..<40 {
            let z = trace(60, sigma: 1.0, rng: &rng) { s in (s < 33 ? 0 : 15) + 0.1 * s }
            let cuts = test.breaks(z, block: 3, resolution: 0.5)
            if cuts.contains(where: { abs($0 - 33) <= 3 }) { found += 1 }
            if cuts.contains(where: { abs($0 - 33) > 3 }) { false_ += 1 }
        }
        XCTAssertGreaterThanOrEqual(found, 36)
        XCTAssertLessThanOrEqual(false_, 2)
    }

    /// A cut must leave both parts the shortest line kept: a 15 px jump 6 points from a
    /// 60-point trace's end is never cut with a minimum of 10 points — neither there (the short
    /// part would be dropped and the line lose it) nor at the nearest boundary allowed — while
    /// a jump 20 points from the end is cut within a block of it in at least 16 of 20 draws,
    /// every part then holding at least 10 points.
    func testACutLeavesBothPartsTheMinimumLength() {
        var rng = SeededRandom(seed: 3)
        var found = 0
        for _ in 0..<20 {
            let near = trace(60, sigma: 1.0, rng: &rng) { s in s < 54 ? 0 : 15 }
            XCTAssertEqual(test.breaks(near, block: 3, resolution: 0.5, minimumPoints: 10), [])
            let far = trace(60, sigma: 1.0, rng: &rng) { s in s < 40 ? 0 : 15 }
            let cuts = test.breaks(far, block: 3, resolution: 0.5, minimumPoints: 10)
            if cuts.contains(where: { abs($0 - 40) <= 3 }) { found += 1 }
            let bounds = [0] + cuts + [60]
            for (a, b) in zip(bounds, bounds.dropFirst()) { XCTAssertGreaterThanOrEqual(b - a, 10, "\(cuts)") }
        }
        XCTAssertGreaterThanOrEqual(found, 16)
    }
}
