/// The inverse of bitshuffle's bit transpose (Masui et al. 2015, the HDF5 filter 32008 that
/// Dectris detectors write): a block of `n` elements of `elementSize` bytes (`n` a multiple
/// of 8) is stored as `8 × elementSize` bit rows of `n / 8` bytes, row `8·j + i` holding bit
/// `i` of byte `j` of every element (element `e` at bit `e % 8` of row byte `e / 8`).
///
/// A pure function over buffers: ``unshuffle(_:into:count:elementSize:)`` is the SIMD kernel,
/// ``unshuffleReference(_:into:count:elementSize:)`` the plain definition it is tested against.
public enum Bitshuffle {
    /// Writes the `count × elementSize` bytes of `count` elements into `output` from their
    /// bit-transposed form in `input` (same size). `count` must be a multiple of 8.
    ///
    /// Eight groups of 8 elements at a time, per byte plane: one 8-byte load from each of the
    /// plane's 8 bit rows, an 8×8 byte transpose (3 delta swaps) gives each group's 8 row
    /// bytes as one word, and an 8×8 bit transpose of the 8 words at once (`SIMD8<UInt64>`,
    /// 3 delta swaps) gives the plane's byte of each element; the planes are then interleaved
    /// into elements by bit spreading (1-, 2- and 4-byte elements; others byte by byte).
    public static func unshuffle(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, count: Int, elementSize: Int) {
        precondition(count % 8 == 0 && input.count >= count * elementSize && output.count >= count * elementSize)
        guard count > 0, let src = input.baseAddress, let dst = output.baseAddress else { return }
        let rowBytes = count / 8
        let planes = UnsafeMutablePointer<SIMD8<UInt64>>.allocate(capacity: elementSize)
        defer { planes.deallocate() }
        // Whole blocks of 8 groups straight to the output; a short last block through a
        // zero-padded copy.
        var group = 0
        while group < rowBytes {
            let valid = min(8, rowBytes - group)
            for j in 0..<elementSize { planes[j] = plane(src, rowBytes: rowBytes, plane: j, group: group, valid: valid) }
            let bytes = valid * 8 * elementSize
            if valid == 8 {
                store(planes, elementSize, into: dst + group * 8 * elementSize)
            } else {
                let padded = UnsafeMutableRawPointer.allocate(byteCount: 64 * elementSize, alignment: 16)
                store(planes, elementSize, into: padded)
                (dst + group * 8 * elementSize).copyMemory(from: padded, byteCount: bytes)
                padded.deallocate()
            }
            group += valid
        }
    }

