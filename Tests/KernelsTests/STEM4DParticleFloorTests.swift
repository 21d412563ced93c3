import XCTest
@testable import Kernels

/// The detector's floor in the particle fit (`STEM4DParticleFloor`): the censored amplitude
/// against a brute-force minimisation, and the floor measured on a clipped and an unclipped view.
final class STEM4DParticleFloorTests: XCTestCase {
    /// On random sets of plain and censored pixels (none of either, ties between breakpoints,
    /// targets below zero, with and without a Gaussian prior), the amplitude is the minimum of
    /// the cost written out pixel by pixel over a fine grid, and the gain is that cost at 0 less
    /// the cost at the amplitude (the prior charged at the amplitude only, as `score` does).
    func testAmplitudeIsTheMinimumOfTheCensoredCost() {
        var rng = SeededRandom(seed: 5)
        var checked = 0
        for trial in 0..<400 {
            let nPlain = Int(rng.uniform(0...5.99)), nCut = Int(rng.uniform(0...7.99))
            var plain: [(f: Double, g: Double, iv: Double)] = (0..<nPlain).map { _ in
                (rng.gaussian() + 1, rng.uniform(0.1...2), rng.uniform(0.5...2))
            }
            var cut: [(f: Double, g: Double, iv: Double)] = (0..<nCut).map { _ in
                (rng.gaussian() + 1, rng.uniform(0.1...2), rng.uniform(0.5...2))
            }
            if trial % 5 == 0 && cut.count > 1 { cut[1] = cut[0] }  // a tie
            if trial % 11 == 0 { plain = [] }
            let prior: (mean: Double, precision: Double)? = trial % 3 == 0 ? (rng.uniform(0...2), rng.uniform(0...3)) : nil
            func cost(_ c: Double) -> Double {
                var s = 0.0
                for p in plain { s += (p.f - c * p.g) * (p.f - c * p.g) * p.iv }
                for p in cut { let r = max(0, p.f - c * p.g); s += r * r * p.iv }
                if let prior { s += prior.precision * (c - prior.mean) * (c - prior.mean) }
                return s
            }
            let fg = plain.map { $0.f * $0.g * $0.iv }.reduce(0, +), gg = plain.map { $0.g * $0.g * $0.iv }.reduce(0, +)
            var terms = cut.filter { $0.f > 0 }.map {
                STEM4DParticleFloor.Term(b: $0.f / $0.g, a1: $0.f * $0.g * $0.iv, a2: $0.g * $0.g * $0.iv, a0: $0.f * $0.f * $0.iv)
            }
            let (c, gain) = STEM4DParticleFloor.amplitude(fg: fg, gg: gg, terms: &terms, prior: prior)
            var best = (c: 0.0, cost: cost(0))
            for k in 1...40000 {
                let x = Double(k) * 0.001
                let v = cost(x)
                if v < best.cost { best = (x, v) }
            }
            guard best.c < 39 else { continue }  // the minimum beyond the grid: nothing to compare
            checked += 1
            if c == 0 {
                XCTAssertLessThanOrEqual(best.c, 0.001, "trial \(trial)")
                XCTAssertEqual(gain, 0)
                continue
            }
            XCTAssertEqual(c, best.c, accuracy: 0.002, "trial \(trial)")
            XCTAssertLessThanOrEqual(cost(c), best.cost + 1e-9, "trial \(trial)")
            let charged = prior.map { $0.precision * $0.mean * $0.mean } ?? 0
            XCTAssertEqual(gain, cost(0) - charged - cost(c), accuracy: 1e-9 * max(1, abs(gain)), "trial \(trial)")
        }
        XCTAssertGreaterThan(checked, 350)
    }

    /// With no censored pixel the amplitude is the plain least-squares one, fg / gg.
    func testWithoutCensoredPixelsItIsLeastSquares() {
        var none: [STEM4DParticleFloor.Term] = []
        let r = STEM4DParticleFloor.amplitude(fg: 3, gg: 4, terms: &none)
        XCTAssertEqual(r.c, 0.75, accuracy: 1e-15)
        XCTAssertEqual(r.gain, 9.0 / 4, accuracy: 1e-15)
        XCTAssertEqual(STEM4DParticleFloor.amplitude(fg: -1, gg: 4, terms: &none).c, 0)
    }

    /// A view clipped at a floor of 40 counts under a background of 1000 (σ 30): the floor is
    /// measured within its noise and the pixels there fall under the threshold, those six of its
    /// σ above do not. A view that does not clip (a ramp, no pile-up at its lowest pixels) has no
    /// floor.
    func testFloorIsMeasuredOnTheView() throws {
        var rng = SeededRandom(seed: 9)
        var image = (0..<4096).map { _ in 1000 + 30 * rng.gaussian() }
        let floorNoise = 30 * (40.0 / 1000).squareRoot()
        for i in 0..<300 { image[i * 13] = 40 + floorNoise * rng.gaussian() }
        for i in 0..<50 { image[i * 13 + 5] = 40 + 6 * floorNoise }
        let m = try XCTUnwrap(STEM4DParticleFloor.measure(image, level: 1000, sigma: 30))
        XCTAssertEqual(m.floor, 40, accuracy: floorNoise)
        XCTAssertEqual(m.threshold - m.floor, 2 * floorNoise * (m.floor / 40).squareRoot(), accuracy: 1e-9)
        let censored = (0..<300).filter { image[$0 * 13] <= m.threshold }.count
        XCTAssertGreaterThan(censored, 270)
        XCTAssertTrue((0..<50).allSatisfy { image[$0 * 13 + 5] > m.threshold })

        let ramp = (0..<4096).map { 200 + 0.2 * Double($0) + 5 * rng.gaussian() }
        XCTAssertNil(STEM4DParticleFloor.measure(ramp, level: 1000, sigma: 5))
    }
}
