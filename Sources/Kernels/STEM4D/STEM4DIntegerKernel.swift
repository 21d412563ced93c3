#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSTEM4DSIMD

/// 8- and 16-bit counts: the element types the exact integer path of the sparse kernel serves.
///
/// Detector counts are small integers, so their sums are exact in `UInt32` lanes and their
/// maximum is exact in the element type itself. Working in integers skips the conversion to
/// `Float` for every pixel of every frame (the code is built for baseline x86-64, where an
/// integer add or maximum is one instruction and a convert-and-add several).
public protocol STEM4DIntegerPixel: STEM4DPixel, FixedWidthInteger, UnsignedInteger {
    /// The compiled lane masks of the mask-major chunk entries for this width.
    static func entryBits(_ masks: STEM4DSparseMasks) -> [SIMD16<Self>]
    /// Zero-extends 16 lanes to `UInt32`.
    static func widen32(_ v: SIMD16<Self>) -> SIMD16<UInt32>
    /// Lane i + lane i+8 of `v & bits`, zero-extended (only the total over lanes matters).
    static func maskedFold32(_ v: SIMD16<Self>, _ bits: SIMD16<Self>) -> SIMD8<UInt32>
    /// Lane-wise maximum.
    static func maxLanes(_ a: SIMD16<Self>, _ b: SIMD16<Self>) -> SIMD16<Self>
    /// Zero-extends 16 lanes to `UInt16` (the identity for `UInt16`).
    static func widen16(_ v: SIMD16<Self>) -> SIMD16<UInt16>
    /// `v & bits`, zero-extended to 16-bit lanes.
    static func masked16(_ v: SIMD16<Self>, _ bits: SIMD16<Self>) -> SIMD16<UInt16>
    /// Whether `frames` values each at most the lanes of `mx` add up below 2¹⁶.
    static func sumFits16(_ mx: SIMD16<Self>, frames: Int) -> Bool
}

// The operations are written per concrete type: on concrete vectors the standard library's
// comparisons and bitwise operators are single LLVM vector instructions, while the generic
// versions are lane loops that do not vectorise (measured 40× slower).

extension UInt8: STEM4DIntegerPixel {
    @inlinable @inline(__always)
    public static func widen16(_ v: SIMD16<UInt8>) -> SIMD16<UInt16> {
        var r = SIMD16<UInt16>()
        for i in 0..<16 { r[i] = UInt16(v[i]) }
        return r
    }
    @inlinable @inline(__always)
    public static func sumFits16(_ mx: SIMD16<UInt8>, frames: Int) -> Bool { frames <= 257 }
    @inlinable @inline(__always)
    public static func masked16(_ v: SIMD16<UInt8>, _ bits: SIMD16<UInt8>) -> SIMD16<UInt16> { widen16(v & bits) }
    public static func entryBits(_ masks: STEM4DSparseMasks) -> [SIMD16<UInt8>] { masks.maskChunkBits8 }
    @inlinable @inline(__always)
    public static func widen32(_ v: SIMD16<UInt8>) -> SIMD16<UInt32> {
        var r = SIMD16<UInt32>()
        for i in 0..<16 { r[i] = UInt32(v[i]) }
        return r
    }
    @inlinable @inline(__always)
    public static func maskedFold32(_ v: SIMD16<UInt8>, _ bits: SIMD16<UInt8>) -> SIMD8<UInt32> {
        let m = v & bits
        var r = SIMD8<UInt32>()
        for i in 0..<8 { r[i] = UInt32(m[i]) &+ UInt32(m[i + 8]) }
        return r
    }
    @inlinable @inline(__always)
    public static func maxLanes(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        var r = a
        for i in 0..<16 { r[i] = Swift.max(a[i], b[i]) }
        return r
    }
}

