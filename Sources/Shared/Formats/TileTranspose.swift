/// Matrix transpose of fixed-width elements, `dst[c * dstStride + r] = src[r * srcStride + c]`
/// for `r < rows`, `c < cols`: the kernel that turns Gatan's scan-fastest 4D DM cube (one run of
/// scan positions per detector pixel) into frames. Pure functions over buffers; `transposeNaive`
/// is the reference the tests and `ctl bench formats` check it against.
///
/// The fast path walks tiles of 256 source rows × 32 columns and moves each 8 × 8 block with
/// eight 8-lane SIMD loads and eight stores, the lanes regathered in registers; ragged edges go
/// element by element. (Tile shape measured on a 16384-pixel × 8192-position uint16 cube: 64 × 64
/// tiles row-major 1.4 GB/s, 256 × 32 with destination rows completed first 5.4 GB/s.)
public enum TileTranspose {
    static let rowTile = 256, colTile = 32

    /// Transposes `rows × cols` elements of `src` (row stride `srcStride` elements, read
    /// unaligned: DM places its arrays at any byte offset) into `dst` (row stride `dstStride`
    /// elements, `cols` rows of `rows`). The buffers must not overlap.
    public static func transpose(_ src: UnsafeRawPointer, srcStride: Int, rows: Int, cols: Int, into dst: UnsafeMutablePointer<UInt8>, dstStride: Int) {
        tiles(src, srcStride, rows, cols, dst, dstStride)
    }

    /// 16-bit elements; see the 8-bit overload.
    public static func transpose(_ src: UnsafeRawPointer, srcStride: Int, rows: Int, cols: Int, into dst: UnsafeMutablePointer<UInt16>, dstStride: Int) {
        tiles(src, srcStride, rows, cols, dst, dstStride)
    }

    /// 32-bit elements; see the 8-bit overload.
    public static func transpose(_ src: UnsafeRawPointer, srcStride: Int, rows: Int, cols: Int, into dst: UnsafeMutablePointer<UInt32>, dstStride: Int) {
        tiles(src, srcStride, rows, cols, dst, dstStride)
    }

    // Generic body, inlined into each concrete overload: an unspecialised generic call would
    // run the SIMD lanes through the runtime's metadata (measured 40× slower).
    @inline(__always)
    private static func tiles<T: SIMDScalar & FixedWidthInteger>(_ src: UnsafeRawPointer, _ srcStride: Int, _ rows: Int, _ cols: Int,
                                                                 _ dst: UnsafeMutablePointer<T>, _ dstStride: Int) {
        let size = MemoryLayout<T>.size
        for r0 in stride(from: 0, to: rows, by: rowTile) {
            let r1 = min(rows, r0 + rowTile)
            for c0 in stride(from: 0, to: cols, by: colTile) {
                let c1 = min(cols, c0 + colTile)
                // Eight destination rows at a time, filled across the tile's source rows: their
                // cache lines complete before they are evicted (the strides are often powers of
                // two, so lines a few KiB apart compete for the same cache sets).
                var c = c0
                while c + 8 <= c1 {
                    var r = r0
                    while r + 8 <= r1 {
                        block8(src + (r * srcStride + c) * size, srcStride * size, UnsafeMutableRawPointer(dst + c * dstStride + r), dstStride * size, T.self)
                        r += 8
                    }
                    for i in r..<r1 {
                        for j in c..<(c + 8) { dst[j * dstStride + i] = src.loadUnaligned(fromByteOffset: (i * srcStride + j) * size, as: T.self) }
                    }
                    c += 8
                }
                for j in c..<c1 {
                    for i in r0..<r1 { dst[j * dstStride + i] = src.loadUnaligned(fromByteOffset: (i * srcStride + j) * size, as: T.self) }
                }
            }
        }
    }

    /// One 8 × 8 block: eight row loads, each output row built from lane `c` of every input row.
    @inline(__always)
    private static func block8<T: SIMDScalar>(_ s: UnsafeRawPointer, _ sBytes: Int, _ d: UnsafeMutableRawPointer, _ dBytes: Int, _: T.Type) {
        @inline(__always) func row(_ i: Int) -> SIMD8<T> { (s + i * sBytes).loadUnaligned(as: SIMD8<T>.self) }
        let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5), r6 = row(6), r7 = row(7)
        for c in 0..<8 {
            (d + c * dBytes).storeBytes(of: SIMD8<T>(r0[c], r1[c], r2[c], r3[c], r4[c], r5[c], r6[c], r7[c]), as: SIMD8<T>.self)
        }
    }

    /// The plain reference: one element at a time.
    public static func transposeNaive<T: FixedWidthInteger>(_ src: UnsafeRawPointer, srcStride: Int, rows: Int, cols: Int,
                                                            into dst: UnsafeMutablePointer<T>, dstStride: Int) {
        for r in 0..<rows {
            for c in 0..<cols { dst[c * dstStride + r] = src.loadUnaligned(fromByteOffset: (r * srcStride + c) * MemoryLayout<T>.size, as: T.self) }
        }
    }
}
