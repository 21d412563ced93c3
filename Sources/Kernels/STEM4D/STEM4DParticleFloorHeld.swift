/// The prediction held at the detector's floor (`STEM4DParticleModelFit.floorHeld`).
///
/// With the floor censored (`STEM4DParticleFloor`) a pixel under floor + 2σ only says the model
/// is at or below the floor, but every other pixel still meets the linear prediction — the
/// background less the sum of the chords — which where strong spheres overlap may stand far
/// below the floor. The detector cannot count below its floor wherever it is: the expected count
/// is max(floor, prediction). A pixel a little above the censoring band (noise, the edge of the
/// clipped region) then pays (counts − floor)², not (counts − prediction)², and a model that
/// puts two strong spheres on each other is no longer charged for the absorption the floor hides.
/// Traced on the randomiser's 64² draw 1 (docs/stem4d.md, twenty-fourth session): the true
/// spheres A and B overlap with summed absorption past the floor, and the linear residuals on
/// uncensored pixels there made the fit's own criterion prefer B as a weaker sphere and a
/// second one beside it.
///
/// For one amplitude c with the rest held, an uncensored pixel whose target absorption is f
/// (counts), template g > 0, and headroom d = background − level × (the others' model) − floor
/// costs (f − c g)² while c < d / g and (f − d)² — its counts against the floor — after: a
/// quadratic that stops rising. With the censored pixels (cost 0 after their breakpoint) the
/// total is piecewise quadratic in c but not convex; `amplitude` minimises it exactly over every
/// segment.
enum STEM4DParticleFloorHeld {
    /// The floor of a view that does not clip (`STEM4DParticleFloor.measure` finds no pile-up):
    /// the median of its lowest `fraction` of pixels (at least 8) — where `measure` starts. At a
    /// low dose the pixels at the floor are a few Poisson counts spread over the lowest tail
    /// and do not pile up (64² draw 1: 1.1 counts per bright-field pixel, a floor of ≈ 3 counts
    /// per view pixel, this median 1–2.5); a view with no floor in it gives its lowest tail, which
    /// a sound prediction does not go under.
    static func lowestMedian(_ image: [Double], fraction: Double = 0.005) -> Double {
        guard !image.isEmpty else { return -.infinity }
        let sorted = image.sorted()
        let n = min(sorted.count, max(8, Int(fraction * Double(sorted.count))))
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }

    /// One pixel's terms: active (a0 − 2 c a1 + c² a2, weighted) while c < b, `after` once c ≥ b.
    struct Term { var b, a1, a2, a0, after: Double }

    /// The amplitude c ≥ 0 minimising
    ///   c² gg − 2 c fg + Σ [c < b] (a0 − 2 c a1 + c² a2) + Σ [c ≥ b] after + p (c − μ)²
    /// over every segment between the sorted breakpoints (the global minimum; the cost need not be
    /// convex), and the χ² gain over c = 0 with the prior charged at c (as
    /// `STEM4DParticleFloor.amplitude`). Every term must have b > 0 (active at c = 0). Returns
    /// (0, 0) when no positive amplitude lowers the cost. With every `after` 0 it is
    /// `STEM4DParticleFloor.amplitude`'s minimum.
    static func amplitude(fg: Double, gg: Double, terms: inout [Term], prior: (mean: Double, precision: Double)? = nil)
        -> (c: Double, gain: Double) {
        terms.sort { $0.b < $1.b }
        let mu = prior?.mean ?? 0, pp = prior?.precision ?? 0, pm = mu * pp
        var s1 = 0.0, s2 = 0.0, s0 = 0.0
        for t in terms { s1 += t.a1; s2 += t.a2; s0 += t.a0 }
        let atZero = s0
        var inactive = 0.0
        var bestC = 0.0, bestCost = s0 + pp * mu * mu
        var lower = 0.0
        for k in 0...terms.count {
            let upper = k < terms.count ? terms[k].b : .infinity
            if upper > lower {
                let num = fg + s1 + pm, den = gg + s2 + pp
                let c = den > 0 ? min(max(num / den, lower), upper) : (num > 0 ? upper : lower)
                if c.isFinite {
                    let cost = c * c * den - 2 * c * num + s0 + inactive + pp * mu * mu
                    if cost < bestCost { bestCost = cost; bestC = c }
                }
            }
            if k < terms.count {
                let t = terms[k]
                s1 -= t.a1; s2 -= t.a2; s0 -= t.a0; inactive += t.after
                lower = max(lower, upper)
            }
        }
        guard bestC > 0 else { return (0, 0) }
        return (bestC, atZero - bestCost)
    }
}
