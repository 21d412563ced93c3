import XCTest

@testable import Shared

/// DigitalMicrograph DM3/DM4 images and 3D stacks written here read back exactly, with their
/// calibration; a thumbnail is skipped, 4D files and damaged files are clear errors.
final class FormatsDMTests: XCTestCase {
    func testStacksAndImagesOfEveryTypeRoundTrip() throws {
        let dir = try FormatsTempDirectory()
        var seed: UInt64 = 100
        for version in [3, 4] {
            for type in [SampleType.uint8, .int8, .uint16, .int16, .uint32, .int32, .float32, .float64] {
                for count in [1, 4] {
                    seed += 1
                    var writer = DMWriter(version: version)
                    writer.sampleType = type
                    writer.pixelSizeNm = 0.125
                    writer.frameIntervalS = count > 1 ? 0.1 : nil
                    let (w, h) = (19, 11)
                    let frames = FrameFixtures.frames(count, width: w, height: h, type: type, seed: seed)
                    let path = dir.file("i\(seed).dm\(version)")
                    try writer.write(path: path, width: w, height: h, frames: frames)
                    let stack = try FrameStackFormat.open(path: path)
                    XCTAssertTrue(stack is DMStack)
                    XCTAssertEqual([stack.width, stack.height, stack.frameCount], [w, h, count])
                    XCTAssertEqual(stack.metadata.pixelSizeNm ?? 0, 0.125, accuracy: 1e-6)
                    XCTAssertEqual(stack.metadata.frameIntervalS.map { Float($0) }, count > 1 ? Float(0.1) : nil)
                    let read = try FrameFixtures.readAll(stack)
                    for f in 0..<count { XCTAssertEqual(read[f], FrameFixtures.expected(frames[f], type), "DM\(version) \(type) frame \(f)") }
                }
            }
        }
    }

    func testFourDimensionalAndDamagedFilesAreClearErrors() throws {
        let dir = try FormatsTempDirectory()
        var writer = DMWriter(version: 4)
        writer.extraDimensions = [2]
        let path4 = dir.file("cube.dm4")
        try writer.write(path: path4, width: 4, height: 4, frames: FrameFixtures.frames(3, width: 4, height: 4, type: .uint16, seed: 1) + FrameFixtures.frames(3, width: 4, height: 4, type: .uint16, seed: 2))
        XCTAssertThrowsError(try DMStack(path: path4)) { error in
            XCTAssertEqual((error as! FormatError).kind, .wrongShape)
            XCTAssertTrue("\(error)".contains("stem4d"), "\(error)")
        }
        let path = dir.file("cut.dm4")
        try DMWriter(version: 4).write(path: path, width: 64, height: 64, frames: FrameFixtures.frames(3, width: 64, height: 64, type: .uint16, seed: 3))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in [10, 100, 400, bytes.count / 2] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try DMStack(path: path), "cut at \(cut)") { error in
                XCTAssertTrue("\(error)".hasPrefix("cannot read cut.dm4: "), "\(error)")
            }
        }
        var flipped = bytes
        flipped[3] = 7  // version 7
        try flipped.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try DMStack(path: path)) { XCTAssertEqual(($0 as! FormatError).kind, .corrupt) }
    }
}