extension UInt16: STEM4DIntegerPixel {
    @inlinable @inline(__always)
    public static func widen16(_ v: SIMD16<UInt16>) -> SIMD16<UInt16> { v }
    @inlinable @inline(__always)
    public static func masked16(_ v: SIMD16<UInt16>, _ bits: SIMD16<UInt16>) -> SIMD16<UInt16> { v & bits }
    @inlinable @inline(__always)
    public static func sumFits16(_ mx: SIMD16<UInt16>, frames: Int) -> Bool {
        !any(mx .> SIMD16<UInt16>(repeating: UInt16(65_535 / Swift.max(frames, 1))))
    }
    public static func entryBits(_ masks: STEM4DSparseMasks) -> [SIMD16<UInt16>] { masks.maskChunkBits16 }
    @inlinable @inline(__always)
    public static func widen32(_ v: SIMD16<UInt16>) -> SIMD16<UInt32> {
        var r = SIMD16<UInt32>()
        for i in 0..<16 { r[i] = UInt32(v[i]) }
        return r
    }
    @inlinable @inline(__always)
    public static func maskedFold32(_ v: SIMD16<UInt16>, _ bits: SIMD16<UInt16>) -> SIMD8<UInt32> {
        let m = v & bits
        var r = SIMD8<UInt32>()
        for i in 0..<8 { r[i] = UInt32(m[i]) &+ UInt32(m[i + 8]) }
        return r
    }
    @inlinable @inline(__always)
    public static func maxLanes(_ a: SIMD16<UInt16>, _ b: SIMD16<UInt16>) -> SIMD16<UInt16> {
        var r = a
        for i in 0..<16 { r[i] = Swift.max(a[i], b[i]) }
        return r
    }
}

extension STEM4DSparseKernel {
    /// Frames per group in the Swift integer path: the group is read chunk by chunk, all frames
    /// in step, so the group's sum and maximum stay in registers and the partial's
    /// `Double`/`Float` patterns are read and written once per group (16 measured fastest;
    /// docs/tuning.md).
    static let intGroup = 16

    /// Frames per group in the C pattern pass of 16-bit input (integer accumulators): 8 with the
    /// unrolled frame loops (`STEM4DVectorUnits.unrolledFrames`); with the rolled loop at most 8,
    /// and 4 where the frames' streams would crowd the same L2 sets (`STEM4DGroupSize`,
    /// docs/stem4d.md). `SLIPLINE_STEM4D_GROUP=N` (1–256) sets it, to compare.
    static func cGroup(framePixels: Int) -> Int { STEM4DGroupSize.frames(framePixels: framePixels) }

