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

    /// The radix solver `score` calls (`amplitudeRadix`) is the plain solver bit for bit —
    /// amplitude and gain — and sorts the breakpoints as the standard library's stable sort does:
    /// on the global-minimum test's small awkward sets (held, censored and plain pixels, ± a
    /// prior, minima past a first local one), and on large ones with repeated breakpoints,
    /// breakpoints one ulp apart (equal in the radix key's 32 bits), descending runs and huge ones.
    func testRadixSolverIsThePlainOneBitForBit() {
        var rng = SeededRandom(seed: 32)
        var scratch = STEM4DParticleFloorHeld.RadixScratch()
        var sharedTopBits = 0
        for trial in 0..<1200 {
            var terms: [STEM4DParticleFloorHeld.Term]
            var fg = 0.0, gg = 0.0
            if trial % 2 == 0 {
                // The global-minimum test's draws.
                let nPlain = Int(rng.uniform(0...4.99)), nCut = Int(rng.uniform(0...4.99)), nHeld = Int(rng.uniform(1...8.99))
                for _ in 0..<nPlain {
                    let f = rng.gaussian() + 1, g = rng.uniform(0.1...2), iv = rng.uniform(0.5...2)
                    fg += f * g * iv; gg += g * g * iv
                }
                terms = (0..<nCut).compactMap { _ in
                    let f = rng.gaussian() + 1, g = rng.uniform(0.1...2), iv = rng.uniform(0.5...2)
                    return f > 0 ? .init(b: f / g, a1: f * g * iv, a2: g * g * iv, a0: f * f * iv, after: 0) : nil
                }
                terms += (0..<nHeld).map { _ in
                    let d = rng.uniform(0.05...3), f = d - rng.uniform(0.05...(trial % 4 == 0 ? 4 : 1))
                    let g = rng.uniform(0.1...2), iv = rng.uniform(0.5...2)
                    return .init(b: d / g, a1: f * g * iv, a2: g * g * iv, a0: f * f * iv, after: (f - d) * (f - d) * iv)
                }
            } else {
                let n = [0, 1, 2, 3, 17, 200, 1500][(trial / 2) % 7]
                terms = (0..<n).map { _ in
                    let d = rng.uniform(0.05...3), f = d - rng.uniform(0.05...4)
                    let g = rng.uniform(0.0001...2), iv = rng.uniform(0.5...2)
                    return .init(b: d / g, a1: f * g * iv, a2: g * g * iv, a0: f * f * iv, after: (f - d) * (f - d) * iv)
                }
                fg = rng.gaussian(); gg = rng.uniform(0...3)
                if n > 8 {
                    for k in 1..<4 { terms[k].b = terms[0].b }                      // repeated
                    for k in 4..<8 { terms[k].b = terms[k - 1].b.nextUp }           // one ulp apart
                    terms[8].b = 1e300
                }
                if n > 100 && trial % 4 == 1 { terms.sort { $0.b > $1.b } }         // descending
                if n > 100 && trial % 8 == 3 { for k in 0..<n { terms[k].b = 1 + Double(k % 5) * 1e-9 } }
            }
            let prior: (mean: Double, precision: Double)? = trial % 3 == 0 ? (rng.uniform(0...2), rng.uniform(0...3)) : nil
            var sorted = terms
            let plain = STEM4DParticleFloorHeld.amplitude(fg: fg, gg: gg, terms: &sorted, prior: prior)
            let radix = STEM4DParticleFloorHeld.amplitudeRadix(fg: fg, gg: gg, terms: terms, prior: prior, scratch: &scratch)
            XCTAssertEqual(radix.c.bitPattern, plain.c.bitPattern, "trial \(trial): c \(radix.c) vs \(plain.c)")
            XCTAssertEqual(radix.gain.bitPattern, plain.gain.bitPattern, "trial \(trial): gain \(radix.gain) vs \(plain.gain)")
            let stable = terms.indices.sorted { terms[$0].b < terms[$1].b || (terms[$0].b == terms[$1].b && $0 < $1) }
            XCTAssertEqual(Array(scratch.order.prefix(terms.count)).map(Int.init), stable, "trial \(trial): order")
            if zip(stable, stable.dropFirst()).contains(where: { terms[$0].b != terms[$1].b
                && terms[$0].b.bitPattern >> 32 == terms[$1].b.bitPattern >> 32 }) { sharedTopBits += 1 }
        }
        // The sets exercise the insertion pass (neighbours equal in the radix key, not in value).
        XCTAssertGreaterThan(sharedTopBits, 50)
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
