import XCTest

@testable import Shared

/// How a TEM video is found: a stack file (`FILE#N`), a directory of mixed frame files and
/// stacks in natural order, Gatan's in-situ layout in time order; content decides the format
/// whatever the extension.
final class FormatsVideoListingTests: XCTestCase {
    func testAStackFileIsFramesHashN() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("movie.tif")
        try TIFFWriter().write(path: path, width: 6, height: 5, frames: FrameFixtures.frames(4, width: 6, height: 5, type: .uint16, seed: 1))
        let video = try VideoListing(path: path)
        XCTAssertEqual(video.frames.map(\.text), (0..<4).map { "\(path)#\($0)" })
        XCTAssertEqual([video.width, video.height], [6, 5])
        XCTAssertEqual(FrameReference(parsing: "\(path)#3"), FrameReference(path: path, index: 3))
        XCTAssertEqual(FrameReference(parsing: path), FrameReference(path: path))
    }

    func testADirectoryMixesFormatsInNaturalOrderAndExpandsStacks() throws {
        let dir = try FormatsTempDirectory()
        let (w, h) = (8, 6)
        let one = FrameFixtures.frames(1, width: w, height: h, type: .uint8, seed: 2)
        try PNGWriter.writeGray8(path: dir.file("f10.png"), width: w, height: h, pixels: one[0].map { UInt8($0) })
        try TIFFWriter().write(path: dir.file("f2.tif"), width: w, height: h, frames: FrameFixtures.frames(1, width: w, height: h, type: .uint16, seed: 3))
        try MRCWriter(mode: 1).write(path: dir.file("f3.mrc"), width: w, height: h, frames: FrameFixtures.frames(2, width: w, height: h, type: .int16, seed: 4))
        try DMWriter(version: 4).write(path: dir.file("f1.dm4"), width: w, height: h, frames: FrameFixtures.frames(1, width: w, height: h, type: .uint16, seed: 5))
        try "notes".write(toFile: dir.file("notes.txt"), atomically: true, encoding: .utf8)
        let video = try VideoListing(path: dir.path)
        XCTAssertEqual(video.frames.map { ($0.text as NSString).lastPathComponent }, ["f1.dm4", "f2.tif", "f3.mrc#0", "f3.mrc#1", "f10.png"])
        XCTAssertEqual(video.ignored, ["notes.txt"])
        XCTAssertEqual(video.found.count, 4, "\(video.found)")
        // A frame of another size is an error naming it.
        try TIFFWriter().write(path: dir.file("f11.tif"), width: w + 1, height: h, frames: FrameFixtures.frames(1, width: w + 1, height: h, type: .uint16, seed: 6))
        XCTAssertThrowsError(try VideoListing(path: dir.path)) { XCTAssertTrue("\($0)".contains("f11.tif") && "\($0)".contains("9×6"), "\($0)") }
    }

    func testInSituLayoutIsInTimeOrderWithItsFrameInterval() throws {
        let dir = try FormatsTempDirectory()
        // Seconds 8, 9, 10, 11 of minute 59, hour 1, then second 0 of minute 0, hour 2:
        // numeric order, not text order; 5 frames in each whole second.
        var expected: [String] = []
        let seconds = [(1, 59, 8, 2), (1, 59, 9, 5), (1, 59, 10, 5), (1, 59, 11, 5), (2, 0, 0, 3)]
        for (hour, minute, second, count) in seconds {
            let folder = dir.path + String(format: "/Hour_%02d/Minute_%02d/Second_%02d", hour, minute, second)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for f in 0..<count {
                let index = expected.count
                let name = "insitu_Frame_\(index * 3 + 1).dm4"
                try DMWriter(version: 4).write(path: folder + "/" + name, width: 4, height: 4, frames: FrameFixtures.frames(1, width: 4, height: 4, type: .uint16, seed: UInt64(index)))
                expected.append(name)
                _ = f
            }
        }
        let video = try VideoListing(path: dir.path)
        XCTAssertEqual(video.frames.map { ($0.path as NSString).lastPathComponent }, expected)
        XCTAssertEqual(video.metadata.frameIntervalS ?? 0, 0.2, accuracy: 1e-12)
    }

    func testContentDecidesTheFormatAndUnknownFilesAreClearErrors() throws {
        let dir = try FormatsTempDirectory()
        try MRCWriter(mode: 2).write(path: dir.file("really-mrc.tif"), width: 4, height: 4, frames: FrameFixtures.frames(1, width: 4, height: 4, type: .float32, seed: 1))
        XCTAssertEqual(FrameStackFormat.detect(path: dir.file("really-mrc.tif")), .mrc)
        try TIFFWriter().write(path: dir.file("x.dat"), width: 4, height: 4, frames: FrameFixtures.frames(1, width: 4, height: 4, type: .uint16, seed: 1))
        XCTAssertEqual(FrameStackFormat.detect(path: dir.file("x.dat")), .tiff)
        try Data(repeating: 7, count: 2000).write(to: URL(fileURLWithPath: dir.file("noise.bin")))
        XCTAssertThrowsError(try FrameStackFormat.open(path: dir.file("noise.bin"))) { error in
            XCTAssertTrue("\(error)".contains("noise.bin") && "\(error)".contains("none of the TEM formats"), "\(error)")
        }
        XCTAssertThrowsError(try VideoListing(path: dir.file("missing"))) { XCTAssertTrue("\($0)".contains("does not exist"), "\($0)") }
    }
}
