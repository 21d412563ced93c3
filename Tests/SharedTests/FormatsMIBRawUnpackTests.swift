import XCTest

@testable import Shared

/// The SIMD Merlin RAW unpacker against its naive reference: every pixel width (1, 8, 16 bits),
/// word counts around the 8-word SIMD block (0, 1, 7, 8, 9, …, 1001), misaligned sources,
/// shifted and accumulated counts (24-bit frames), nothing written past the end; and whole
/// frames (`MIBRawLayout.decode` against `decodeNaive`) for counter depths 1, 6, 12, 24, single
/// chips of odd heights and quads of several chip sides, on random words.
final class FormatsMIBRawUnpackTests: XCTestCase {
    private let wordCounts = [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1001]
    private let sentinel: UInt32 = 0xDEAD_BEEF

    func testUnpackMatchesReferenceOnAwkwardShapes() {
        var g = SystemRandomNumberGenerator()
        for bits in [1, 8, 16] {
            for words in wordCounts {
                for offset in [0, 1, 3, 7] {
                    for (shift, accumulate) in [(UInt32(0), false), (12, false), (0, true)] {
                        check(bits: bits, words: words, offset: offset, shift: shift, accumulate: accumulate, &g)
                    }
                }
            }
        }
    }

    private func check(bits: Int, words: Int, offset: Int, shift: UInt32, accumulate: Bool, _ g: inout SystemRandomNumberGenerator) {
        let label = "bits \(bits), \(words) words, source offset \(offset), shift \(shift), accumulate \(accumulate)"
        let source = (0..<(offset + 8 * words)).map { _ in UInt8.random(in: 0...255, using: &g) }
        let count = words * 64 / bits
        // Prefilled (what accumulate ORs into), with a sentinel tail that must stay untouched.
        let prefill = (0..<count).map { _ in UInt32.random(in: 0...0xFFF, using: &g) } + [UInt32](repeating: sentinel, count: 17)
        var fast = prefill, naive = prefill
        source.withUnsafeBytes { s in
            let start = s.baseAddress! + offset
            fast.withUnsafeMutableBufferPointer { MIBRawUnpack.unpack(start, words: words, bits: bits, into: $0.baseAddress!, shift: shift, accumulate: accumulate) }
            naive.withUnsafeMutableBufferPointer { MIBRawUnpack.unpackNaive(start, words: words, bits: bits, into: $0.baseAddress!, shift: shift, accumulate: accumulate) }
        }
        XCTAssertEqual(fast, naive, label)
        XCTAssertEqual(Array(fast[count...]), [UInt32](repeating: sentinel, count: 17), "\(label): wrote past the end")
    }

    /// A hand-made 16-bit word: pixel 0 is the word's least significant 16 bits (its last two bytes).
    func testSixteenBitPixelOrderIsTheDocumentedOne() {
        let bytes: [UInt8] = [0x00, 0x04, 0x00, 0x03, 0x00, 0x02, 0x00, 0x01] + (1...7).flatMap { w in [0, 0, 0, 0, 0, 0, 0, UInt8(w)] }
        var out = [UInt32](repeating: 0, count: 32)
        bytes.withUnsafeBytes { s in out.withUnsafeMutableBufferPointer { MIBRawUnpack.unpack(s.baseAddress!, words: 8, bits: 16, into: $0.baseAddress!) } }
        XCTAssertEqual(Array(out[0..<4]), [1, 2, 3, 4])
        XCTAssertEqual((1...7).map { out[4 * $0] }, [1, 2, 3, 4, 5, 6, 7])
    }

    func testFramesDecodeAsTheReferenceForEveryDepthAndLayout() throws {
        var g = SystemRandomNumberGenerator()
        // (depth, quad, stored width, stored height): single chips of odd heights; quads of
        // several chip sides (a segment must fill whole 64-bit words: 1-bit sides are multiples
        // of 64, 6-bit of 8, 12-bit of 4).
        let layouts: [(Int, Bool, Int, Int)] = [
            (1, false, 64, 3), (1, false, 192, 7), (6, false, 8, 1), (6, false, 72, 5), (12, false, 4, 9), (12, false, 260, 3),
            (24, false, 8, 5), (24, false, 136, 3), (1, true, 256, 64), (6, true, 32, 8), (6, true, 96, 24),
            (12, true, 16, 4), (12, true, 48, 12), (12, true, 144, 36),
        ]
        for (depth, quad, storedWidth, storedHeight) in layouts {
            let layout = try MIBRawLayout(counterDepth: depth, chips: quad ? 4 : 1, sensorLayout: quad ? "2x2" : "1x1",
                                          storedWidth: storedWidth, storedHeight: storedHeight, path: "test.mib")
            let payload = (0..<layout.payloadBytes).map { _ in UInt8.random(in: 0...255, using: &g) }
            let n = layout.width * layout.height
            var fast = [UInt32](repeating: sentinel, count: n), naive = fast
            payload.withUnsafeBytes { p in
                fast.withUnsafeMutableBufferPointer { layout.decode(p.baseAddress!, into: $0.baseAddress!) }
                naive.withUnsafeMutableBufferPointer { layout.decodeNaive(p.baseAddress!, into: $0.baseAddress!) }
            }
            XCTAssertEqual(fast, naive, "depth \(depth), quad \(quad), stored \(storedWidth)×\(storedHeight)")
            XCTAssertFalse(fast.contains(sentinel), "depth \(depth), quad \(quad): every pixel written")
        }
    }
}
