import XCTest

@testable import Shared

/// TIFF stacks written through libtiff — every sample type, none/LZW/Deflate, classic and
/// BigTIFF, strips and tiles, odd sizes — read back exactly, with ImageJ calibration; a
/// damaged file is an error naming it.
final class FormatsTIFFTests: XCTestCase {
    func testSampleTypesCompressionsAndLayoutsRoundTrip() throws {
        let dir = try FormatsTempDirectory()
        let types: [SampleType] = [.uint8, .int8, .uint16, .int16, .uint32, .int32, .float32, .float64]
        var seed: UInt64 = 0
        for type in types {
            for compression in [TIFFWriter.Compression.none, .lzw, .deflate] {
                for (big, tile) in [(false, nil), (true, nil), (false, 16 as Int?)] {
                    seed += 1
                    var writer = TIFFWriter()
                    writer.sampleType = type
                    writer.compression = compression
                    writer.bigTIFF = big
                    writer.tile = tile
                    writer.rowsPerStrip = 5
                    let (w, h) = (37, 21)
                    let frames = FrameFixtures.frames(3, width: w, height: h, type: type, seed: seed)
                    let path = dir.file("s\(seed).tif")
                    try writer.write(path: path, width: w, height: h, frames: frames)
                    let stack = try FrameStackFormat.open(path: path)
                    XCTAssertTrue(stack is TIFFStack)
                    XCTAssertEqual([stack.width, stack.height, stack.frameCount], [w, h, 3])
                    XCTAssertEqual(stack.formatDescription.contains("BigTIFF"), big, stack.formatDescription)
                    // Backwards, forwards and repeated: page seeking in any order.
                    var pixels: [Float] = []
                    for f in [2, 0, 1, 1, 2] {
                        try stack.readFrame(f, into: &pixels)
                        XCTAssertEqual(pixels, FrameFixtures.expected(frames[f], type), "\(type) \(compression) big=\(big) tile=\(String(describing: tile)) frame \(f)")
                    }
                }
            }
        }
    }

    func testImageJCalibrationGivesPixelSizeAndFrameInterval() throws {
        let dir = try FormatsTempDirectory()
        var writer = TIFFWriter()
        writer.metadata = FrameMetadata(pixelSizeNm: 0.25, frameIntervalS: 0.04)
        let path = dir.file("cal.tif")
        try writer.write(path: path, width: 8, height: 8, frames: FrameFixtures.frames(2, width: 8, height: 8, type: .uint16, seed: 3))
        let stack = try TIFFStack(path: path)
        XCTAssertEqual(stack.metadata.pixelSizeNm ?? 0, 0.25, accuracy: 1e-6)
        XCTAssertEqual(stack.metadata.frameIntervalS ?? 0, 0.04, accuracy: 1e-12)
    }

    /// A fuzzer input (ops/fuzz/corpus/tiff) whose strip offset does not fit an Int: it trapped in
    /// the contiguous-strip fast path; now it is read or refused with an error, never a crash.
    func testStripOffsetBeyondIntIsNoCrash() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = repo.appendingPathComponent("ops/fuzz/corpus/tiff/regression-strip-offset-beyond-int.tif").path
        var pixels: [Float] = []
        do {
            let stack = try TIFFStack(path: path)
            for i in 0..<stack.frameCount {
                do { try stack.readFrame(i, into: &pixels) } catch { XCTAssertFalse("\(error)".isEmpty) }
            }
        } catch {
            XCTAssertTrue("\(error)".contains("regression-strip-offset-beyond-int.tif"), "\(error)")
        }
    }

    func testDamagedAndColourFilesAreClearErrors() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("d.tif")
        var writer = TIFFWriter()
        writer.compression = .lzw
        try writer.write(path: path, width: 64, height: 64, frames: FrameFixtures.frames(2, width: 64, height: 64, type: .uint16, seed: 5))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Cut inside the second page: its directory is lost, and the stack is refused rather
        // than read as one page.
        try bytes.prefix(bytes.count * 3 / 4).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TIFFStack(path: path)) { error in
            XCTAssertEqual((error as! FormatError).kind, .truncated)
            XCTAssertTrue("\(error)".contains("d.tif") && "\(error)".contains("breaks after page 0"), "\(error)")
        }
        try Data("II*\u{0}garbage".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TIFFStack(path: path)) { XCTAssertTrue("\($0)".hasPrefix("cannot read d.tif"), "\($0)") }
    }
}
