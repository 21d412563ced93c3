#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a traced ridge's depth jumps: the trace has run from one line into another that meets
/// it in projection at a different depth (a dislocation's depth is continuous along it).
///
/// The depth along the trace is the sweep's best smooth path (`STEM4DLineSweepStereo.depthPath`,
/// at most one depth step per point) refined between steps by a parabola; it is averaged over
/// blocks of `2σ` points (the Hessian at scale σ correlates neighbouring points, so a block is
/// about one independent sample). At each boundary between blocks a jump is tested against a
/// smooth depth: the blocks within `window` either side are fitted by a quadratic in arc length
/// with and without a step at the boundary, and the step over its standard error is a t
/// statistic under no jump. The noise is measured on the trace itself (the robust spread of the
/// blocks' second differences, on each part again once it is cut); it comes from only 10–25
/// blocks, so its own uncertainty sets the level: Student's t with the degrees of freedom of
/// that estimate (a normal level cut 13 % of smooth traces). The level is the look-elsewhere
/// one: a trace with no jump is split with probability `falseSplits` over all its boundaries
/// (Bonferroni). The largest significant jump splits the trace, and each part is tested again;
/// a cut must leave every part at least the shortest line kept (`minimumPoints`), else its
/// short part would be dropped and the line lose it.
public struct STEM4DTraceDepthBreaks: Sendable, Hashable {
    /// Chance that a trace along one line is split somewhere by noise.
    public var falseSplits = 0.05
    /// Blocks either side of a boundary in its test.
    public var window = 4
    /// Fewest blocks on each side of a split.
    public var minimumBlocks = 2

    /// A test with the defaults.
    public init() {}

    /// The depth along `curve` at scale index `k`: the sweep's best smooth path, each point
    /// refined by a parabola through the response one depth step either side.
    public static func depths(_ curve: [SIMD2<Double>], field: STEM4DRidgeField, scale k: Int) -> [Double] {
        let path = STEM4DLineSweepStereo.depthPath(curve, field: field, scale: k)
        let step = field.depths.count > 1 ? field.depths[1] - field.depths[0] : 0
        guard step > 0 else { return path }
        return curve.indices.map { i in
            let s = [-step, 0, step].map { field.response(curve[i].x, curve[i].y, scale: k, z: path[i] + $0).score }
            return path[i] + step * STEM4DBlobDetector.parabola(s[0], s[1], s[2])
        }
    }

    /// The point indices where `depths` jumps (each the first point after a jump), in order.
    /// `block` points make one independent sample; `resolution` is the depth the sampling
    /// itself cannot resolve (the sweep's step), so a trace whose depth is flat to that level
    /// is not split on sub-step wiggles. Every part left holds at least `minimumPoints` points.
    public func breaks(_ depths: [Double], block: Int, resolution: Double, minimumPoints: Int = 0) -> [Int] {
        let b = max(1, block)
        let m = depths.count / b
        guard m >= 2 * minimumBlocks else { return [] }
        // Block means; the remainder points join the last block.
        var means: [Double] = []
        for k in 0..<m {
            let hi = k == m - 1 ? depths.count : (k + 1) * b
            means.append(depths[(k * b)..<hi].reduce(0, +) / Double(hi - k * b))
        }
        let floor = resolution / 12.0.squareRoot()
        let whole = Self.noise(means, floor: floor)
        let candidates = m - 2 * minimumBlocks + 1
        let z = NanodiffStatistics.normalQuantile(1 - falseSplits / (2 * Double(candidates)))
        var cuts: [Int] = []
        // Binary segmentation over blocks [lo, hi), the part's points [from, to).
        var stack = [(lo: 0, hi: m, from: 0, to: depths.count)]
        while let (lo, hi, first, last) = stack.popLast() {
            guard hi - lo >= 2 * minimumBlocks else { continue }
            // The noise of the part tested, when it holds enough second differences to say.
            let own = hi - lo >= 7
            let sigma = own ? Self.noise(Array(means[lo..<hi]), floor: floor) : whole
            let t = NanodiffStatistics.studentQuantile(z: z, dof: Self.noiseDegreesOfFreedom(own ? hi - lo : m))
            var best = (stat: 0.0, at: -1)
            for c in (lo + minimumBlocks)...(hi - minimumBlocks) {
                let from = max(lo, c - window), to = min(hi, c + window)
                guard let s = Self.jumpStatistic(Array(means[from..<to]), at: c - from, sigma: sigma) else { continue }
                if s > best.stat { best = (s, c) }
            }
            guard best.at >= 0, best.stat > t * t else { continue }
            // The largest jump is searched over every boundary and only then held to the
            // minimum length: a jump too near an end is left uncut, not moved to the nearest
            // boundary allowed (whose statistic it inflates).
            let cut = refine(depths, block: b, boundary: best.at, blocks: m)
            guard cut - first >= minimumPoints, last - cut >= minimumPoints else { continue }
            cuts.append(cut)
            // The block the cut falls inside holds both depths: neither part tests it again.
            stack.append((lo, min(best.at, cut / b), first, cut))
            stack.append((max(best.at, (cut + b - 1) / b), hi, cut, last))
        }
        return cuts.sorted()
    }

