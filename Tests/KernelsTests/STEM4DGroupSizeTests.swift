import XCTest
@testable import Kernels

/// The group size of the 16-bit pattern pass from how the frames' streams share L2 sets.
final class STEM4DGroupSizeTests: XCTestCase {
    func testStreamsSharingL2SetsHalveTheGroup() {
        let way = 64 << 10
        // (detector side, streams of 8 sharing a set, frames per group) on a 64 KiB-way, 16-way L2.
        for (side, sharing, frames) in [(64, 1, 8), (96, 2, 8), (128, 4, 8), (256, 8, 4), (512, 8, 4), (100, 1, 8)] {
            let bytes = side * side * 2
            XCTAssertEqual(STEM4DGroupSize.sharing(frames: 8, frameBytes: bytes, waySize: way), sharing, "\(side)²")
            XCTAssertEqual(STEM4DGroupSize.frames(frameBytes: bytes, waySize: way, ways: 16), frames, "\(side)²")
        }
        // A larger way (2 MiB, 16 ways): 128² frames fall on two offsets only, 256² on one.
        XCTAssertEqual(STEM4DGroupSize.frames(frameBytes: 128 * 128 * 2, waySize: 128 << 10, ways: 16), 8)
        XCTAssertEqual(STEM4DGroupSize.frames(frameBytes: 256 * 256 * 2, waySize: 128 << 10, ways: 16), 4)
        // Fewer ways tolerate less sharing: 128² on an 8-way L2 of 64 KiB ways.
        XCTAssertEqual(STEM4DGroupSize.frames(frameBytes: 128 * 128 * 2, waySize: way, ways: 8), 4)
        // Odd sizes (no alignment at all) and a degenerate way size.
        XCTAssertEqual(STEM4DGroupSize.sharing(frames: 8, frameBytes: 7 * 13 * 2, waySize: way), 8, "8 tiny frames within one page")
        XCTAssertEqual(STEM4DGroupSize.frames(frameBytes: 7 * 13 * 2, waySize: way, ways: 16), 8, "one contiguous run, not 8 streams")
        XCTAssertEqual(STEM4DGroupSize.sharing(frames: 8, frameBytes: 4096, waySize: 0), 1)
    }
}
