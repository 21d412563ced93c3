#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSTEM4DSIMD

/// Which vector instructions the 4D-STEM kernels use, decided once at run time.
///
/// The Swift code is built for baseline x86-64 (SSE2); the loops in `CSTEM4DSIMD` are compiled
/// for AVX2 and used only on a CPU that has it. `SLIPLINE_STEM4D_BASELINE=1` in the environment
/// keeps the Swift loops (to compare the two, e.g. `ctl bench stem4d --bits 16`).
public enum STEM4DVectorUnits {
    /// True when the AVX2 loops run: the CPU has AVX2 and `SLIPLINE_STEM4D_BASELINE` is unset.
    public static let avx2: Bool = slp_stem4d_has_avx2() != 0 && getenv("SLIPLINE_STEM4D_BASELINE") == nil

    /// True when the binary-mask pass of 16-bit input runs in C too
    /// (`slp_stem4d_u16_mask_sums_avx2`); `SLIPLINE_STEM4D_SWIFT_MASKS=1` keeps the Swift mask
    /// pass beside the C pattern pass, to measure the two apart.
    public static let avx2Masks: Bool = avx2 && getenv("SLIPLINE_STEM4D_SWIFT_MASKS") == nil

    /// True when the 16-bit pattern pass keeps integer accumulators across groups and tries
    /// 16-bit sums first (`slp_stem4d_u16_patterns_int_avx2`); `SLIPLINE_STEM4D_GROUP_FLUSH=1`
    /// keeps the previous pass, which adds every group into the `Double`/`Float` patterns
    /// (`slp_stem4d_u16_patterns_avx2`), to measure the two with one binary.
    public static let intPatterns: Bool = avx2 && getenv("SLIPLINE_STEM4D_GROUP_FLUSH") == nil

    /// True when the integer pattern pass runs with 512-bit registers
    /// (`slp_stem4d_u16_patterns_int_avx512`): the CPU has AVX-512F and BW, `intPatterns` holds
    /// and `SLIPLINE_STEM4D_NO_AVX512` is unset (set it to measure the AVX2 pass in the same binary).
    public static let avx512: Bool = intPatterns && slp_stem4d_has_avx512bw() != 0 && getenv("SLIPLINE_STEM4D_NO_AVX512") == nil

    /// True when the binary masks of 16-bit input are folded into the integer pattern pass
    /// (`slp_stem4d_u16_patterns_masks`: each mask chunk summed right after the pass has read it,
    /// one C call per group); `SLIPLINE_STEM4D_UNFUSED=1` keeps the separate mask pass (one call
    /// per mask and group, reading the group again), to measure the two with one binary.
    public static let fusedMasks: Bool = intPatterns && avx2Masks && getenv("SLIPLINE_STEM4D_UNFUSED") == nil

    /// True when the 16-bit pattern pass carries its integer sums and maxima across the tiles of
    /// a task in `STEM4DVirtualPartial` and settles them once (when they could overflow or
    /// someone reads the patterns); `SLIPLINE_STEM4D_TILE_FLUSH=1` settles them at the end of
    /// every tile, as before, to measure the two with one binary.
    public static let carryPatterns: Bool = intPatterns && getenv("SLIPLINE_STEM4D_TILE_FLUSH") == nil

    /// True when the C pattern pass of 16-bit input keeps each frame of a 4- or 8-frame group
    /// in its own load instruction (frame loops unrolled; `cstem4dsimd.c`): the CPU's
    /// per-instruction stride prefetcher then follows every frame, where in the rolled loop one
    /// load jumps from frame to frame and is not prefetched. `SLIPLINE_STEM4D_ROLLED=1` runs the
    /// rolled loop of the folded pass (the ninth session's), to measure the two with one binary.
    public static let unrolledFrames: Bool = getenv("SLIPLINE_STEM4D_ROLLED") == nil

    /// True when the folded pass takes its groups across the call (group t = frames t, t + B,
    /// t + 2B, … of a call of G·B frames; `STEM4DSparseKernel.accumulateInteger`), so that each
    /// unrolled load instruction reads B consecutive frames as one stream instead of one frame:
    /// on 64² frames (8 KiB) a frame is too short a stream for the prefetcher to run ahead.
    /// Needs `unrolledFrames`; `SLIPLINE_STEM4D_CONSECUTIVE=1` keeps consecutive groups.
    public static let interleavedGroups: Bool = unrolledFrames && getenv("SLIPLINE_STEM4D_CONSECUTIVE") == nil