    /// Degrees of freedom of the noise measured from `blocks` block means: their `blocks − 2`
    /// second differences, of which a MAD uses 37 % of the information a sum of squares would
    /// (its asymptotic efficiency at the normal, 0.37); at least 3, where the t quantile's
    /// expansion holds.
    static func noiseDegreesOfFreedom(_ blocks: Int) -> Double {
        max(3, 0.37 * Double(blocks - 2))
    }

    /// The point nearest a block boundary where the jump sits: the split of the two blocks
    /// either side with the least squared misfit of one level on each side.
    func refine(_ depths: [Double], block b: Int, boundary c: Int, blocks m: Int) -> Int {
        let lo = (c - 1) * b, hi = c + 1 == m ? depths.count : (c + 1) * b
        var best = (misfit: Double.infinity, at: c * b)
        for s in (lo + 1)..<hi {
            var misfit = 0.0
            for part in [lo..<s, s..<hi] {
                let mean = depths[part].reduce(0, +) / Double(part.count)
                misfit += depths[part].map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            }
            if misfit < best.misfit { best = (misfit, s) }
        }
        return best.at
    }

    /// δ̂² / Var(δ̂) for a step between `values[at − 1]` and `values[at]` over a quadratic in the
    /// index (a line when fewer than five values), with noise `sigma` per value; nil when the
    /// step is not identified.
    static func jumpStatistic(_ values: [Double], at: Int, sigma: Double) -> Double? {
        let n = values.count
        guard at > 0, at < n, sigma > 0 else { return nil }
        let p = n >= 5 ? 4 : 3
        // Normal equations of [1, t, (t²), step] with t centred on the boundary.
        var a = [Double](repeating: 0, count: p * p), r = [Double](repeating: 0, count: p)
        for i in 0..<n {
            let t = Double(i) - Double(at) + 0.5
            var x: [Double] = [1, t]
            if p == 4 { x.append(t * t) }
            x.append(i >= at ? 1.0 : 0.0)
            for u in 0..<p {
                r[u] += x[u] * values[i]
                for v in 0..<p { a[u * p + v] += x[u] * x[v] }
            }
        }
        guard let inverse = Self.inverse(a, p) else { return nil }
        let step = (0..<p).map { inverse[(p - 1) * p + $0] * r[$0] }.reduce(0, +)
        let variance = sigma * sigma * inverse[(p - 1) * p + p - 1]
        guard variance > 0 else { return nil }
        return step * step / variance
    }

    /// Noise of one block mean: 1.4826 × MAD of the second differences / √6 (a smooth depth,
    /// even an inclined or bowed one, leaves them near zero; a jump moves two of them), at
    /// least `floor`.
    static func noise(_ means: [Double], floor: Double) -> Double {
        guard means.count >= 3 else { return floor }
        let d2: [Double] = (1..<(means.count - 1)).map { i -> Double in
            let a = means[i + 1] - means[i], b = means[i] - means[i - 1]
            return a - b
        }
        let median = d2.sorted()[d2.count / 2]
        let mad = d2.map { abs($0 - median) }.sorted()[d2.count / 2]
        return max(floor, 1.4826 * mad / 6.0.squareRoot())
    }

    /// Inverse of a small symmetric positive definite matrix (Gauss–Jordan with pivoting); nil
    /// when singular.
    static func inverse(_ m: [Double], _ n: Int) -> [Double]? {
        var a = m, inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0 * n + col]) < abs(a[$1 * n + col]) }!
            guard abs(a[pivot * n + col]) > 1e-12 else { return nil }
            if pivot != col {
                for k in 0..<n { a.swapAt(pivot * n + k, col * n + k); inv.swapAt(pivot * n + k, col * n + k) }
            }
            let d = a[col * n + col]
            for k in 0..<n { a[col * n + k] /= d; inv[col * n + k] /= d }
            for row in 0..<n where row != col {
                let f = a[row * n + col]
                guard f != 0 else { continue }
                for k in 0..<n { a[row * n + k] -= f * a[col * n + k]; inv[row * n + k] -= f * inv[col * n + k] }
            }
        }
        return inv
    }
}
