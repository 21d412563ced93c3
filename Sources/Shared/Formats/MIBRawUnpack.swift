/// Merlin RAW (`R64`) words to counts: `words` big-endian 64-bit words, pixel `p` of a word in
/// bits `p·bits ..< (p+1)·bits` (`bits` = 1, 8 or 16 for counter depths 1, 6 and 12), unpacked
/// in stored order to `UInt32`. Pure functions over buffers; ``unpackNaive`` is the reference the
/// tests and `ctl bench formats` check ``unpack`` against.
///
/// Why it is fast: for 8- and 16-bit pixels, a big-endian word loaded with a byte swap holds its
/// pixels in order as little-endian lanes, so eight words (64 bytes) are eight swapped loads
/// reinterpreted as 32 or 64 lanes and widened with SIMD stores; 1-bit pixels are a broadcast of
/// 16 bits shifted by 0…15 per lane. The ragged tail goes word by word through the reference.
public enum MIBRawUnpack {
    /// Unpacks `words` words at `source` (any alignment) into `out`, which holds `words · 64 /
    /// bits` counts: each count is shifted left by `shift`, and OR-ed into `out` when `accumulate`
    /// (a 24-bit frame is its high 12 bits, then its low 12 bits, as two 16-bit images).
    public static func unpack(_ source: UnsafeRawPointer, words: Int, bits: Int, into out: UnsafeMutablePointer<UInt32>,
                              shift: UInt32 = 0, accumulate: Bool = false) {
        precondition(bits == 1 || bits == 8 || bits == 16, "MIBRawUnpack: \(bits) bits per pixel (1, 8 or 16)")
        let blocks = bits == 1 ? 0 : words / 8  // 1-bit words go one at a time (64 counts each)
        switch (bits, accumulate) {
        case (16, false): for b in 0..<blocks { block16(source + 64 * b, out + 32 * b, shift, false) }
        case (16, true): for b in 0..<blocks { block16(source + 64 * b, out + 32 * b, shift, true) }
        case (8, false): for b in 0..<blocks { block8(source + 64 * b, out + 64 * b, shift, false) }
        case (8, true): for b in 0..<blocks { block8(source + 64 * b, out + 64 * b, shift, true) }
        case (_, false): for w in 0..<words { word1(source + 8 * w, out + 64 * w, shift, false) }
        default: for w in 0..<words { word1(source + 8 * w, out + 64 * w, shift, true) }
        }
        let done = bits == 1 ? words : 8 * blocks
        let perWord = 64 / bits
        unpackNaive(source + 8 * done, words: words - done, bits: bits, into: out + perWord * done, shift: shift, accumulate: accumulate)
    }

    /// The reference: word by word, pixel by pixel, as the format description says.
    public static func unpackNaive(_ source: UnsafeRawPointer, words: Int, bits: Int, into out: UnsafeMutablePointer<UInt32>,
                                   shift: UInt32 = 0, accumulate: Bool = false) {
        let perWord = 64 / bits
        let mask: UInt64 = (1 << UInt64(bits)) - 1
        for w in 0..<words {
            let word = UInt64(bigEndian: source.loadUnaligned(fromByteOffset: 8 * w, as: UInt64.self))
            for p in 0..<perWord {
                let v = UInt32(truncatingIfNeeded: (word >> UInt64(p * bits)) & mask) << shift
                out[w * perWord + p] = accumulate ? out[w * perWord + p] | v : v
            }
        }
    }

    /// Eight words loaded big-endian (the scalar byte swap is one instruction; Swift's SIMD
    /// shifts by a scalar go lane by lane, measured 5× slower than the naive loop).
    @inline(__always)
    private static func words8(_ source: UnsafeRawPointer) -> SIMD8<UInt64> {
        @inline(__always) func word(_ i: Int) -> UInt64 { UInt64(bigEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        return SIMD8(word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7))
    }

    /// Eight words of four 16-bit pixels: 32 counts. `scale` is `1 << shift` (a lane-wise
    /// multiply vectorises; a lane-wise shift does not).
    @inline(__always)
    private static func block16(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<UInt32>, _ shift: UInt32, _ accumulate: Bool) {
        let pixels = unsafeBitCast(words8(source), to: SIMD32<UInt16>.self)
        let counts = SIMD32<UInt32>(truncatingIfNeeded: pixels)
        guard shift != 0 || accumulate else { return UnsafeMutableRawPointer(out).storeBytes(of: counts, as: SIMD32<UInt32>.self) }
        merge(counts, into: out, shift, accumulate)
    }

    /// Eight words of eight 8-bit pixels: 64 counts, two words (16 lanes) at a time (halves of
    /// a 64-lane vector are taken lane by lane, which does not vectorise).
    @inline(__always)
    private static func block8(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<UInt32>, _ shift: UInt32, _ accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(out)
        for q in 0..<4 {
            @inline(__always) func word(_ i: Int) -> UInt64 { UInt64(bigEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            let pixels = unsafeBitCast(SIMD2<UInt64>(word(2 * q), word(2 * q + 1)), to: SIMD16<UInt8>.self)
            let counts = SIMD16<UInt32>(truncatingIfNeeded: pixels)
            if shift != 0 || accumulate {
                merge(counts, into: out + 16 * q, shift, accumulate)
            } else {
                raw.storeBytes(of: counts, toByteOffset: 64 * q, as: SIMD16<UInt32>.self)
            }
        }
    }

    /// Stores `counts << shift`, OR-ed into `out` when `accumulate`: a plain loop over the lanes,
    /// which LLVM vectorises (Swift's SIMD `&<<`, `&*` and `|` on these vectors went lane by lane
    /// through memory: 24-bit frames decoded at 300 frames/s that way).
    @inline(__always)
    private static func merge<V: SIMD>(_ counts: V, into out: UnsafeMutablePointer<UInt32>, _ shift: UInt32, _ accumulate: Bool) where V.Scalar == UInt32 {
        withUnsafeBytes(of: counts) { lanes in
            let values = lanes.bindMemory(to: UInt32.self)
            for i in 0..<values.count {
                let v = values[i] << shift
                out[i] = accumulate ? out[i] | v : v
            }
        }
    }

    /// One word of 64 one-bit pixels: 64 counts, 16 lanes at a time.
    @inline(__always)
    private static func word1(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<UInt32>, _ shift: UInt32, _ accumulate: Bool) {
        let word = UInt64(bigEndian: source.loadUnaligned(as: UInt64.self))
        let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let one = SIMD16<UInt32>(repeating: 1)
        let raw = UnsafeMutableRawPointer(out)
        for q in 0..<4 {
            let bits = SIMD16<UInt32>(repeating: UInt32(truncatingIfNeeded: word >> UInt64(16 * q)))
            let counts = (bits &>> lanes) & one
            if shift != 0 || accumulate {
                merge(counts, into: out + 16 * q, shift, accumulate)
            } else {
                raw.storeBytes(of: counts, toByteOffset: 64 * q, as: SIMD16<UInt32>.self)
            }
        }
    }
}