    /// The exact integer path, two passes per group of frames:
    ///
    /// 1. Pattern pass over every chunk: frame sums in 16-bit lanes when the group's maximum
    ///    proves they cannot overflow (else again in 32-bit lanes), maximum in the element type.
    /// 2. Mask pass over the masked chunks only (a few % of the frame, still in cache), mask by
    ///    mask and frame by frame with the accumulator in registers: binary masks as `AND` +
    ///    16-bit add, widened to 32 bits every `65 535 / max` chunks; weighted masks in `Float`.
    ///
    /// Exactness: every integer sum is exact; a binary mask covers at most 65 536 pixels
    /// (65 536 · 65 535 < 2³²), and its `UInt32` total is rounded to `Float` once, as the
    /// `Double` reference rounds its sum.
    static func accumulateInteger<T: STEM4DIntegerPixel>(
        _ base: UnsafePointer<T>, frames n: Int, masks: STEM4DSparseMasks, column off: Int, stride: Int,
        images img: UnsafeMutablePointer<Float>, sum sumPat: UnsafeMutablePointer<Double>,
        max maxPat: UnsafeMutablePointer<Float>, pendingSum: UnsafeMutablePointer<UInt32>?,
        pendingMax: UnsafeMutablePointer<UInt16>?, pendingFrames: inout Int
    ) {
        let p = masks.detector.pixels
        let nc = p / 16
        let G = T.self == UInt16.self && STEM4DVectorUnits.avx2 && STEM4DVectorUnits.intPatterns ? cGroup(framePixels: p) : intGroup
        let mcount = masks.maskCount
        let bitsArray = T.entryBits(masks)
        // Tail pixels of each integer mask: added to its UInt32 total before rounding.
        var tailPixels = [[Int]](repeating: [], count: mcount)
        for (m, i, _) in masks.tailEntries where masks.maskIsInteger[m] { tailPixels[m].append(i) }
        masks.folded.chunkStart.withUnsafeBufferPointer { fStartBuf in
        masks.folded.entryMask.withUnsafeBufferPointer { fMaskBuf in
        masks.folded.entryBits.withUnsafeBufferPointer { fBitsBuf in
        // Never dereferenced when empty (no entries: the pass reads no entry).
        let fStart = fStartBuf.baseAddress ?? UnsafePointer(bitPattern: 8)!
        let fMask = fMaskBuf.baseAddress ?? UnsafePointer(bitPattern: 8)!
        let fBits = fBitsBuf.baseAddress ?? UnsafePointer(bitPattern: 8)!
        masks.maskChunkStart.withUnsafeBufferPointer { mStart in
        masks.maskChunkOffset.withUnsafeBufferPointer { mOff in
        bitsArray.withUnsafeBufferPointer { mBits in
        masks.maskChunkWeights.withUnsafeBufferPointer { mW in
        masks.maskIsInteger.withUnsafeBufferPointer { isInt in
            let fb = p &* MemoryLayout<T>.stride   // bytes per frame
            // 16-bit input on a CPU with AVX2: the pattern pass in C (cstem4dsimd.c), exact for
            // any values; the Swift pass below is its reference.
            let avx2 = T.self == UInt16.self && STEM4DVectorUnits.avx2
            let avx2Masks = T.self == UInt16.self && STEM4DVectorUnits.avx2Masks
            let totals = UnsafeMutablePointer<UInt32>.allocate(capacity: G)
            defer { totals.deallocate() }
            // The integer pattern pass keeps exact UInt32 sums and UInt16 maxima across groups,
            // and across calls in the partial (`pendingSum`, `pendingMax`: nc · 16 pixels), and
            // adds them to the Double/Float patterns only when `pendingLimit` frames could
            // overflow them (the partial settles the rest when read): the patterns (12 bytes a
            // pixel, in L2 for large frames) are not read and written once per group or per tile.
            let intPatterns = avx2 && STEM4DVectorUnits.intPatterns
            precondition(!intPatterns || (pendingSum != nil && pendingMax != nil) || nc == 0,
                         "the integer pattern pass needs the partial's pending accumulators")
            let sum32 = pendingSum ?? UnsafeMutablePointer(bitPattern: 8)!
            let max16 = pendingMax ?? UnsafeMutablePointer(bitPattern: 8)!
            // Binary masks folded into the pattern pass (one call per group, each mask chunk
            // summed while its lines are in L1; STEM4DFoldedMasks). Frames whose size is not a
            // multiple of 16 keep the separate pass, which also adds the tail pixels.
            let fold = intPatterns && STEM4DVectorUnits.fusedMasks && nc * 16 == p && nc > 0
            let fAcc = UnsafeMutableRawPointer.allocate(byteCount: fold ? Swift.max(1, mcount * G) * 32 : 0, alignment: 64)
            defer { fAcc.deallocate() }
            var plan = slp_stem4d_mask_plan()
            plan.masks = Int32(mcount)
            plan.acc = fAcc
            plan.img_stride = stride
            // Prefetch ahead in the frames' streams where the pass has mask entries to sum.
            plan.prefetch = masks.folded.entries > 0 ? STEM4DVectorUnits.prefetchBytes(frameBytes: fb) : 0
            // Split sums carried in 16-bit lanes across groups (AVX-512 folded pass): at most
            // 256 frames, then widened into sum32 (before sum32 is flushed or read).
            let carryPixels = (nc / 4) &* 64  // the pass's whole 64-pixel steps
            // The high half 192 bytes past a whole number of pages from the low half: a store to
            // one and a load of the other never look alike to the CPU's 4 KiB alias check.
            let carryHigh = carryPixels &+ 96
            let carry: UnsafeMutablePointer<UInt16>? = fold && STEM4DVectorUnits.carrySplitSums && carryPixels > 0
                ? UnsafeMutablePointer<UInt16>.allocate(capacity: carryHigh &+ carryPixels) : nil
            carry?.initialize(repeating: 0, count: carryHigh &+ carryPixels)
            defer { carry?.deallocate() }
            plan.carry = carry
            plan.carry_pixels = carryHigh
            var carried = 0
            func settleCarry() {
                guard let carry, carried > 0 else { return }
                slp_stem4d_carry_flush(carry, carryPixels, carryHigh, sum32)
                carried = 0
            }
            // Before a group that could overflow the accumulators (every 65 536 frames).
            func flushPatterns(clear: Bool = true) {
                settleCarry()
                guard pendingFrames > 0 else { return }
                if STEM4DVectorUnits.fusedMasks {
                    STEM4DVectorUnits.flushPatterns(sum32: sum32, max16: max16, sum: sumPat, max: maxPat, count: nc * 16, clear: clear)
                } else {
                    for i in 0..<(nc * 16) {
                        sumPat[i] += Double(sum32[i])
                        maxPat[i] = Swift.max(maxPat[i], Float(max16[i]))
                    }
                    sum32.update(repeating: 0, count: nc * 16)
                    max16.update(repeating: 0, count: nc * 16)
                }
                pendingFrames = 0
            }
            // 65 536 frames of values below 2¹⁶ sum below 2³².
            let flushFrames = STEM4DVirtualPartial.pendingLimit
            // Try 16-bit sums while the previous group's maximum says they fit (a hint only:
            // the pass checks every chunk pair).
            var try16 = true
            // Interleaved groups: the call is cut into G blocks of `block` consecutive frames and
            // group t takes frame t of every block (frames t, t + block, …), so each of the
            // pass's unrolled load instructions walks one block straight through, frame after
            // frame, instead of restarting every G frames (the patterns and images do not depend
            // on the order). Only where every mask is folded into the pass; the frames past G
            // whole blocks (fewer than G) go in consecutive groups.
            let interleave = fold && STEM4DVectorUnits.interleavedGroups && masks.maskIsInteger.allSatisfy { $0 }
            let block = interleave && n / G > 1 ? n / G : 0
            var t = 0  // interleaved groups done
            var f0 = 0
            while f0 < n {
                let inBlocks = t < block
                let g = inBlocks ? G : min(G, n - f0)
                let step = inBlocks ? block : 1  // frames from one member of the group to the next
                let gp = UnsafeRawPointer(base + f0 * p)
                // Pass 1: patterns; the largest value of the group bounds the mask pass's 16-bit runs.
                let gm: UInt32
                if fold {
                    if pendingFrames + g > flushFrames { flushPatterns() }
                    if carried + g > 256 { settleCarry() }
                    plan.img = img + (off &+ f0)
                    plan.img_step = step
                    plan.chunk_start = fStart
                    plan.entry_mask = fMask
                    plan.entry_bits = fBits
                    gm = STEM4DVectorUnits.u16PatternsMasks(gp.assumingMemoryBound(to: UInt16.self), frames: g, framePixels: p &* step,
                                                            chunks: nc, sum: sum32, max: max16, try16: try16, plan: &plan,
                                                            wide: STEM4DVectorUnits.avx512)
                    pendingFrames += g
                    carried += g
                    try16 = gm &* UInt32(G) <= 65_535
                    if inBlocks {
                        // Every mask is folded and the frame has no tail pixels: the group is done.
                        t += 1
                        f0 = t < block ? t : G &* block
                        continue
                    }
                } else if intPatterns {
                    if pendingFrames + g > flushFrames { flushPatterns() }
                    gm = STEM4DVectorUnits.u16PatternsInt(gp.assumingMemoryBound(to: UInt16.self), frames: g, framePixels: p,
                                                          chunks: nc, sum: sum32, max: max16, try16: try16)
                    pendingFrames += g
                    try16 = gm &* UInt32(G) <= 65_535
                } else if avx2 {
                    gm = STEM4DVectorUnits.u16Patterns(gp.assumingMemoryBound(to: UInt16.self), frames: g, framePixels: p,
                                                       chunks: nc, sum: sumPat, max: maxPat)
                } else {
                    gm = integerPatternPass(gp, frames: g, framePixels: p, chunks: nc, as: T.self, sum: sumPat, max: maxPat)
                }
                // Tail pixels (frame size not a multiple of 16), scalar.
                let tp = base + f0 * p
                if nc * 16 < p {
                    for i in (nc * 16)..<p {
                        var s: UInt32 = 0
                        var mx: T = 0
                        for f in 0..<g {
                            let v = tp[f * p + i]
                            s &+= UInt32(truncatingIfNeeded: v)
                            mx = Swift.max(mx, v)
                        }
                        sumPat[i] += Double(s)
                        maxPat[i] = Swift.max(maxPat[i], Float(mx))
                    }
                }
                // Pass 2: masks. `run` chunks add up in 16-bit lanes without overflow.
                let run = gm == 0 ? Int.max : Int(65_535 / gm)
                for m in 0..<mcount {
                    let eLo = mStart[m], eHi = mStart[m + 1]
                    let col = m &* stride &+ off &+ f0
                    if isInt[m] && fold {
                        continue  // summed in the pattern pass
                    } else if isInt[m] && avx2Masks {
                        // The same sums in C with AVX2 (exact; the Swift loop below is its reference).
                        if eHi > eLo {
                            STEM4DVectorUnits.u16MaskSums(gp.assumingMemoryBound(to: UInt16.self), frames: g, framePixels: p,
                                                          offsets: mOff.baseAddress! + eLo,
                                                          bits: UnsafeRawPointer(mBits.baseAddress! + eLo).assumingMemoryBound(to: UInt16.self),
                                                          entries: eHi - eLo, run: Swift.min(run, eHi - eLo), totals: totals)
                        } else {
                            totals.update(repeating: 0, count: g)
                        }
                        for f in 0..<g {
                            var total = totals[f]
                            for i in tailPixels[m] { total &+= UInt32(truncatingIfNeeded: (base + (f0 &+ f) &* p)[i]) }
                            img[col &+ f] += Float(total)
                        }
                    } else if isInt[m] {
                        for f in 0..<g {
                            let fp = gp + f &* fb
                            var acc = SIMD8<UInt32>(repeating: 0)
                            var e = eLo
                            while e < eHi {
                                let stop = Swift.min(eHi, e &+ Swift.max(run, 1))
                                var a = SIMD16<UInt16>(repeating: 0)
                                while e < stop {
                                    let v = fp.loadUnaligned(fromByteOffset: mOff[e] &* MemoryLayout<T>.stride, as: SIMD16<T>.self)
                                    a &+= T.masked16(v, mBits[e])
                                    e &+= 1
                                }
                                acc &+= UInt16.maskedFold32(a, SIMD16<UInt16>(repeating: .max))
                            }
                            var total = acc.wrappedSum()
                            for i in tailPixels[m] { total &+= UInt32(truncatingIfNeeded: (base + (f0 &+ f) &* p)[i]) }
                            img[col &+ f] += Float(total)
                        }
                    } else {
                        for f in 0..<g {
                            let fp = gp + f &* fb
                            var acc = SIMD16<Float>(repeating: 0)
                            for e in eLo..<eHi {
                                acc += T.widen(fp.loadUnaligned(fromByteOffset: mOff[e] &* MemoryLayout<T>.stride, as: SIMD16<T>.self)) * mW[e]
                            }
                            img[col &+ f] += acc.sum()
                        }
                    }
                }
                for (m, i, w) in masks.tailEntries where !isInt[m] {
                    for f in 0..<g { img[m &* stride &+ off &+ f0 &+ f] += tp[f * p + i].floatValue * w }
                }
                f0 += g
            }
            settleCarry()
        }
        }
        }
        }
        }
        }
        }
        }
    }

