/// `STEM4DParticleFloorHeld.amplitude` without its comparison sort: the same minimum to the bit.
///
/// The held amplitude fit (`floorHeld == .all`) makes every pixel of a sphere's footprint a
/// breakpoint term and sorts them on every `score` call; with the comparison sort moving 40-byte
/// terms that is most of what the held model adds to the merge (+44 % merge CPU on 128² 401–403,
/// twenty-fourth session). A breakpoint is > 0, and a positive double orders as its bit pattern,
/// so a stable least-significant-digit radix sort of the bit patterns gives the permutation the
/// stable `sort` gives (equal breakpoints keep their order: the standard library's sort is
/// stable); the sums and the segment walk then run over that permutation with the plain
/// solver's arithmetic in its order, so amplitude and gain are bit-identical.
extension STEM4DParticleFloorHeld {
    /// Reusable buffers for `amplitudeRadix` (one per single-threaded owner).
    struct RadixScratch {
        var keys: [UInt32] = [], spareKeys: [UInt32] = []
        var order: [Int32] = [], spareOrder: [Int32] = []
        var counts = [Int](repeating: 0, count: 4 * 256)
    }

    /// `amplitude(fg:gg:terms:prior:)`, bit for bit, with `terms` left in their order. Falls back
    /// to the plain solver (on a copy) when a breakpoint is not > 0, which it requires anyway.
    static func amplitudeRadix(fg: Double, gg: Double, terms: [Term], prior: (mean: Double, precision: Double)? = nil,
                               scratch: inout RadixScratch) -> (c: Double, gain: Double) {
        let n = terms.count
        guard n < Int(Int32.max), terms.allSatisfy({ $0.b > 0 }) else {
            var copy = terms
            return amplitude(fg: fg, gg: gg, terms: &copy, prior: prior)
        }
        sortByBreakpoint(terms, &scratch)
        return terms.withUnsafeBufferPointer { t in
            scratch.order.withUnsafeBufferPointer { order in
                let mu = prior?.mean ?? 0, pp = prior?.precision ?? 0, pm = mu * pp
                var s1 = 0.0, s2 = 0.0, s0 = 0.0
                for k in 0..<n { let x = t[Int(order[k])]; s1 += x.a1; s2 += x.a2; s0 += x.a0 }
                let atZero = s0
                var inactive = 0.0
                var bestC = 0.0, bestCost = s0 + pp * mu * mu
                var lower = 0.0
                for k in 0...n {
                    let upper = k < n ? t[Int(order[k])].b : .infinity
                    if upper > lower {
                        let num = fg + s1 + pm, den = gg + s2 + pp
                        let c = den > 0 ? min(max(num / den, lower), upper) : (num > 0 ? upper : lower)
                        if c.isFinite {
                            let cost = c * c * den - 2 * c * num + s0 + inactive + pp * mu * mu
                            if cost < bestCost { bestCost = cost; bestC = c }
                        }
                    }
                    if k < n {
                        let x = t[Int(order[k])]
                        s1 -= x.a1; s2 -= x.a2; s0 -= x.a0; inactive += x.after
                        lower = max(lower, upper)
                    }
                }
                guard bestC > 0 else { return (0, 0) }
                return (bestC, atZero - bestCost)
            }
        }
    }