    /// Byte `j` of the 64 elements of groups `group..<group+8`: lane `m`, byte `k` is byte
    /// `j` of element `8·(group+m) + k`.
    @inline(__always)
    static func plane(_ src: UnsafeRawPointer, rowBytes: Int, plane j: Int, group: Int, valid: Int) -> SIMD8<UInt64> {
        @inline(__always) func row(_ i: Int) -> UInt64 {
            let at = src + (8 * j + i) * rowBytes + group
            if valid == 8 { return UInt64(littleEndian: at.loadUnaligned(as: UInt64.self)) }
            var word: UInt64 = 0
            for b in 0..<valid { word |= UInt64(at.load(fromByteOffset: b, as: UInt8.self)) << (8 * b) }
            return word
        }
        var r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5), r6 = row(6), r7 = row(7)
        // 8×8 byte transpose (word i byte m → word m byte i) in scalar registers: swap the
        // off-diagonal 4×4, then 2×2, then 1×1 blocks.
        @inline(__always) func swap(_ a: inout UInt64, _ b: inout UInt64, _ shift: UInt64, _ mask: UInt64) {
            let t = ((a >> shift) ^ b) & mask
            a ^= t << shift
            b ^= t
        }
        swap(&r0, &r4, 32, 0xFFFF_FFFF); swap(&r1, &r5, 32, 0xFFFF_FFFF); swap(&r2, &r6, 32, 0xFFFF_FFFF); swap(&r3, &r7, 32, 0xFFFF_FFFF)
        swap(&r0, &r2, 16, 0x0000_FFFF_0000_FFFF); swap(&r1, &r3, 16, 0x0000_FFFF_0000_FFFF)
        swap(&r4, &r6, 16, 0x0000_FFFF_0000_FFFF); swap(&r5, &r7, 16, 0x0000_FFFF_0000_FFFF)
        swap(&r0, &r1, 8, 0x00FF_00FF_00FF_00FF); swap(&r2, &r3, 8, 0x00FF_00FF_00FF_00FF)
        swap(&r4, &r5, 8, 0x00FF_00FF_00FF_00FF); swap(&r6, &r7, 8, 0x00FF_00FF_00FF_00FF)
        var r = SIMD8<UInt64>(r0, r1, r2, r3, r4, r5, r6, r7)
        // 8×8 bit transpose in every lane: byte i bit k → byte k bit i.
        var t = (r ^ (r &>> 7)) & SIMD8(repeating: 0x00AA_00AA_00AA_00AA)
        r = r ^ t ^ (t &<< 7)
        t = (r ^ (r &>> 14)) & SIMD8(repeating: 0x0000_CCCC_0000_CCCC)
        r = r ^ t ^ (t &<< 14)
        t = (r ^ (r &>> 28)) & SIMD8(repeating: 0x0000_0000_F0F0_F0F0)
        r = r ^ t ^ (t &<< 28)
        return r
    }

    /// Interleaves the byte planes into 64 elements at `out`.
    @inline(__always)
    static func store(_ planes: UnsafeMutablePointer<SIMD8<UInt64>>, _ elementSize: Int, into out: UnsafeMutableRawPointer) {
        // Spreads the low 4 bytes (or 2 halves) of each lane to every other byte (half).
        func spread8(_ x: SIMD8<UInt64>) -> SIMD8<UInt64> {
            var x = x & SIMD8(repeating: 0xFFFF_FFFF)
            x = (x | (x &<< 16)) & SIMD8(repeating: 0x0000_FFFF_0000_FFFF)
            return (x | (x &<< 8)) & SIMD8(repeating: 0x00FF_00FF_00FF_00FF)
        }
        func spread16(_ x: SIMD8<UInt64>) -> SIMD8<UInt64> {
            let x = x & SIMD8(repeating: 0xFFFF_FFFF)
            return (x | (x &<< 16)) & SIMD8(repeating: 0x0000_FFFF_0000_FFFF)
        }
        switch elementSize {
        case 1:
            for m in 0..<8 { out.storeBytes(of: UInt64(littleEndian: planes[0][m]), toByteOffset: 8 * m, as: UInt64.self) }
        case 2:
            let lo = spread8(planes[0]) | (spread8(planes[1]) &<< 8)
            let hi = spread8(planes[0] &>> 32) | (spread8(planes[1] &>> 32) &<< 8)
            for m in 0..<8 {
                out.storeBytes(of: UInt64(littleEndian: lo[m]), toByteOffset: 16 * m, as: UInt64.self)
                out.storeBytes(of: UInt64(littleEndian: hi[m]), toByteOffset: 16 * m + 8, as: UInt64.self)
            }
        case 4:
            // Bytes 0,1 and 2,3 into 16-bit halves, then the halves into 32-bit elements.
            let aLo = spread8(planes[0]) | (spread8(planes[1]) &<< 8), aHi = spread8(planes[0] &>> 32) | (spread8(planes[1] &>> 32) &<< 8)
            let bLo = spread8(planes[2]) | (spread8(planes[3]) &<< 8), bHi = spread8(planes[2] &>> 32) | (spread8(planes[3] &>> 32) &<< 8)
            let w0 = spread16(aLo) | (spread16(bLo) &<< 16), w1 = spread16(aLo &>> 32) | (spread16(bLo &>> 32) &<< 16)
            let w2 = spread16(aHi) | (spread16(bHi) &<< 16), w3 = spread16(aHi &>> 32) | (spread16(bHi &>> 32) &<< 16)
            for m in 0..<8 {
                out.storeBytes(of: UInt64(littleEndian: w0[m]), toByteOffset: 32 * m, as: UInt64.self)
                out.storeBytes(of: UInt64(littleEndian: w1[m]), toByteOffset: 32 * m + 8, as: UInt64.self)
                out.storeBytes(of: UInt64(littleEndian: w2[m]), toByteOffset: 32 * m + 16, as: UInt64.self)
                out.storeBytes(of: UInt64(littleEndian: w3[m]), toByteOffset: 32 * m + 24, as: UInt64.self)
            }
        default:
            for m in 0..<8 {
                for k in 0..<8 {
                    for j in 0..<elementSize {
                        out.storeBytes(of: UInt8(truncatingIfNeeded: planes[j][m] >> (8 * UInt64(k))), toByteOffset: (8 * m + k) * elementSize + j, as: UInt8.self)
                    }
                }
            }
        }
    }

    /// The definition, bit by bit: the reference the kernel is tested against.
    public static func unshuffleReference(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, count: Int, elementSize: Int) {
        precondition(count % 8 == 0 && input.count >= count * elementSize && output.count >= count * elementSize)
        let rowBytes = count / 8
        for e in 0..<count {
            for j in 0..<elementSize {
                var byte: UInt8 = 0
                for i in 0..<8 where (input[(8 * j + i) * rowBytes + e / 8] >> (e % 8)) & 1 == 1 {
                    byte |= 1 << i
                }
                output[e * elementSize + j] = byte
            }
        }
    }
}
