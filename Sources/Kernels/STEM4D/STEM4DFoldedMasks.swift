import CSTEM4DSIMD

/// The binary masks of the exact integer path laid out chunk-major, for the pattern pass that
/// sums them while it reads each chunk (`slp_stem4d_u16_patterns_masks`).
///
/// The separate mask pass (`slp_stem4d_u16_mask_sums_avx2`) reads each mask's chunks of the
/// whole group again, one call per mask and group: for 64² frames a group of 8 frames (64 KiB)
/// no longer sits in the 32 KiB L1, and with 8 masks the calls and their frame loops cost as much
/// as a tenth of the group's read time. Chunk-major, every entry is summed right after the
/// pattern pass has loaded its chunk of every frame of the group (the lines are in L1), and one
/// call per group covers all masks.
struct STEM4DFoldedMasks {
    /// Chunk c owns entries `chunkStart[c] ..< chunkStart[c + 1]` (chunks + 1 values).
    let chunkStart: [Int32]
    /// The mask (index among all masks) of each entry.
    let entryMask: [Int32]
    /// 16 lanes per entry: 0xffff where the mask covers the pixel, 0 elsewhere.
    let entryBits: [UInt16]
    /// Entries in all.
    var entries: Int { entryMask.count }

    /// The integer masks' chunk entries (`isInteger`, and per mask `start[m] ..< start[m + 1]`
    /// of `offset`/`bits`, mask-major as `STEM4DSparseMasks` holds them), chunk-major (weighted
    /// masks are left out: they keep their `Float` pass).
    init(pixels: Int, isInteger: [Bool], start: [Int], offset: [Int], bits: [SIMD16<UInt16>]) {
        let nc = pixels / 16
        // Counting sort by chunk: entries of one chunk keep their mask order.
        var count = [Int32](repeating: 0, count: nc + 1)
        for m in 0..<isInteger.count where isInteger[m] {
            for e in start[m]..<start[m + 1] { count[offset[e] / 16 + 1] += 1 }
        }
        for c in 0..<nc { count[c + 1] += count[c] }
        chunkStart = count
        var next = count
        var mask = [Int32](repeating: 0, count: Int(count[nc]))
        var lanes = [UInt16](repeating: 0, count: Int(count[nc]) * 16)
        for m in 0..<isInteger.count where isInteger[m] {
            for e in start[m]..<start[m + 1] {
                let c = offset[e] / 16
                let k = Int(next[c])
                next[c] += 1
                mask[k] = Int32(m)
                for l in 0..<16 { lanes[16 * k + l] = bits[e][l] }
            }
        }
        entryMask = mask
        entryBits = lanes
    }
}
