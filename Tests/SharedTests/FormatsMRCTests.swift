import XCTest

@testable import Shared

/// MRC/MRCS stacks written here (modes 0, 1, 2, 6, 12, 101, both byte orders, an extended
/// header, odd sizes) read back exactly; damaged headers and short files are clear errors.
final class FormatsMRCTests: XCTestCase {
    func testEveryModeAndByteOrderRoundTrips() throws {
        let dir = try FormatsTempDirectory()
        for (n, mode) in [0, 1, 2, 6, 12, 101].enumerated() {
            for bigEndian in [false, true] where !(mode == 101 && bigEndian) {
                var writer = MRCWriter(mode: mode)
                writer.bigEndian = bigEndian
                writer.pixelSizeNm = 0.37
                writer.extendedHeaderBytes = mode == 1 ? 2048 : 0
                let (w, h) = (13, 7)
                let frames = FrameFixtures.frames(3, width: w, height: h, type: writer.sampleType, seed: UInt64(n * 2 + (bigEndian ? 1 : 0)))
                let path = dir.file("m\(mode)-\(bigEndian).mrcs")
                try writer.write(path: path, width: w, height: h, frames: frames)
                let stack = try FrameStackFormat.open(path: path)
                XCTAssertTrue(stack is MRCStack)
                XCTAssertEqual([stack.width, stack.height, stack.frameCount], [w, h, 3])
                XCTAssertEqual(stack.metadata.pixelSizeNm ?? 0, 0.37, accuracy: 1e-5)
                let read = try FrameFixtures.readAll(stack)
                for f in 0..<3 {
                    XCTAssertEqual(read[f], FrameFixtures.expected(frames[f], writer.sampleType), "mode \(mode) big=\(bigEndian) frame \(f)")
                }
            }
        }
    }

    func testDamagedFilesAreClearErrors() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("a.mrc")
        try MRCWriter(mode: 2).write(path: path, width: 8, height: 8, frames: FrameFixtures.frames(4, width: 8, height: 8, type: .float32, seed: 1))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))

        try bytes.prefix(1024 + 8 * 8 * 4 * 2 + 5).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try MRCStack(path: path)) { error in
            let e = error as! FormatError
            XCTAssertEqual(e.kind, .truncated)
            XCTAssertTrue(e.description.contains("a.mrc") && e.description.contains("2 whole sections"), e.description)
        }
        var mode = bytes
        mode[12] = 4  // complex
        try mode.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try MRCStack(path: path)) { XCTAssertEqual(($0 as! FormatError).kind, .unsupported) }
        var huge = bytes
        huge[2] = 0x7F  // nx ≈ 8 million
        try huge.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try MRCStack(path: path)) { XCTAssertEqual(($0 as! FormatError).kind, .corrupt, "\($0)") }
        try bytes.prefix(100).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try MRCStack(path: path)) { XCTAssertEqual(($0 as! FormatError).kind, .truncated) }
    }
}
