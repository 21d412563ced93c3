import XCTest

@testable import Shared

/// JPEG frames through libjpeg-turbo: a smooth grey frame comes back within JPEG's
/// quantisation error; a truncated or foreign file is an error naming it.
final class FormatsJPEGTests: XCTestCase {
    func testGreyFrameRoundTripsWithinQuantisation() throws {
        let dir = try FormatsTempDirectory()
        let (w, h) = (45, 29)
        let grey = (0..<(w * h)).map { i in UInt8(128 + 60 * sin(Double(i % w) / 5) * cos(Double(i / w) / 7)) }
        let path = dir.file("f.jpg")
        try JPEGWriter.write(path: path, width: w, height: h, grey: grey, quality: 98)
        let stack = try FrameStackFormat.open(path: path)
        XCTAssertTrue(stack is JPEGImage)
        XCTAssertEqual([stack.width, stack.height, stack.frameCount], [w, h, 1])
        var pixels: [Float] = []
        try stack.readFrame(0, into: &pixels)
        let worst = zip(pixels, grey).map { abs($0 * 255 - Float($1)) }.max() ?? 99
        XCTAssertLessThan(worst, 6)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try JPEGImage(path: path).readFrame(0, into: &pixels)) { XCTAssertTrue("\($0)".hasPrefix("cannot read f.jpg"), "\($0)") }
        try Data([0xFF, 0xD8, 0xFF, 0, 1, 2]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try JPEGImage(path: path)) { XCTAssertTrue("\($0)".hasPrefix("cannot read f.jpg"), "\($0)") }
    }
}
