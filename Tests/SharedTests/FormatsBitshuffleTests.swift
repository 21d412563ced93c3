import XCTest

@testable import Shared

/// The SIMD bit un-transpose against its bit-by-bit definition, on awkward sizes.
final class FormatsBitshuffleTests: XCTestCase {
    func testKernelMatchesReferenceOnAwkwardShapes() {
        var rng = SystemRandomNumberGenerator()
        for elementSize in [1, 2, 3, 4, 8] {
            for count in [8, 16, 24, 8 * 37, 8 * 1031, 8192] {
                let bytes = (0..<(count * elementSize)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                var fast = [UInt8](repeating: 0xAA, count: bytes.count), slow = fast
                bytes.withUnsafeBytes { input in
                    fast.withUnsafeMutableBytes { Bitshuffle.unshuffle(input, into: $0, count: count, elementSize: elementSize) }
                    slow.withUnsafeMutableBytes { Bitshuffle.unshuffleReference(input, into: $0, count: count, elementSize: elementSize) }
                }
                XCTAssertEqual(fast, slow, "element size \(elementSize), \(count) elements")
            }
        }
    }

    func testReferenceFollowsTheDefinition() {
        // 8 uint16 elements: element e has only bit e of its low byte and bit 7 - e of its
        // high byte set. Row 8·j + i holds bit i of byte j for all 8 elements.
        var transposed = [UInt8](repeating: 0, count: 16)
        for e in 0..<8 {
            transposed[e] |= 1 << e          // row i = e (byte 0, bit e), element e
            transposed[8 + (7 - e)] |= 1 << e  // row 8 + (7 - e) (byte 1, bit 7 - e), element e
        }
        var out = [UInt8](repeating: 0, count: 16)
        transposed.withUnsafeBytes { input in out.withUnsafeMutableBytes { Bitshuffle.unshuffleReference(input, into: $0, count: 8, elementSize: 2) } }
        XCTAssertEqual(out, (0..<8).flatMap { [UInt8(1 << $0), UInt8(1 << (7 - $0))] })
    }
}