    /// Pass 1 of the integer path over one group of `frames` frames (Swift, baseline x86-64):
    /// adds each pixel's sum over the group to `sum` and raises `max`, for the first `chunks`
    /// 16-pixel chunks; returns the group's largest value. Frame sums go in 16-bit lanes when
    /// the group's maximum proves they cannot overflow, else the chunk pair is summed again
    /// from L1 in 32-bit lanes. The reference of `slp_stem4d_u16_patterns_avx2`.
    static func integerPatternPass<T: STEM4DIntegerPixel>(
        _ gp: UnsafeRawPointer, frames g: Int, framePixels p: Int, chunks nc: Int, as: T.Type,
        sum sumPat: UnsafeMutablePointer<Double>, max maxPat: UnsafeMutablePointer<Float>
    ) -> UInt32 {
        let rawSum = UnsafeMutableRawPointer(sumPat), rawMax = UnsafeMutableRawPointer(maxPat)
        let cs = 16 &* MemoryLayout<T>.stride  // bytes per chunk
        let fb = p &* MemoryLayout<T>.stride   // bytes per frame
        @inline(__always) func store(_ c: Int, _ s: SIMD16<UInt32>, _ mx: SIMD16<T>) {
            let ob = c &* 16
            for h in 0..<4 {
                var d = rawSum.loadUnaligned(fromByteOffset: (ob &+ 4 &* h) &* 8, as: SIMD4<Double>.self)
                for l in 0..<4 { d[l] += Double(s[4 &* h &+ l]) }
                rawSum.storeBytes(of: d, toByteOffset: (ob &+ 4 &* h) &* 8, as: SIMD4<Double>.self)
            }
            let cur = rawMax.loadUnaligned(fromByteOffset: ob &* 4, as: SIMD16<Float>.self)
            rawMax.storeBytes(of: cur.stem4dMax(T.widen(mx)), toByteOffset: ob &* 4, as: SIMD16<Float>.self)
        }
        var gmax = SIMD16<T>(repeating: 0)
        // Two chunks (a 64-byte line of 16-bit pixels) per step, so a line is used up while in
        // L1 even though the frames' power-of-two stride maps the whole group onto one cache set.
        var c = 0
        while c < nc {
            let two = c + 1 < nc
            let cb = c &* cs, cb1 = two ? cb &+ cs : cb
            var a0 = SIMD16<UInt16>(repeating: 0), a1 = a0
            var m0 = SIMD16<T>(repeating: 0), m1 = m0
            var o = 0
            for _ in 0..<g {
                let v0 = gp.loadUnaligned(fromByteOffset: o &+ cb, as: SIMD16<T>.self)
                let v1 = gp.loadUnaligned(fromByteOffset: o &+ cb1, as: SIMD16<T>.self)
                a0 &+= T.widen16(v0)
                a1 &+= T.widen16(v1)
                m0 = T.maxLanes(m0, v0)
                m1 = T.maxLanes(m1, v1)
                o &+= fb
            }
            let mm = T.maxLanes(m0, m1)
            gmax = T.maxLanes(gmax, mm)
            var s0: SIMD16<UInt32>, s1: SIMD16<UInt32>
            // 16-bit sums are exact when g · max < 2¹⁶ (counting detectors: almost always).
            if T.sumFits16(mm, frames: g) {
                s0 = UInt16.widen32(a0)
                s1 = UInt16.widen32(a1)
            } else {
                s0 = SIMD16<UInt32>(repeating: 0); s1 = s0
                o = 0
                for _ in 0..<g {
                    s0 &+= T.widen32(gp.loadUnaligned(fromByteOffset: o &+ cb, as: SIMD16<T>.self))
                    s1 &+= T.widen32(gp.loadUnaligned(fromByteOffset: o &+ cb1, as: SIMD16<T>.self))
                    o &+= fb
                }
            }
            store(c, s0, m0)
            if two { store(c + 1, s1, m1) }
            c += 2
        }
        return UInt32(gmax.max())
    }
}
