import XCTest

@testable import Shared

/// `TileTranspose` against its naive reference on awkward shapes: ragged edges in both
/// directions, a single element, empty sides, padded strides, a misaligned source (DM arrays
/// sit at odd offsets), all three element widths.
final class FormatsTileTransposeTests: XCTestCase {
    /// (rows, cols, extra source stride, extra destination stride, source byte offset)
    private let shapes = [(1, 1, 0, 0, 0), (7, 13, 0, 0, 1), (13, 7, 3, 5, 0), (8, 8, 0, 0, 0), (9, 17, 0, 1, 3), (64, 64, 0, 0, 0),
                          (257, 33, 2, 0, 1), (300, 70, 0, 3, 2), (33, 300, 1, 1, 0), (0, 5, 0, 0, 0), (5, 0, 0, 0, 0), (1, 1000, 0, 0, 1)]

    func testTransposeMatchesReference() {
        var g = SystemRandomNumberGenerator()
        for (rows, cols, sPad, dPad, offset) in shapes {
            check(UInt8.self, rows, cols, sPad, dPad, offset, &g)
            check(UInt16.self, rows, cols, sPad, dPad, offset, &g)
            check(UInt32.self, rows, cols, sPad, dPad, offset, &g)
        }
    }

    private func check<T: FixedWidthInteger>(_: T.Type, _ rows: Int, _ cols: Int, _ sPad: Int, _ dPad: Int, _ offset: Int,
                                             _ g: inout SystemRandomNumberGenerator) {
        let size = MemoryLayout<T>.size, srcStride = cols + sPad, dstStride = rows + dPad
        let source = (0..<(offset + rows * srcStride * size)).map { _ in UInt8.random(in: 0...255, using: &g) }
        // Destinations start filled with a marker: padding must stay untouched.
        var fast = [T](repeating: 0x5A, count: max(1, cols * dstStride)), naive = fast
        source.withUnsafeBytes { raw in
            let src = raw.baseAddress! + offset
            fast.withUnsafeMutableBufferPointer { dst in
                switch size {
                case 1: TileTranspose.transpose(src, srcStride: srcStride, rows: rows, cols: cols, into: UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: UInt8.self), dstStride: dstStride)
                case 2: TileTranspose.transpose(src, srcStride: srcStride, rows: rows, cols: cols, into: UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: UInt16.self), dstStride: dstStride)
                default: TileTranspose.transpose(src, srcStride: srcStride, rows: rows, cols: cols, into: UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: UInt32.self), dstStride: dstStride)
                }
            }
            naive.withUnsafeMutableBufferPointer { TileTranspose.transposeNaive(src, srcStride: srcStride, rows: rows, cols: cols, into: $0.baseAddress!, dstStride: dstStride) }
        }
        XCTAssertEqual(fast, naive, "\(T.self) \(rows)×\(cols), strides +\(sPad)/+\(dPad), offset \(offset)")
        // And the reference itself against the definition, at one element.
        if rows > 0, cols > 0 {
            let (r, c) = (rows - 1, cols / 2)
            let want = source.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + (r * srcStride + c) * size, as: T.self) }
            XCTAssertEqual(naive[c * dstStride + r], want)
        }
    }
}
