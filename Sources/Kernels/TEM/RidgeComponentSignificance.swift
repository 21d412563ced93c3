#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seeds for hysteresis from the evidence summed along a ridge, with a level measured on the
/// frame (issue 11 item 2: faint lines).
///
/// A faint line is weak per pixel but long: no pixel of it may reach the seed level (median +
/// 5σ of the response), while its non-maximum-suppressed pixels above the continuation level
/// run connected for tens of pixels. Each 8-connected group of such pixels (a component) gets
/// the evidence E = Σ (r − low) / σ over its pixels: the excess over the continuation level
/// summed along the ridge, in units of the frame's response noise.
///
/// The null is the frame's own components. Almost all of them are noise or background texture
/// (a frame holds hundreds to thousands, and a few lines), and the tail of E over them is close
/// to exponential (a component grows pixel by pixel while the next maximum stays above the level,
/// so its size is roughly geometric, and a sum of a geometric number of excesses has an
/// exponential tail). So the tail is fitted on the frame, peaks over a threshold: with u the
/// `tailQuantile` (0.9) of E over the components without a seed, k the number above u and μ their
/// mean excess over u (the exponential's scale, by its memorylessness), a component is
/// significant when
///
///     E ≥ u + μ · ln(k / α)
///
/// so that about α of the k components above u pass by chance: α false components per frame.
/// α is the one setting, an error rate (`TEMDetectorConfig.pathFalseComponents`), not an
/// intensity. The fit starts at the upper decile, not the median, because the body of E is not
/// exponential (tiny components, heterogeneous noise): fitted from the median the tail came out
/// too light and white-noise frames let ≈ 3.7 groups per frame through at α = 1
/// (`TEMPathSignificanceTests`). Contamination by lines (the components the test is for) raises
/// u and μ slightly: conservative.
public enum RidgeComponentSignificance {
    /// One component: its pixels (indices into the frame), E, and whether it holds a seed.
    struct Component {
        var start: Int
        var count: Int
        var evidence: Double
        var seeded: Bool
    }

    /// The evidence level for `falsePerFrame` false components per frame, from the evidence of
    /// the frame's unseeded components (`nil` when there are too few to fit a tail).
    public static func level(unseeded evidence: [Double], falsePerFrame alpha: Double) -> Double? {
        guard evidence.count >= 50, alpha > 0 else { return nil }
        let e = evidence.sorted()
        let u = e[Int(tailQuantile * Double(e.count - 1))]
        var sum = 0.0, k = 0
        for v in e where v > u { sum += v - u; k += 1 }
        guard k > 0, sum > 0 else { return nil }
        return u + sum / Double(k) * log(max(1, Double(k) / alpha))
    }

    /// Where the exponential tail is fitted from (a quantile of the unseeded components' E).
    public static let tailQuantile = 0.9

    /// Floods every component of `mask`'s candidates (value 1) and marks the kept ones 2 — those
    /// with a pixel ≥ `high`, and the unseeded ones whose evidence reaches the frame's level for
    /// `falsePerFrame` false components. Leaves the others 1 (the caller clears them).
    static func markKept(response r: UnsafePointer<Float>, mask: UnsafeMutableBufferPointer<UInt8>, width: Int,
                         candidates: [Int], low: Float, high: Float, sigma: Float, falsePerFrame: Double) {
        let nb = [-width - 1, -width, -width + 1, -1, 1, width - 1, width, width + 1]
        let inv = 1 / Double(max(sigma, 1e-12))
        var pixels: [Int] = []
        pixels.reserveCapacity(candidates.count)
        var components: [Component] = []
        var stack: [Int] = []
        // Label: 3 while a component is being collected (every candidate ends in exactly one).
        for c in candidates where mask[c] == 1 {
            let start = pixels.count
            var e = 0.0, seeded = false
            mask[c] = 3
            stack.append(c)
            while let p = stack.popLast() {
                pixels.append(p)
                let v = r[p]
                e += Double(v - low) * inv
                if v >= high { seeded = true }
                for o in nb {
                    let q = p + o
                    if mask[q] == 1 { mask[q] = 3; stack.append(q) }
                }
            }
            components.append(Component(start: start, count: pixels.count - start, evidence: e, seeded: seeded))
        }
        let t = level(unseeded: components.filter { !$0.seeded }.map(\.evidence), falsePerFrame: falsePerFrame) ?? .infinity
        for comp in components {
            let keep: UInt8 = comp.seeded || comp.evidence >= t ? 2 : 1
            for k in comp.start..<(comp.start + comp.count) { mask[pixels[k]] = keep }
        }
    }
}
