#if canImport(Glibc)
import Glibc
#endif
import CSTEM4DSIMD
import XCTest
@testable import Kernels

/// The AVX2 pattern pass (C, run-time dispatched) against its Swift reference, on awkward
/// shapes and the full 16-bit range.
final class STEM4DVectorUnitsTests: XCTestCase {
    func testAVX2PatternPassEqualsSwiftPass() throws {
        try XCTSkipUnless(STEM4DVectorUnits.avx2, "this CPU has no AVX2 (or SLIPLINE_STEM4D_BASELINE is set): the Swift pass runs")
        var rng = SeededRandom(seed: 4)
        // (frame pixels, frames): one chunk, an odd chunk count, a tail past the last chunk, a 64×64 frame.
        for (pixels, frames) in [(16, 1), (48, 16), (7 * 13, 5), (33, 16), (4096, 16), (16 * 5 + 3, 9)] {
            for range in [13, 4096, 65_536] {
                let data = (0..<(pixels * frames)).map { _ in UInt16(truncatingIfNeeded: rng.next() % UInt64(range)) }
                let chunks = pixels / 16
                // Start from non-zero patterns: both passes add to what is there.
                let start = (0..<pixels).map { _ in Double(rng.next() % 1000) }
                var sumRef = start, sumGot = start
                var maxRef = start.map(Float.init), maxGot = maxRef
                let (gRef, gGot) = data.withUnsafeBufferPointer { d -> (UInt32, UInt32) in
                    let a = STEM4DSparseKernel.integerPatternPass(UnsafeRawPointer(d.baseAddress!), frames: frames, framePixels: pixels,
                                                                 chunks: chunks, as: UInt16.self, sum: &sumRef, max: &maxRef)
                    let b = STEM4DVectorUnits.u16Patterns(d.baseAddress!, frames: frames, framePixels: pixels, chunks: chunks,
                                                          sum: &sumGot, max: &maxGot)
                    return (a, b)
                }
                let what = "\(pixels) px × \(frames) frames, values < \(range)"
                XCTAssertEqual(gGot, gRef, what)
                XCTAssertEqual(sumGot, sumRef, what)
                XCTAssertEqual(maxGot, maxRef, what)
                // Pixels past the last whole chunk are left alone (the kernel sums them in Swift).
                XCTAssertEqual(Array(sumGot[(chunks * 16)...]), Array(start[(chunks * 16)...]), what)
            }
        }
    }