    /// True when the AVX-512 folded pass keeps its split sums (mod 2¹⁶ and the high bytes' sum)
    /// in 16-bit lanes across up to 256 frames (`slp_stem4d_mask_plan.carry`) and widens them
    /// into the uint32 sums once (`slp_stem4d_carry_flush`) instead of every group: two 16-bit
    /// adds per 32 pixels and step in place of ≈ 17 widening instructions.
    /// `SLIPLINE_STEM4D_CARRY=1` turns it on, `=0` off; off by default (docs/stem4d.md).
    public static let carrySplitSums: Bool = avx512 && getenv("SLIPLINE_STEM4D_CARRY").map { String(cString: $0) != "0" } ?? false

    /// `SLIPLINE_STEM4D_PREFETCH=N`: the folded pass prefetches N bytes ahead on every frame size
    /// (0: no software prefetch, as before), to compare; nil when unset.
    public static let prefetchOverride: Int? = getenv("SLIPLINE_STEM4D_PREFETCH").map { Swift.max(0, Int(String(cString: $0)) ?? 0) }

    /// Bytes ahead in each frame's stream that the folded pass prefetches when it has masks to
    /// sum (`slp_stem4d_mask_plan.prefetch`): 1 KiB (eight steps of two lines) on frames of at
    /// most 16 KiB, 256 B on larger ones. With masks folded in, the hardware prefetchers alone
    /// leave the streams short. Measured in release `ctl bench stem4d --bits 16` (6 December,
    /// load 7–13, thread CPU % of the read probe, 1/2/4/8 detectors, docs/stem4d.md): 64² frames
    /// gain 8–19 points with 1 KiB, less with 512 B or 2 KiB, lose with 256 B; 128², 256² and 512²
    /// frames gain with 256 B (about +5 to +10, +3 to +7, −3 to +13) and lose with 512 B–1 KiB
    /// (512² 10–16 points).
    public static func prefetchBytes(frameBytes: Int) -> Int {
        prefetchOverride ?? (frameBytes <= 16 << 10 ? 1024 : 256)
    }

    /// A short name of what runs, for benchmark output.
    public static var description: String {
        let name = avx2 ? (avx2Masks ? (intPatterns ? "AVX2 (run-time dispatch)" : "AVX2, pattern pass flushed every group") : "AVX2 pattern pass, Swift mask pass") : "baseline x86-64 (SSE2) Swift"
        return name + (avx512 ? ", AVX-512BW pattern pass" : "") + (intPatterns ? ", " + (STEM4DGroupSize.override.map { "\($0)-frame groups" } ?? (unrolledFrames ? "8-frame groups" : "8- or 4-frame groups by the L2 (way \(STEM4DGroupSize.l2.waySize >> 10) KiB, \(STEM4DGroupSize.l2.ways) ways)")) : "")
            + (fusedMasks ? ", masks folded into the pattern pass" + (unrolledFrames ? " (frame loops unrolled" + (interleavedGroups ? ", interleaved groups)" : ")") : " (rolled frame loop)") : "")
            + (fusedMasks ? (prefetchOverride.map { $0 > 0 ? ", prefetch \($0) B ahead" : ", no software prefetch" } ?? ", prefetch 1 KiB ahead (frames ≤ 16 KiB) or 256 B") : "")
            + (intPatterns ? (carryPatterns ? ", integer patterns carried across tiles" : ", integer patterns settled every tile") : "")
    }

    /// The AVX2 pattern pass over one group of 16-bit frames (`slp_stem4d_u16_patterns_avx2`):
    /// adds each pixel's sum over the `frames` frames to `sum`, raises `max`, for the first
    /// `chunks` 16-pixel chunks; the largest value. Only when `avx2`.
    @inline(__always)
    static func u16Patterns(_ group: UnsafePointer<UInt16>, frames: Int, framePixels: Int, chunks: Int,
                            sum: UnsafeMutablePointer<Double>, max: UnsafeMutablePointer<Float>) -> UInt32 {
        UInt32(slp_stem4d_u16_patterns_avx2(group, Int32(frames), framePixels, Int32(chunks), sum, max))
    }

    /// The AVX2 pattern pass into integer accumulators (`slp_stem4d_u16_patterns_int_avx2`):
    /// adds each pixel's group sum to `sum` and raises `max` for the first `chunks` chunks;
    /// with `try16`, 16-bit sums where the group's maximum proves them exact. Exact while the
    /// sums stay below 2³² (flush at least every 65 536 frames). Only when `avx2`.
    /// Runs the AVX-512BW pass (`slp_stem4d_u16_patterns_int_avx512`, the same results) when `avx512`.
    @inline(__always)
    static func u16PatternsInt(_ group: UnsafePointer<UInt16>, frames: Int, framePixels: Int, chunks: Int,
                               sum: UnsafeMutablePointer<UInt32>, max: UnsafeMutablePointer<UInt16>, try16: Bool) -> UInt32 {
        avx512
            ? UInt32(slp_stem4d_u16_patterns_int_avx512(group, Int32(frames), framePixels, Int32(chunks), sum, max, try16 ? 1 : 0))
            : UInt32(slp_stem4d_u16_patterns_int_avx2(group, Int32(frames), framePixels, Int32(chunks), sum, max, try16 ? 1 : 0))
    }

