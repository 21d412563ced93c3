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
}