    /// The integer-accumulator pattern pass (16-bit sums where the maximum proves them exact,
    /// else 32-bit) over several groups, flushed at the end, against the Swift pass group by
    /// group: every value range, with and without the 16-bit attempt, and groups whose range
    /// changes (small counts after full-range ones and back), so both the kept 16-bit sums and
    /// the fallback are exercised.
    ///
    /// Both the AVX2 pass and, where the CPU has it, the AVX-512BW pass (its split high/low-byte
    /// sums, its last chunks that do not fill four handed to the AVX2 pass, groups of more than
    /// 256 frames cut into blocks).
    func testIntegerPatternPassEqualsSwiftPass() throws {
        try XCTSkipUnless(STEM4DVectorUnits.avx2, "this CPU has no AVX2 (or SLIPLINE_STEM4D_BASELINE is set): the Swift pass runs")
        var rng = SeededRandom(seed: 9)
        let units = STEM4DVectorUnits.hasAVX512BW ? [false, true] : [false]
        for wide in units {
        for (pixels, frames) in [(16, 1), (48, 16), (7 * 13, 5), (33, 16), (4096, 16), (4096, 8), (16 * 5 + 3, 9), (16 * 7, 8), (16 * 11 + 5, 300)] {
            for ranges in [[13, 13, 13], [4096, 4097, 4096], [65_536, 13, 4096], [13, 65_536, 13], [1 << 15, 1 << 14, 65_536]] {
                for try16 in [true, false] {
                    let chunks = pixels / 16
                    let start = (0..<pixels).map { _ in Double(rng.next() % 1000) }
                    var sumRef = start, maxRef = start.map(Float.init)
                    var sum32 = [UInt32](repeating: 0, count: pixels), max16 = [UInt16](repeating: 0, count: pixels)
                    for range in ranges {
                        let data = (0..<(pixels * frames)).map { _ in UInt16(truncatingIfNeeded: rng.next() % UInt64(range)) }
                        let (gRef, gGot) = data.withUnsafeBufferPointer { d -> (UInt32, UInt32) in
                            let a = STEM4DSparseKernel.integerPatternPass(UnsafeRawPointer(d.baseAddress!), frames: frames, framePixels: pixels,
                                                                         chunks: chunks, as: UInt16.self, sum: &sumRef, max: &maxRef)
                            let b = STEM4DVectorUnits.u16PatternsInt(avx512: wide, d.baseAddress!, frames: frames, framePixels: pixels, chunks: chunks,
                                                                     sum: &sum32, max: &max16, try16: try16)
                            return (a, b)
                        }
                        XCTAssertEqual(gGot, gRef, "\(pixels) px × \(frames) frames, values < \(range), try16 \(try16), avx512 \(wide)")
                    }
                    let what = "\(pixels) px × \(frames) frames, ranges \(ranges), try16 \(try16), avx512 \(wide)"
                    let sumGot = (0..<pixels).map { $0 < chunks * 16 ? start[$0] + Double(sum32[$0]) : start[$0] }
                    let maxGot = (0..<pixels).map { $0 < chunks * 16 ? Swift.max(Float(start[$0]), Float(max16[$0])) : Float(start[$0]) }
                    XCTAssertEqual(sumGot, sumRef, what)
                    XCTAssertEqual(maxGot, maxRef, what)
                    // Pixels past the last whole chunk are left alone (the kernel sums them in Swift).
                    XCTAssertEqual(Array(sum32[(chunks * 16)...]), [UInt32](repeating: 0, count: pixels - chunks * 16), what)
                }
            }
        }
        }
    }