    /// `scratch.order[0..<n]`: the terms' indices in the order of their breakpoints, ties in
    /// their own order (a stable sort). A radix sort of the top 32 bits of each breakpoint's bit
    /// pattern (sign, exponent and 20 bits of mantissa: monotone in the breakpoint), eight-bit
    /// digits, least significant first, a digit every key shares skipped; then a stable insertion
    /// pass on the full breakpoint orders the keys that share those bits (rare: 1 part in 10⁶).
    static func sortByBreakpoint(_ terms: [Term], _ scratch: inout RadixScratch) {
        let n = terms.count
        if scratch.order.count < n {
            scratch.keys = [UInt32](repeating: 0, count: n); scratch.spareKeys = scratch.keys
            scratch.order = [Int32](repeating: 0, count: n); scratch.spareOrder = scratch.order
        }
        guard n > 1 else { if n == 1 { scratch.order[0] = 0 }; return }
        terms.withUnsafeBufferPointer { t in
        scratch.keys.withUnsafeMutableBufferPointer { keys in
        scratch.spareKeys.withUnsafeMutableBufferPointer { spareKeys in
        scratch.order.withUnsafeMutableBufferPointer { order in
        scratch.spareOrder.withUnsafeMutableBufferPointer { spareOrder in
        scratch.counts.withUnsafeMutableBufferPointer { counts in
            for i in 0..<(4 * 256) { counts[i] = 0 }
            for i in 0..<n {
                let key = UInt32(truncatingIfNeeded: t[i].b.bitPattern >> 32)
                keys[i] = key; order[i] = Int32(truncatingIfNeeded: i)
                counts[Int(key & 0xff)] += 1; counts[256 + Int((key >> 8) & 0xff)] += 1
                counts[512 + Int((key >> 16) & 0xff)] += 1; counts[768 + Int(key >> 24)] += 1
            }
            var (src, dst) = ((keys, order), (spareKeys, spareOrder))
            for d in 0..<4 {
                let base = d * 256, shift = UInt32(8 * d)
                // Every key has this digit: the pass would not move anything.
                if counts[base + Int((src.0[0] >> shift) & 0xff)] == n { continue }
                var sum = 0
                for b in 0..<256 { let c = counts[base + b]; counts[base + b] = sum; sum += c }
                for i in 0..<n {
                    let key = src.0[i]
                    let slot = base + Int((key >> shift) & 0xff)
                    let at = counts[slot]
                    counts[slot] = at + 1
                    dst.0[at] = key; dst.1[at] = src.1[i]
                }
                swap(&src, &dst)
            }
            if src.1.baseAddress != order.baseAddress { for i in 0..<n { order[i] = src.1[i] } }
            var moves = 0
            for i in 1..<n {
                let x = order[i], bx = t[Int(x)].b
                var j = i
                while j > 0 && bx < t[Int(order[j - 1])].b { order[j] = order[j - 1]; j -= 1 }
                order[j] = x
                moves += i - j
                // Many breakpoints within 1 part in 10⁶ of each other: a comparison sort instead
                // of a quadratic pass (the same order: the index breaks ties).
                if moves > 16 * n {
                    var head = UnsafeMutableBufferPointer(rebasing: order[0..<n])
                    head.sort { t[Int($0)].b < t[Int($1)].b || (t[Int($0)].b == t[Int($1)].b && $0 < $1) }
                    break
                }
            }
        }
        }
        }
        }
        }
        }
    }
}

/// `ctl bench stem4d --particle-kernels`: the held amplitude fit's two solvers on the same sets.
public enum STEM4DParticleFloorHeldBenchmark {
    /// Thread CPU µs per call of the radix solver and of the plain one (comparison sort) on
    /// `calls` random sets of `size` terms — held pixels with headroom 0.05–3, censored ones,
    /// some breakpoints repeated — and how many calls differ in any bit of amplitude or gain.
    public static func amplitude(calls: Int = 2000, size: Int = 200, seed: UInt64 = 1)
        -> (fastMicros: Double, plainMicros: Double, differing: Int) {
        var rng = SeededRandom(seed: seed)
        let sets: [(fg: Double, gg: Double, terms: [STEM4DParticleFloorHeld.Term])] = (0..<64).map { k in
            var terms: [STEM4DParticleFloorHeld.Term] = (0..<size).map { _ in
                let g = rng.uniform(0.001...2), iv = rng.uniform(0.5...2), d = rng.uniform(0.05...3)
                if rng.uniform(0...1) < 0.1 {
                    let f = rng.uniform(0.05...2)
                    return .init(b: f / g, a1: f * g * iv, a2: g * g * iv, a0: f * f * iv, after: 0)
                }
                let f = d - rng.uniform(0.05...4)
                return .init(b: d / g, a1: f * g * iv, a2: g * g * iv, a0: f * f * iv, after: (f - d) * (f - d) * iv)
            }
            if k % 4 == 0 && size > 3 { terms[2].b = terms[0].b; terms[3].b = terms[0].b.nextUp }
            return (rng.gaussian(), rng.uniform(0...3), terms)
        }
        var scratch = STEM4DParticleFloorHeld.RadixScratch()
        // Each call timed alone: the plain solver sorts its terms in place, so each call gets a
        // fresh copy (as `score` builds its terms afresh), made outside the timer.
        func run(_ f: (Double, Double, inout [STEM4DParticleFloorHeld.Term]) -> (c: Double, gain: Double)) -> (Double, [UInt64]) {
            var out: [UInt64] = []
            out.reserveCapacity(2 * calls)
            var seconds = 0.0
            for i in 0..<calls {
                let s = sets[i % sets.count]
                var terms = s.terms
                terms.withUnsafeMutableBufferPointer { _ in }  // the copy made here, not in the solver
                let start = STEM4DBenchmark.threadCPUSeconds()
                let r = f(s.fg, s.gg, &terms)
                seconds += STEM4DBenchmark.threadCPUSeconds() - start
                out.append(r.c.bitPattern); out.append(r.gain.bitPattern)
            }
            return (1e6 * seconds / Double(max(1, calls)), out)
        }
        let fast = run { STEM4DParticleFloorHeld.amplitudeRadix(fg: $0, gg: $1, terms: $2, scratch: &scratch) }
        let plain = run { STEM4DParticleFloorHeld.amplitude(fg: $0, gg: $1, terms: &$2) }
        var differing = 0
        for i in 0..<calls where fast.1[2 * i] != plain.1[2 * i] || fast.1[2 * i + 1] != plain.1[2 * i + 1] { differing += 1 }
        return (fast.0, plain.0, differing)
    }
}
