import CTEMSIMD

/// Non-maximum suppression across the line and hysteresis thresholding of a ridge response,
/// with thresholds set from the frame's own noise so one setting serves every frame.
public enum RidgeThreshold {
    /// How far the frame's ridge responses stand above its own noise: the sum over a strided
    /// sample of the response above median + `high`·σ (robust statistics of the same frame), in
    /// units of σ. Lines of the filter's polarity give large values; noise and the flanks of
    /// lines of the other polarity give small ones.
    public static func excessResponse(_ values: UnsafeBufferPointer<Float>, high: Float, stride: Int = 7) -> Double {
        let stats = robustStats(values)
        let sigma = max(stats.sigma, 1e-6), cut = stats.median + high * sigma
        var sum = 0.0
        var i = 0
        while i < values.count {
            let v = values[i]
            if v > cut { sum += Double((v - cut) / sigma) }
            i += stride
        }
        return sum
    }

    /// `excessResponse` (the same samples, the same total to the bit) with its share in each
    /// `block` × `block` tile of a `width`-wide frame added to `blocks` (row-major tiles,
    /// ⌈width / block⌉ per row; resized to fit). The tiles are what the polarity test
    /// (`TEMPolarityTest`) treats as the frame's independent pieces of evidence. `spacing` > 1:
    /// `values[k]` is the frame's pixel k · spacing (a map sampled already, as
    /// `RidgeTangentAverage.sample` gives it; its statistics then read every (29 / spacing)-th).
    public static func excessResponse(_ values: UnsafeBufferPointer<Float>, high: Float, width: Int, block: Int,
                                      blocks: inout [Double], stride: Int = 7, spacing: Int = 1, pixels: Int? = nil) -> Double {
        let stats = robustStats(values, stride: max(1, 29 / max(1, spacing)))
        let sigma = max(stats.sigma, 1e-6), cut = stats.median + high * sigma
        let count = pixels ?? values.count * max(1, spacing)
        let b = max(1, block), perRow = (width + b - 1) / b, rows = (count / max(1, width) + b - 1) / b
        if blocks.count != perRow * rows { blocks = [Double](repeating: 0, count: perRow * rows) }
        var sum = 0.0
        var k = 0
        blocks.withUnsafeMutableBufferPointer { tiles in
            while k < values.count {
                let v = values[k]
                if v > cut {
                    let e = Double((v - cut) / sigma), i = k * spacing
                    sum += e
                    tiles[(i / width / b) * perRow + (i % width) / b] += e
                }
                k += stride
            }
        }
        return sum
    }