    /// The AVX2 mask pass against a plain sum over the masked lanes: random entries and bits,
    /// 16-bit runs of every length the kernel can ask for (1: full range), frame counts that do
    /// and do not fill the four-frame blocks.
    func testAVX2MaskPassEqualsPlainSums() throws {
        try XCTSkipUnless(STEM4DVectorUnits.avx2, "this CPU has no AVX2 (or SLIPLINE_STEM4D_BASELINE is set): the Swift pass runs")
        var rng = SeededRandom(seed: 8)
        for (pixels, frames) in [(64, 1), (256, 3), (4096, 16), (1024, 7)] {
            for range in [13, 4096, 65_536] {
                let data = (0..<(pixels * frames)).map { _ in UInt16(truncatingIfNeeded: rng.next() % UInt64(range)) }
                let chunks = pixels / 16
                let entries = (0..<chunks).filter { _ in rng.next() % 3 != 0 }
                let offsets = entries.map { $0 * 16 }
                let bits = entries.flatMap { _ in (0..<16).map { _ in rng.next() % 2 == 0 ? UInt16.max : 0 } }
                let largest = Int(data.max() ?? 0)
                for run in Set([1, 2, largest == 0 ? entries.count : 65_535 / max(largest, 1), entries.count]) where run >= 1 && run * largest <= 65_535 || run == 1 {
                    var got = [UInt32](repeating: 7, count: frames)
                    data.withUnsafeBufferPointer { d in
                        offsets.withUnsafeBufferPointer { o in
                            bits.withUnsafeBufferPointer { b in
                                STEM4DVectorUnits.u16MaskSums(d.baseAddress!, frames: frames, framePixels: pixels, offsets: o.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                                              bits: b.baseAddress ?? UnsafePointer(bitPattern: 8)!, entries: entries.count,
                                                              run: min(run, max(1, entries.count)), totals: &got)
                            }
                        }
                    }
                    for f in 0..<frames {
                        var want: UInt32 = 0
                        for (k, o) in offsets.enumerated() {
                            for l in 0..<16 where bits[16 * k + l] != 0 { want &+= UInt32(data[f * pixels + o + l]) }
                        }
                        XCTAssertEqual(got[f], want, "\(pixels) px × \(frames) frames, values < \(range), run \(run), frame \(f)")
                    }
                }
            }
        }
    }
    /// The folded pass prefetches ahead of every frame's lines, past the last frame of a buffer
    /// too: with the frames ending right before a page that may not be read (PROT_NONE), and
    /// prefetches 1 KiB and 1 MiB ahead, nothing faults and the patterns and images equal plain
    /// sums (both units, 1 and 9 chunks, 1, 3 and 8 frames, counts at 65 535 and random).
    func testPrefetchPastTheLastFrameIsHarmless() throws {
        try XCTSkipUnless(STEM4DVectorUnits.avx2, "this CPU has no AVX2 (or SLIPLINE_STEM4D_BASELINE is set): the Swift pass runs")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let units = STEM4DVectorUnits.hasAVX512BW ? [false, true] : [false]
        var rng = SeededRandom(seed: 47)
        for wide in units {
            for chunks in [1, 9] {
                for frames in [1, 3, 8] {
                    for (full, ahead) in [(true, 1024), (false, 1 << 20)] {
                        let pixels = chunks * 16
                        let bytes = pixels * frames * 2
                        let pages = (bytes + page - 1) / page
                        let region = mmap(nil, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
                        XCTAssertNotEqual(region, MAP_FAILED)
                        defer { munmap(region, (pages + 1) * page) }
                        XCTAssertEqual(mprotect(region + pages * page, page, PROT_NONE), 0)
                        // The frames end where the unreadable page begins.
                        let data = (region + (pages * page - bytes)).bindMemory(to: UInt16.self, capacity: pixels * frames)
                        for i in 0..<(pixels * frames) { data[i] = full ? 65_535 : UInt16(truncatingIfNeeded: rng.next()) }
                        // One mask: every third pixel.
                        var bits: [UInt16] = [], start: [Int32] = [0], owner: [Int32] = []
                        for c in 0..<chunks {
                            owner.append(0)
                            for l in 0..<16 { bits.append((c * 16 + l) % 3 == 0 ? .max : 0) }
                            start.append(Int32(owner.count))
                        }
                        var img = [Float](repeating: 0, count: frames)
                        var sum32 = [UInt32](repeating: 0, count: pixels), max16 = [UInt16](repeating: 0, count: pixels)
                        let acc = UnsafeMutableRawPointer.allocate(byteCount: frames * 32, alignment: 64)
                        defer { acc.deallocate() }
                        start.withUnsafeBufferPointer { st in
                            owner.withUnsafeBufferPointer { ow in
                                bits.withUnsafeBufferPointer { bt in
                                    img.withUnsafeMutableBufferPointer { im in
                                        var plan = slp_stem4d_mask_plan(masks: 1, chunk_start: st.baseAddress!, entry_mask: ow.baseAddress!,
                                                                        entry_bits: bt.baseAddress!, acc: acc, img: im.baseAddress!,
                                                                        img_stride: frames, img_step: 1, prefetch: ahead, carry: nil, carry_pixels: 0)
                                        _ = STEM4DVectorUnits.u16PatternsMasks(data, frames: frames, framePixels: pixels, chunks: chunks,
                                                                               sum: &sum32, max: &max16, try16: !full, plan: &plan, wide: wide)
                                    }
                                }
                            }
                        }
                        let what = "\(chunks) chunks × \(frames) frames, prefetch \(ahead) B, avx512 \(wide)"
                        for i in 0..<pixels {
                            var s: UInt32 = 0, m: UInt16 = 0
                            for f in 0..<frames { s += UInt32(data[f * pixels + i]); m = max(m, data[f * pixels + i]) }
                            XCTAssertEqual(sum32[i], s, "\(what), pixel \(i)")
                            XCTAssertEqual(max16[i], m, "\(what), pixel \(i)")
                        }
                        for f in 0..<frames {
                            var t: UInt32 = 0
                            for i in stride(from: 0, to: pixels, by: 3) { t += UInt32(data[f * pixels + i]) }
                            XCTAssertEqual(img[f], Float(t), "\(what), frame \(f)")
                        }
                    }
                }
            }
        }
    }

    /// The AVX-512 folded pass carrying its split sums in 16-bit lanes across groups
    /// (`slp_stem4d_mask_plan.carry`, widened by `slp_stem4d_carry_flush` every 256 frames as the
    /// kernel does) against plain sums: 1 frame and groups of 3 and 8, chunk counts below one
    /// 64-pixel step, with an AVX2 tail, and a 64² frame; counts all at 65 535 (the split path)
    /// and 12-bit (the 16-bit attempt kept); 264–300 frames, past the carry's 256; the last
    /// frame ending right before a `PROT_NONE` page. The AVX2 pass ignores the carry.
    func testCarriedSplitSumsEqualPlainSums() throws {
        try XCTSkipUnless(STEM4DVectorUnits.avx2, "this CPU has no AVX2 (or SLIPLINE_STEM4D_BASELINE is set): the Swift pass runs")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let units = STEM4DVectorUnits.hasAVX512BW ? [false, true] : [false]
        var rng = SeededRandom(seed: 83)
        for wide in units {
            for chunks in [1, 4, 9, 256] {
                for group in [1, 3, 8] {
                    for full in [true, false] {
                        let pixels = chunks * 16
                        let total = group == 1 ? 7 : (group == 3 ? 300 : 264)
                        let bytes = pixels * total * 2
                        let pages = (bytes + page - 1) / page
                        let region = mmap(nil, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
                        XCTAssertNotEqual(region, MAP_FAILED)
                        defer { munmap(region, (pages + 1) * page) }
                        XCTAssertEqual(mprotect(region + pages * page, page, PROT_NONE), 0)
                        let data = (region + (pages * page - bytes)).bindMemory(to: UInt16.self, capacity: pixels * total)
                        for i in 0..<(pixels * total) { data[i] = full ? 65_535 : UInt16(truncatingIfNeeded: rng.next() % 4096) }
                        // Two masks: every third pixel, and the first half of every chunk.
                        var bits: [UInt16] = [], start: [Int32] = [0], owner: [Int32] = []
                        for c in 0..<chunks {
                            owner.append(0)
                            for l in 0..<16 { bits.append((c * 16 + l) % 3 == 0 ? .max : 0) }
                            owner.append(1)
                            for l in 0..<16 { bits.append(l < 8 ? .max : 0) }
                            start.append(Int32(owner.count))
                        }
                        let steps = (chunks / 4) * 64
                        var carry = [UInt16](repeating: 0, count: 2 * steps + 96)
                        var img = [Float](repeating: 0, count: 2 * total)
                        var sum32 = [UInt32](repeating: 0, count: pixels), max16 = [UInt16](repeating: 0, count: pixels)
                        let acc = UnsafeMutableRawPointer.allocate(byteCount: 2 * group * 32, alignment: 64)
                        defer { acc.deallocate() }
                        var carried = 0, f0 = 0, try16 = !full
                        while f0 < total {
                            let g = min(group, total - f0)
                            if carried + g > 256 {
                                slp_stem4d_carry_flush(&carry, steps, steps + 96, &sum32)
                                carried = 0
                            }
                            start.withUnsafeBufferPointer { st in
                                owner.withUnsafeBufferPointer { ow in
                                    bits.withUnsafeBufferPointer { bt in
                                        img.withUnsafeMutableBufferPointer { im in
                                            carry.withUnsafeMutableBufferPointer { ca in
                                                var plan = slp_stem4d_mask_plan(masks: 2, chunk_start: st.baseAddress!, entry_mask: ow.baseAddress!,
                                                                                entry_bits: bt.baseAddress!, acc: acc, img: im.baseAddress! + f0,
                                                                                img_stride: total, img_step: 1, prefetch: 1024,
                                                                                carry: ca.baseAddress!, carry_pixels: steps + 96)
                                                let m = STEM4DVectorUnits.u16PatternsMasks(data + f0 * pixels, frames: g, framePixels: pixels,
                                                                                           chunks: chunks, sum: &sum32, max: &max16, try16: try16,
                                                                                           plan: &plan, wide: wide)
                                                try16 = m * UInt32(group) <= 65_535
                                            }
                                        }
                                    }
                                }
                            }
                            carried += g
                            f0 += g
                        }
                        slp_stem4d_carry_flush(&carry, steps, steps + 96, &sum32)
                        let what = "\(chunks) chunks, groups of \(group), \(total) frames, full \(full), avx512 \(wide)"
                        XCTAssertEqual(carry, [UInt16](repeating: 0, count: 2 * steps + 96), what)
                        for i in 0..<pixels {
                            var s: UInt32 = 0, m: UInt16 = 0
                            for f in 0..<total { s += UInt32(data[f * pixels + i]); m = max(m, data[f * pixels + i]) }
                            XCTAssertEqual(sum32[i], s, "\(what), pixel \(i)")
                            XCTAssertEqual(max16[i], m, "\(what), pixel \(i)")
                        }
                        for f in 0..<total {
                            var t0: UInt32 = 0, t1: UInt32 = 0
                            for i in 0..<pixels {
                                if i % 3 == 0 { t0 += UInt32(data[f * pixels + i]) }
                                if i % 16 < 8 { t1 += UInt32(data[f * pixels + i]) }
                            }
                            XCTAssertEqual(img[f], Float(t0), "\(what), mask 0, frame \(f)")
                            XCTAssertEqual(img[total + f], Float(t1), "\(what), mask 1, frame \(f)")
                        }
                    }
                }
            }
        }
    }

    /// The pattern pass with the binary masks folded in, against plain sums over the masked
    /// lanes and against the pass without masks: several masks (sharing chunks, empty, covering
    /// a chunk another mask also covers), chunk counts that do and do not fill the AVX-512 and
    /// AVX2 blocks (the tails of both), every value range (16-bit attempt kept or dropped),
    /// images that already hold values and a stride between masks' columns.
    func testFoldedMaskPassEqualsPlainSums() throws {
        try XCTSkipUnless(STEM4DVectorUnits.avx2, "this CPU has no AVX2 (or SLIPLINE_STEM4D_BASELINE is set): the Swift pass runs")
        var rng = SeededRandom(seed: 21)
        let units = STEM4DVectorUnits.hasAVX512BW ? [false, true] : [false]
        for wide in units {
            for (pixels, frames) in [(16, 1), (48, 8), (16 * 7, 8), (16 * 13, 5), (4096, 8), (1024, 16), (16 * 9, 256)] {
                for range in [13, 4096, 8192, 65_536] {
                    for try16 in [true, false] {
                        let chunks = pixels / 16
                        let masks = 1 + Int(rng.next() % 8)
                        let data = (0..<(pixels * frames)).map { _ in UInt16(truncatingIfNeeded: rng.next() % UInt64(range)) }
                        // Per mask: random chunks with random bits (mask 0 empty when there are several).
                        var start: [Int32] = [0], owner: [Int32] = [], bits: [UInt16] = []
                        var cover = [[UInt16]](repeating: [UInt16](repeating: 0, count: pixels), count: masks)
                        for c in 0..<chunks {
                            for m in 0..<masks where !(masks > 1 && m == 0) && rng.next() % 3 == 0 {
                                owner.append(Int32(m))
                                for l in 0..<16 {
                                    let b: UInt16 = rng.next() % 2 == 0 ? .max : 0
                                    bits.append(b)
                                    cover[m][c * 16 + l] = b
                                }
                            }
                            start.append(Int32(owner.count))
                        }
                        let stride = frames + 3
                        let before = (0..<(masks * stride)).map { _ in Float(rng.next() % 100) }
                        var img = before
                        var sum32 = [UInt32](repeating: 0, count: pixels), max16 = [UInt16](repeating: 0, count: pixels)
                        var sumRef = [UInt32](repeating: 0, count: pixels), maxRef = [UInt16](repeating: 0, count: pixels)
                        let acc = UnsafeMutableRawPointer.allocate(byteCount: masks * frames * 32, alignment: 64)
                        defer { acc.deallocate() }
                        let (g, gRef) = data.withUnsafeBufferPointer { d in
                            start.withUnsafeBufferPointer { st in
                                owner.withUnsafeBufferPointer { ow in
                                    bits.withUnsafeBufferPointer { bt in
                                        img.withUnsafeMutableBufferPointer { im in
                                            var plan = slp_stem4d_mask_plan(masks: Int32(masks), chunk_start: st.baseAddress!,
                                                                            entry_mask: ow.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                                                            entry_bits: bt.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                                                            acc: acc, img: im.baseAddress! + 2, img_stride: stride, img_step: 1,
                                                                            prefetch: try16 ? 1024 : 64, carry: nil, carry_pixels: 0)
                                            let a = STEM4DVectorUnits.u16PatternsMasks(d.baseAddress!, frames: frames, framePixels: pixels, chunks: chunks,
                                                                                       sum: &sum32, max: &max16, try16: try16, plan: &plan, wide: wide)
                                            let b = STEM4DVectorUnits.u16PatternsInt(avx512: wide, d.baseAddress!, frames: frames, framePixels: pixels,
                                                                                     chunks: chunks, sum: &sumRef, max: &maxRef, try16: try16)
                                            return (a, b)
                                        }
                                    }
                                }
                            }
                        }
                        let what = "\(pixels) px × \(frames) frames, \(masks) masks, values < \(range), try16 \(try16), avx512 \(wide)"
                        XCTAssertEqual(g, gRef, what)
                        XCTAssertEqual(sum32, sumRef, what)
                        XCTAssertEqual(max16, maxRef, what)
                        for m in 0..<masks {
                            for j in 0..<stride {
                                var want = before[m * stride + j]
                                let f = j - 2
                                if f >= 0 && f < frames {
                                    var total: UInt32 = 0
                                    for i in 0..<pixels where cover[m][i] != 0 { total &+= UInt32(data[f * pixels + i]) }
                                    want += Float(total)
                                }
                                XCTAssertEqual(img[m * stride + j], want, "\(what), mask \(m), column \(j)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The folded pass with its frame loops unrolled (groups of 4 and 8 frames, prefetching 1 KiB
    /// ahead) against the rolled loop (no prefetch) and against plain sums: both units, chunk counts that fill and do not fill
    /// the AVX-512 and AVX2 blocks, 1 and 3 frames (the rolled loop), counts all at 65 535,
    /// random over the full range and 12-bit, three groups chained on the same accumulators
    /// (the 16-bit attempt kept or dropped as the kernel decides it), two masks sharing chunks,
    /// and interleaved groups (members `step` frames apart, images `step` columns apart, the
    /// frames between left out).
    func testUnrolledFrameLoopsEqualRolledLoopAndPlainSums() throws {
        try XCTSkipUnless(STEM4DVectorUnits.avx2, "this CPU has no AVX2 (or SLIPLINE_STEM4D_BASELINE is set): the Swift pass runs")
        var rng = SeededRandom(seed: 33)
        let units = STEM4DVectorUnits.hasAVX512BW ? [false, true] : [false]
        for wide in units {
            for chunks in [1, 3, 4, 5, 8, 13] {
                for frames in [1, 3, 4, 8] {
                    for (values, step) in [("65535", 1), ("full", 1), ("12-bit", 1), ("full", 3), ("12-bit", 2)] {
                        let pixels = chunks * 16
                        // Mask 0: every other chunk, all lanes; mask 1: random lanes of every chunk.
                        var start: [Int32] = [0], owner: [Int32] = [], bits: [UInt16] = []
                        var cover = [[Bool]](repeating: [Bool](repeating: false, count: pixels), count: 2)
                        for c in 0..<chunks {
                            for m in 0..<2 where m == 1 || c % 2 == 0 {
                                owner.append(Int32(m))
                                for l in 0..<16 {
                                    let on = m == 0 || rng.next() % 2 == 0
                                    bits.append(on ? .max : 0)
                                    cover[m][c * 16 + l] = on
                                }
                            }
                            start.append(Int32(owner.count))
                        }
                        var results: [[UInt32]] = []
                        for rolled in [false, true] {
                            var sum32 = [UInt32](repeating: 0, count: pixels), max16 = [UInt16](repeating: 0, count: pixels)
                            // Image columns: group g's frame f at g + 3·step·f (the three groups interleaved, members apart).
                            let width = 3 + 3 * step * frames
                            var img = [Float](repeating: 0, count: 2 * width)
                            var sumRef = [UInt64](repeating: 0, count: pixels), maxRef = [UInt16](repeating: 0, count: pixels)
                            var imgRef = [Float](repeating: 0, count: 2 * width)
                            var try16 = true
                            var local = SeededRandom(seed: UInt64(chunks * 100 + frames))
                            for g in 0..<3 {
                                // `frames · step` frames; the group is every step-th (the others are left out).
                                let data = (0..<(pixels * frames * step)).map { _ -> UInt16 in
                                    switch values {
                                    case "65535": return 65_535
                                    case "full": return UInt16(truncatingIfNeeded: local.next())
                                    default: return UInt16(truncatingIfNeeded: local.next() % 4096)
                                    }
                                }
                                var groupMax: UInt16 = 0
                                for f in 0..<frames {
                                    let frame = data[(f * step * pixels)..<((f * step + 1) * pixels)]
                                    for (i, v) in frame.enumerated() {
                                        sumRef[i] += UInt64(v)
                                        maxRef[i] = max(maxRef[i], v)
                                        groupMax = max(groupMax, v)
                                    }
                                    for m in 0..<2 {
                                        var total: UInt32 = 0
                                        for (i, v) in frame.enumerated() where cover[m][i] { total += UInt32(v) }
                                        imgRef[m * width + g + f * step * 3] = Float(total)
                                    }
                                }
                                let acc = UnsafeMutableRawPointer.allocate(byteCount: 2 * frames * 32, alignment: 64)
                                defer { acc.deallocate() }
                                let gm = data.withUnsafeBufferPointer { d in
                                    start.withUnsafeBufferPointer { st in
                                        owner.withUnsafeBufferPointer { ow in
                                            bits.withUnsafeBufferPointer { bt in
                                                img.withUnsafeMutableBufferPointer { im in
                                                    var plan = slp_stem4d_mask_plan(masks: 2, chunk_start: st.baseAddress!, entry_mask: ow.baseAddress!,
                                                                                    entry_bits: bt.baseAddress!, acc: acc,
                                                                                    img: im.baseAddress! + g, img_stride: width, img_step: 3 * step,
                                                                                    prefetch: rolled ? 0 : 1024, carry: nil, carry_pixels: 0)
                                                    return STEM4DVectorUnits.u16PatternsMasks(d.baseAddress!, frames: frames, framePixels: pixels * step, chunks: chunks,
                                                                                              sum: &sum32, max: &max16, try16: try16, plan: &plan,
                                                                                              wide: wide, rolled: rolled)
                                                }
                                            }
                                        }
                                    }
                                }
                                XCTAssertEqual(gm, UInt32(groupMax), "group \(g)")
                                try16 = gm * UInt32(frames) <= 65_535
                            }
                            let what = "\(chunks) chunks × \(frames) frames, \(values), step \(step), avx512 \(wide), rolled \(rolled)"
                            XCTAssertEqual(sum32.map(UInt64.init), sumRef, what)
                            XCTAssertEqual(max16, maxRef, what)
                            XCTAssertEqual(img, imgRef, what)
                            results.append(sum32 + max16.map(UInt32.init) + img.map(\.bitPattern))
                        }
                        XCTAssertEqual(results[0], results[1], "unrolled and rolled: \(chunks) chunks × \(frames) frames, \(values), step \(step)")
                    }
                }
            }
        }
    }
}
