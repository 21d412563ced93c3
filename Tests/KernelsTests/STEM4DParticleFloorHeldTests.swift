import XCTest
@testable import Kernels

/// The prediction held at the detector's floor (`STEM4DParticleFloorHeld`): the amplitude
/// against a brute-force minimisation of the cost written out pixel by pixel.
final class STEM4DParticleFloorHeldTests: XCTestCase {
    /// On random sets of plain, censored and held pixels (an uncensored pixel whose cost stops
    /// rising at its headroom: (f − c g)² while c g < d, (f − d)² after), with and without a
    /// Gaussian prior, the amplitude is the global minimum of that cost over a fine grid — the
    /// cost is not convex, and a solver that walks down to the first local minimum fails here —
    /// and the gain is the cost at 0 less the cost at the amplitude (the prior charged at the
    /// amplitude only, as `score` does).
    func testAmplitudeIsTheGlobalMinimumOfTheHeldCost() {
        var rng = SeededRandom(seed: 31)
        var checked = 0, beyondFirstMinimum = 0
        for trial in 0..<400 {
            let nPlain = Int(rng.uniform(0...4.99)), nCut = Int(rng.uniform(0...4.99)), nHeld = Int(rng.uniform(1...8.99))
            let plain: [(f: Double, g: Double, iv: Double)] = (0..<nPlain).map { _ in
                (rng.gaussian() + 1, rng.uniform(0.1...2), rng.uniform(0.5...2))
            }
            let cut: [(f: Double, g: Double, iv: Double)] = (0..<nCut).map { _ in
                (rng.gaussian() + 1, rng.uniform(0.1...2), rng.uniform(0.5...2))
            }
            // Held pixels: counts above the floor (f < d), some far above it.
            let held: [(f: Double, g: Double, iv: Double, d: Double)] = (0..<nHeld).map { _ in
                let d = rng.uniform(0.05...3), f = d - rng.uniform(0.05...(trial % 2 == 0 ? 4 : 1))
                return (f, rng.uniform(0.1...2), rng.uniform(0.5...2), d)
            }
            let prior: (mean: Double, precision: Double)? = trial % 3 == 0 ? (rng.uniform(0...2), rng.uniform(0...3)) : nil
            func cost(_ c: Double) -> Double {
                var s = 0.0
                for p in plain { s += (p.f - c * p.g) * (p.f - c * p.g) * p.iv }
                for p in cut { let r = max(0, p.f - c * p.g); s += r * r * p.iv }
                for p in held { let r = c * p.g < p.d ? p.f - c * p.g : p.f - p.d; s += r * r * p.iv }
                if let prior { s += prior.precision * (c - prior.mean) * (c - prior.mean) }
                return s
            }
            let fg = plain.map { $0.f * $0.g * $0.iv }.reduce(0, +), gg = plain.map { $0.g * $0.g * $0.iv }.reduce(0, +)
            var terms = cut.filter { $0.f > 0 }.map {
                STEM4DParticleFloorHeld.Term(b: $0.f / $0.g, a1: $0.f * $0.g * $0.iv, a2: $0.g * $0.g * $0.iv, a0: $0.f * $0.f * $0.iv, after: 0)
            }
            terms += held.map {
                STEM4DParticleFloorHeld.Term(b: $0.d / $0.g, a1: $0.f * $0.g * $0.iv, a2: $0.g * $0.g * $0.iv, a0: $0.f * $0.f * $0.iv,
                                             after: ($0.f - $0.d) * ($0.f - $0.d) * $0.iv)
            }
            let (c, gain) = STEM4DParticleFloorHeld.amplitude(fg: fg, gg: gg, terms: &terms, prior: prior)
            var best = (c: 0.0, cost: cost(0)), firstLocal: Double? = nil
            var previous = cost(0)
            for k in 1...40000 {
                let x = Double(k) * 0.001
                let v = cost(x)
                if firstLocal == nil && v > previous + 1e-12 { firstLocal = x - 0.001 }
                previous = v
                if v < best.cost - 1e-12 { best = (x, v) }
            }
            guard best.c < 39 else { continue }
            checked += 1
            if let firstLocal, best.c > firstLocal + 0.01 { beyondFirstMinimum += 1 }
            if c == 0 {
                XCTAssertLessThanOrEqual(best.c, 0.001, "trial \(trial)")
                XCTAssertEqual(gain, 0)
                continue
            }
            XCTAssertLessThanOrEqual(cost(c), best.cost + 1e-9 * max(1, best.cost), "trial \(trial)")
            let charged = prior.map { $0.precision * $0.mean * $0.mean } ?? 0
            XCTAssertEqual(gain, cost(0) - charged - cost(c), accuracy: 1e-9 * max(1, abs(gain)), "trial \(trial)")
        }
        XCTAssertGreaterThan(checked, 350)
        // The draws include costs whose global minimum lies past a first local one.
        XCTAssertGreaterThan(beyondFirstMinimum, 5)
    }

    /// With every `after` 0 (censored pixels only) it is `STEM4DParticleFloor.amplitude`.
    func testCensoredOnlyIsTheFloorAmplitude() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<200 {
            let n = Int(rng.uniform(0...6.99))
            let raw = (0..<n).map { _ in (f: rng.uniform(0.05...2), g: rng.uniform(0.1...2), iv: rng.uniform(0.5...2)) }
            var plainTerms = raw.map { STEM4DParticleFloor.Term(b: $0.f / $0.g, a1: $0.f * $0.g * $0.iv, a2: $0.g * $0.g * $0.iv, a0: $0.f * $0.f * $0.iv) }
            var heldTerms = raw.map {
                STEM4DParticleFloorHeld.Term(b: $0.f / $0.g, a1: $0.f * $0.g * $0.iv, a2: $0.g * $0.g * $0.iv, a0: $0.f * $0.f * $0.iv, after: 0)
            }
            let fg = rng.gaussian(), gg = rng.uniform(0...3)
            let a = STEM4DParticleFloor.amplitude(fg: fg, gg: gg, terms: &plainTerms)
            let b = STEM4DParticleFloorHeld.amplitude(fg: fg, gg: gg, terms: &heldTerms)
            XCTAssertEqual(a.c, b.c, accuracy: 1e-9 * max(1, a.c))
            XCTAssertEqual(a.gain, b.gain, accuracy: 1e-9 * max(1, abs(a.gain)))
        }
    }
}