    /// Median and MAD-based σ of the positive `values` (every `stride`-th sample) by a
    /// 4096-bin histogram: O(n), no sort, and exact enough for thresholds. Zeros are skipped:
    /// the clipped response is zero on about half the pixels, which would make the statistics
    /// depend on how many scales are combined rather than on the noise.
    public static func robustStats(_ values: UnsafeBufferPointer<Float>, stride: Int = 29,
                                   allowAVX: Bool = true) -> (median: Float, sigma: Float) {
        guard !values.isEmpty else { return (0, 0) }
        // The positive samples, gathered once (a strided read touches most cache lines of the
        // frame, and the statistics take three passes).
        let capacity = (values.count + stride - 1) / stride
        let samples = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { samples.deallocate() }
        // Branch-free in C (about half the responses are zero: a branch per sample mispredicts).
        var lo = Float.infinity, hi = -Float.infinity
        let count = Int(slp_tem_positive_samples(values.baseAddress!, values.count, stride, samples, &lo, &hi))
        guard lo.isFinite else { return (0, 0) }
        guard hi > lo else { return (lo, 0) }
        let bins = 4096
        // On AVX CPUs the bin indices eight at a time and four interleaved histograms, in C
        // (`CTEMSIMD`; the same bins, so the same medians: `TEMRidgeAVXTests`).
        if allowAVX && RidgeFilter.useAVX && count <= Int(Int32.max) {
            let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: 4 * bins)
            defer { scratch.deallocate() }
            func median(lo: Float, hi: Float, centre: Float?) -> Float {
                let scale = Float(bins - 1) / max(hi - lo, .leastNormalMagnitude)
                let b = slp_tem_histogram_median_bin(samples, Int32(count), lo, scale, centre ?? 0, centre == nil ? 0 : 1,
                                                     Int32(bins), scratch)
                return b < 0 ? hi : lo + (Float(b) + 0.5) / scale
            }
            let med = median(lo: lo, hi: hi, centre: nil)
            let mad = median(lo: 0, hi: max(hi - med, med - lo), centre: med)
            return (med, 1.4826 * mad)
        }
        var hist = [Int32](repeating: 0, count: bins)
        func median(lo: Float, hi: Float, centre: Float?) -> Float {
            hist.withUnsafeMutableBufferPointer { h in
                h.update(repeating: 0)
                let scale = Float(bins - 1) / max(hi - lo, .leastNormalMagnitude)
                if let centre {
                    for k in 0..<count { h[min(bins - 1, max(0, Int((abs(samples[k] - centre) - lo) * scale)))] += 1 }
                } else {
                    for k in 0..<count { h[min(bins - 1, max(0, Int((samples[k] - lo) * scale)))] += 1 }
                }
                var acc = 0
                for b in 0..<bins {
                    acc += Int(h[b])
                    if 2 * acc >= count { return lo + (Float(b) + 0.5) / scale }
                }
                return hi
            }
        }
        let med = median(lo: lo, hi: hi, centre: nil)
        let mad = median(lo: 0, hi: max(hi - med, med - lo), centre: med)
        return (med, 1.4826 * mad)
    }

    /// Largest lane, by a compare-and-blend and then scalars (the standard library's `max()`,
    /// `any()` and `pointwiseMax` are generic here and cost more than the loop they would save).
    @inline(__always) static func maxLane(_ v: SIMD8<Float>) -> Float {
        let a = v.lowHalf, b = v.highHalf
        let m = a.replacing(with: b, where: b .> a)
        return Swift.max(Swift.max(m[0], m[1]), Swift.max(m[2], m[3]))
    }

    /// Keeps pixels at least `low` that are maxima across the line (along the quantised normal),
    /// (`normal` codes as `RidgeFilter.apply` writes them), then keeps only the 8-connected groups that contain a pixel at least `high`. Returns the
    /// kept pixels as a 0/1 mask and as a list of indices (so later steps need not scan the frame).
    /// `location`, when given, is the map whose maxima across the line are kept (the thresholds
    /// still read `response`): `RidgeFilter.ScaleChoice.localised`.
    /// `pathFalseComponents` > 0: a group without a pixel ≥ `high` is kept too when the evidence
    /// summed along it is significant at that many false groups per frame
    /// (`RidgeComponentSignificance`; `sigma` is the response noise the evidence is counted in).
    /// `seeds`, when given: a kept pixel whose value there is at least `seedHigh` seeds a group
    /// too (a map of the same frame with less noise along the lines; `TEMDetectorConfig.seedTangentHalfLength`).
    /// `extraSeeds`, when given, is called once the seeded groups are marked (2) with every
    /// candidate pixel and the mask (candidates not kept are 1) and may mark more groups kept (2):
    /// seeds decided from other evidence, looked at only where a candidate is (`flood` spreads a
    /// seed through its group). Any other mark it leaves is cleared.
    @discardableResult
    public static func suppressAndLink(
        response: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>, width: Int, height: Int,
        low: Float, high: Float, into mask: UnsafeMutableBufferPointer<UInt8>,
        location: UnsafeBufferPointer<Float>? = nil, sigma: Float = 0, pathFalseComponents: Double = 0,
        seeds: UnsafeBufferPointer<Float>? = nil, seedHigh: Float = .infinity,
        extraSeeds: ((_ candidates: [Int], _ mask: UnsafeMutableBufferPointer<UInt8>) -> Void)? = nil
    ) -> [Int] {
        mask.update(repeating: 0)
        let o0 = 1, o1 = width + 1, o2 = width, o3 = width - 1
        var stack: [Int] = []
        var candidates: [Int] = []
        let r = response.baseAddress!
        // The map compared along the normal (the response itself unless a location map is given).
        let l = (location ?? response).baseAddress!
        // Pass 1: NMS candidates (mask = 1); seeds go on the stack. Most pixels are below `low`,
        // so eight are tested at once and skipped together.
        typealias V = SIMD8<Float>
        typealias I = SIMD8<Int32>
        @inline(__always) func ld(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        /// Lane k of the mask as bit k (a scalar OR over the halves: no generic reduction).
        @inline(__always) func bits(_ m: SIMDMask<I>) -> Int {
            let b = unsafeBitCast(m, to: I.self) & I(1, 2, 4, 8, 16, 32, 64, 128)
            let h = b.lowHalf | b.highHalf
            return Int((h[0] | h[1]) | (h[2] | h[3]))
        }
        let n = normal.baseAddress!
        // Without a seed map, the response against an unreachable level (no second test).
        let sd = (seeds ?? response).baseAddress!
        let seedLevel = seeds == nil ? Float.infinity : seedHigh
        let lowV = V(repeating: low)
        let codes = (one: V(repeating: 1), two: V(repeating: 2), zero: V(repeating: 0))
        for y in 1..<max(1, height - 1) {
            var i = y * width + 1
            let end = y * width + width - 1
            // Eight pixels at a time, branch-free: compare with both neighbours along each of the
            // four normals and pick per lane by the normal code (most blocks have no pixel ≥
            // low and are skipped; in the others a branch per pixel mispredicts often).
            while i + 8 <= end {
                let v = ld(r + i)
                let above = v .>= lowV
                guard bits(above) != 0 else {
                    i += 8
                    continue
                }
                let code = ld(n + i)
                // code 3 (normal (1, −1)) by default, then 2 (y), 1 ((1, 1)), 0 (x).
                var prev = ld(l + i - o3), next = ld(l + i + o3)
                let is2 = code .== codes.two, is1 = code .== codes.one, is0 = code .== codes.zero
                prev.replace(with: ld(l + i - o2), where: is2)
                next.replace(with: ld(l + i + o2), where: is2)
                prev.replace(with: ld(l + i - o1), where: is1)
                next.replace(with: ld(l + i + o1), where: is1)
                prev.replace(with: ld(l + i - o0), where: is0)
                next.replace(with: ld(l + i + o0), where: is0)
                let lv = ld(l + i)
                var keep = bits(above .& (lv .> prev) .& (lv .>= next))
                while keep != 0 {
                    let lane = keep.trailingZeroBitCount
                    keep &= keep - 1
                    mask[i + lane] = 1
                    candidates.append(i + lane)
                    if v[lane] >= high || sd[i + lane] >= seedLevel { stack.append(i + lane) }
                }
                i += 8
            }
            while i < end {
                let v = r[i]
                if v >= low {
                    let code = normal[i]
                    let o = code == 0 ? o0 : code == 1 ? o1 : code == 2 ? o2 : o3
                    if l[i] > l[i - o] && l[i] >= l[i + o] {
                        mask[i] = 1
                        candidates.append(i)
                        if v >= high || sd[i] >= seedLevel { stack.append(i) }
                    }
                }
                i += 1
            }
        }
        // Pass 2: flood from the seeds through candidates (mask 1 → 2), then keep 2s.
        if pathFalseComponents > 0 {
            RidgeComponentSignificance.markKept(response: r, mask: mask, width: width, candidates: candidates,
                                                low: low, high: high, sigma: sigma, falsePerFrame: pathFalseComponents)
        } else {
            flood(from: stack, mask: mask, width: width)
        }
        extraSeeds?(candidates, mask)
        var kept: [Int] = []
        for i in candidates {
            if mask[i] == 2 { mask[i] = 1; kept.append(i) } else { mask[i] = 0 }
        }
        return kept
    }

    /// Marks kept (2) the seeds and every candidate (1) 8-connected to them. Candidates never lie
    /// on the frame's border (non-maximum suppression skips it), so no neighbour is out of range.
    public static func flood(from seeds: [Int], mask: UnsafeMutableBufferPointer<UInt8>, width: Int) {
        var stack = seeds
        for s in stack { mask[s] = 2 }
        let nb = [-width - 1, -width, -width + 1, -1, 1, width - 1, width, width + 1]
        while let p = stack.popLast() {
            for o in nb {
                let q = p + o
                if mask[q] == 1 { mask[q] = 2; stack.append(q) }
            }
        }
    }
}
