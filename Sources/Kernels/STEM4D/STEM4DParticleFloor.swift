#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The detector's floor in the particle fit (`STEM4DParticleModelFit.floorCensored`).
///
/// A detector clips: a pixel counts no less than its floor (zero counts, a dark level, the
/// synthesizer's 5 % of the bright field) and no more than saturation. Where strong spheres
/// overlap or a very strong one is seen through its centre, every view is flat at that floor, and
/// a sum of chords — the fit's model, linear in each amplitude — cannot follow a flat top: the
/// least-squares compromise is a sphere too small and off centre with a rim of small spheres round
/// it (64² seed 39: true r 4.77 fitted 3.36 with five round it). Measured on that draw with the
/// floor modelled, the true spheres with one amplitude score χ² 8.5 k over the views' 16 k pixels
/// against 43 k for the fitted 24; without it, 667 k against 150 k (docs/stem4d.md).
///
/// A pixel at the floor only says that the model there is at or below it: it is **censored**.
/// Its cost is (max(0, prediction − floor))² / σ², nothing once the model is deep enough, and the
/// other pixels keep their squared residual. For one amplitude c with the rest held, a censored
/// pixel whose target absorption is f (counts from the background down to the floor, what the
/// other spheres leave) and whose template is g > 0 costs (f − c g)² while c < f / g and nothing
/// after: the total is a convex piecewise quadratic in c, minimised exactly here.
///
/// The floor is measured per view on the data: the centre of the pile-up of its lowest pixels
/// (`measure`; a view whose lowest pixels do not pile up is not censored at all), its noise the
/// view's pixel noise scaled to that count as for Poisson counts, σ·√(floor / level). A pixel is
/// censored when it lies less than two of those above the floor.
enum STEM4DParticleFloor {
    /// The floor of one view (counts) and the count under which a pixel is censored, floor + 2
    /// of its noise σ √(floor / level); nil when the view does not clip. The floor starts at the
    /// median of the lowest `fraction` of the pixels (at least 8), which where the view clips
    /// lies in the lower tail of the pile-up of pixels at the floor, about two of its noise
    /// under the centre. So a view clips when more pixels lie from two of that noise under the
    /// start to four over it than in the next six (a pile-up, then the density falls); a view
    /// that does not clip has its lowest pixels in a tail that thickens upwards (a low dose, a
    /// contrast short of the floor), and is not censored. Where it clips, the start is moved to
    /// the median of every pixel within three of its noise above it, three times (the centre of
    /// the pile-up).
    static func measure(_ image: [Double], level: Double, sigma: Double, fraction: Double = 0.005) -> (floor: Double, threshold: Double)? {
        guard !image.isEmpty else { return nil }
        let sorted = image.sorted()
        let n = min(sorted.count, max(8, Int(fraction * Double(sorted.count))))
        func median(_ count: Int) -> Double {
            count % 2 == 1 ? sorted[count / 2] : 0.5 * (sorted[count / 2 - 1] + sorted[count / 2])
        }
        func noise(_ f: Double) -> Double { level > 0 ? sigma * (max(0, f) / level).squareRoot() : sigma }
        /// How many pixels lie at or under `limit` (a prefix of `sorted`).
        func count(_ limit: Double) -> Int {
            var lo = 0, hi = sorted.count
            while lo < hi { let mid = (lo + hi) / 2; if sorted[mid] <= limit { lo = mid + 1 } else { hi = mid } }
            return lo
        }
        var floor = median(n)
        let s0 = noise(floor)
        let pile = count(floor + 4 * s0) - count(floor - 2 * s0 - 1e-9 * max(1, abs(floor)))
        let above = count(floor + 10 * s0) - count(floor + 4 * s0)
        guard pile > above else { return nil }
        for _ in 0..<3 {
            let within = count(floor + 3 * noise(floor))
            guard within >= n else { break }
            floor = median(within)
        }
        return (floor, floor + 2 * noise(floor))
    }

    /// One censored pixel's terms for the amplitude: its breakpoint b = f / g (active while
    /// c < b) and its weighted products a1 = f g / σ², a2 = g² / σ², a0 = f² / σ².
    struct Term { var b, a1, a2, a0: Double }

    /// The amplitude c ≥ 0 minimising
    ///   c² gg − 2 c fg  +  Σ_censored [c < b] (a0 − 2 c a1 + c² a2)  +  p (c − μ)²
    /// (the uncensored pixels' fg = Σ f g / σ², gg = Σ g² / σ²; an optional Gaussian prior of
    /// precision p at μ), and the χ² gain over c = 0 (the prior charged at c, as
    /// `STEM4DParticleModelState.score` does). `terms` holds censored pixels with b > 0 (the
    /// others cost nothing for any c ≥ 0) and is sorted in place. Returns (0, 0) when no positive
    /// amplitude lowers the cost.
    static func amplitude(fg: Double, gg: Double, terms: inout [Term], prior: (mean: Double, precision: Double)? = nil)
        -> (c: Double, gain: Double) {
        terms.sort { $0.b < $1.b }
        let pm = prior.map { $0.mean * $0.precision } ?? 0, pp = prior?.precision ?? 0
        // Suffix sums: the censored pixels still active for c below terms[k].b.
        var s1 = terms.map(\.a1).reduce(0, +), s2 = terms.map(\.a2).reduce(0, +)
        var c = 0.0, lower = 0.0
        var solved = false
        for k in 0...terms.count {
            let num = fg + s1 + pm, den = gg + s2 + pp
            let upper = k < terms.count ? terms[k].b : .infinity
            // The cost's slope is num − c·den on this segment; it rises with c across segments.
            if den > 0 {
                let root = num / den
                if root <= lower { c = lower; solved = true; break }
                if root <= upper { c = root; solved = true; break }
            } else if num <= 0 {
                c = lower; solved = true; break
            }
            if k < terms.count { s1 -= terms[k].a1; s2 -= terms[k].a2; lower = upper }
        }
        if !solved { c = lower }
        guard c > 0 else { return (0, 0) }
        var gain = 2 * c * fg - c * c * gg
        for t in terms {
            // Before: a0 (active at c = 0); after: the same while still active.
            gain += t.b > c ? 2 * c * t.a1 - c * c * t.a2 : t.a0
        }
        if let prior { gain -= prior.precision * (c - prior.mean) * (c - prior.mean) }
        return (c, gain)
    }
}