    /// `u16PatternsInt` on the unit named (`avx512` only where `slp_stem4d_has_avx512bw()`),
    /// for the tests that hold the two passes to one reference.
    static func u16PatternsInt(avx512 wide: Bool, _ group: UnsafePointer<UInt16>, frames: Int, framePixels: Int, chunks: Int,
                               sum: UnsafeMutablePointer<UInt32>, max: UnsafeMutablePointer<UInt16>, try16: Bool) -> UInt32 {
        wide
            ? UInt32(slp_stem4d_u16_patterns_int_avx512(group, Int32(frames), framePixels, Int32(chunks), sum, max, try16 ? 1 : 0))
            : UInt32(slp_stem4d_u16_patterns_int_avx2(group, Int32(frames), framePixels, Int32(chunks), sum, max, try16 ? 1 : 0))
    }

    /// The integer pattern pass with the binary masks of `plan` folded in
    /// (`slp_stem4d_u16_patterns_masks`; AVX-512BW when `wide`, else AVX2): the same pattern
    /// results as `u16PatternsInt`, and each mask's exact total per frame added, rounded to
    /// `Float` once, to `plan.img[m · plan.img_stride + f]`. `frames` ≤ 256. Only when `avx2`.
    /// Groups of 4 and 8 frames run the unrolled frame loops unless `rolled` (same results).
    @inline(__always)
    static func u16PatternsMasks(_ group: UnsafePointer<UInt16>, frames: Int, framePixels: Int, chunks: Int,
                                 sum: UnsafeMutablePointer<UInt32>, max: UnsafeMutablePointer<UInt16>, try16: Bool,
                                 plan: UnsafePointer<slp_stem4d_mask_plan>, wide: Bool, rolled: Bool = !unrolledFrames) -> UInt32 {
        precondition(frames <= 256, "the folded pass takes at most 256 frames per call")
        return UInt32(slp_stem4d_u16_patterns_masks(group, Int32(frames), framePixels, Int32(chunks), sum, max, try16 ? 1 : 0, plan,
                                                    (wide ? 1 : 0) | (rolled ? 2 : 0)))
    }

    /// Adds the integer pattern accumulators to the `Double`/`Float` patterns
    /// (`slp_stem4d_flush_patterns`, AVX2) and, with `clear`, zeroes them. Only when `avx2`.
    @inline(__always)
    static func flushPatterns(sum32: UnsafeMutablePointer<UInt32>, max16: UnsafeMutablePointer<UInt16>,
                              sum: UnsafeMutablePointer<Double>, max: UnsafeMutablePointer<Float>, count: Int, clear: Bool) {
        slp_stem4d_flush_patterns(sum32, max16, sum, max, count, clear ? 1 : 0)
    }

    /// `flushPatterns` on any CPU: the AVX2 loop where the CPU has it (whatever the environment
    /// says), else a scalar loop. For `STEM4DVirtualPartial.settle`.
    static func settlePatterns(sum32: UnsafeMutablePointer<UInt32>, max16: UnsafeMutablePointer<UInt16>,
                               sum: UnsafeMutablePointer<Double>, max: UnsafeMutablePointer<Float>, count: Int, clear: Bool) {
        if slp_stem4d_has_avx2() != 0 {
            slp_stem4d_flush_patterns(sum32, max16, sum, max, count, clear ? 1 : 0)
            return
        }
        for i in 0..<count {
            sum[i] += Double(sum32[i])
            max[i] = Swift.max(max[i], Float(max16[i]))
        }
        if clear {
            sum32.update(repeating: 0, count: count)
            max16.update(repeating: 0, count: count)
        }
    }

    /// Whether this CPU runs the AVX-512BW pass at all (whatever the environment says).
    static var hasAVX512BW: Bool { slp_stem4d_has_avx512bw() != 0 }

    /// The AVX2 mask pass of one binary mask over one group of 16-bit frames
    /// (`slp_stem4d_u16_mask_sums_avx2`): `totals[f]` = the mask's sum in frame f, over
    /// `entries` chunk entries (`offsets`, 16-lane `bits`), `run` chunks per 16-bit run. Only
    /// when `avx2Masks`.
    @inline(__always)
    static func u16MaskSums(_ group: UnsafePointer<UInt16>, frames: Int, framePixels: Int, offsets: UnsafePointer<Int>,
                            bits: UnsafePointer<UInt16>, entries: Int, run: Int, totals: UnsafeMutablePointer<UInt32>) {
        slp_stem4d_u16_mask_sums_avx2(group, Int32(frames), framePixels, offsets, bits, entries, run, totals)
    }
}
