import XCTest

@testable import Shared

final class PNGReadWriteTests: XCTestCase {
    func testGray8RoundTripKeepsValues() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("f1.png")
        let (w, h) = (7, 5)
        let pixels = (0..<(w * h)).map { UInt8(($0 * 37) % 256) }
        try PNGWriter.writeGray8(path: path, width: w, height: h, pixels: pixels)

        let header = try PNGHeader.read(path: path)
        XCTAssertEqual(header, PNGHeader(width: w, height: h, bitDepth: 8, colorType: .gray, interlaced: false))

        let image = try PNGImage.read(path: path)
        XCTAssertEqual(image.width, w)
        XCTAssertEqual(image.height, h)
        XCTAssertEqual(image.bitDepth, 8)
        XCTAssertEqual(image.pixels.map { UInt8(($0 * 255).rounded()) }, pixels)
        XCTAssertEqual(image.pixels[1], Float(37) / 255, accuracy: 1e-7)
    }

    func testGray16RoundTripKeepsValues() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("f16.png")
        let (w, h) = (13, 3)
        let pixels = (0..<(w * h)).map { UInt16(truncatingIfNeeded: $0 * 1733 + 5) }
        try PNGWriter.writeGray16(path: path, width: w, height: h, pixels: pixels)

        XCTAssertEqual(try PNGHeader.read(path: path).bitDepth, 16)
        let image = try PNGImage.read(path: path)
        XCTAssertEqual(image.bitDepth, 16)
        XCTAssertEqual(image.pixels.map { UInt16(($0 * 65535).rounded()) }, pixels)
    }

    func testRGBIsConvertedToLuma() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("rgb.png")
        // grey 128, pure red, pure green, pure blue, white, black
        let rgb: [UInt8] = [128, 128, 128, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0]
        try PNGWriter.writeRGB8(path: path, width: 6, height: 1, pixels: rgb)
        XCTAssertEqual(try PNGHeader.read(path: path).colorType, .rgb)

        let luma = try PNGImage.read(path: path).pixels
        XCTAssertEqual(luma[0], Float(128) / 255, accuracy: 1.5 / 255, "neutral grey keeps its level")
        XCTAssertEqual(luma[4], 1, accuracy: 1e-6)
        XCTAssertEqual(luma[5], 0, accuracy: 1e-6)
        XCTAssertGreaterThan(luma[2], luma[1], "green weighs more than red")
        XCTAssertGreaterThan(luma[1], luma[3], "red weighs more than blue")
    }

    func testScaledPreviewMapsRangeOntoBytes() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("preview.png")
        try PNGWriter.writeGray8(path: path, width: 4, height: 1, scaling: [-2, 0, 2, .nan])
        let pixels = try PNGImage.read(path: path).pixels.map { UInt8(($0 * 255).rounded()) }
        XCTAssertEqual(pixels, [0, 128, 255, 0])
    }

    func testWriterRejectsWrongSampleCount() {
        assertFormatError(.invalidArgument, containing: ["need 6"]) {
            try PNGWriter.writeGray8(path: "/tmp/never.png", width: 3, height: 2, pixels: [1, 2, 3])
        }
        assertFormatError(.invalidArgument) {
            try PNGWriter.writeRGB8(path: "/tmp/never.png", width: 2, height: 1, pixels: [1, 2, 3])
        }
    }

    func testWriteIntoMissingDirectoryFails() {
        assertFormatError(.writeFailed, containing: ["x.png"]) {
            try PNGWriter.writeGray8(path: "/nonexistent-dir-slipline/x.png", width: 1, height: 1, pixels: [0])
        }
    }

    func testLimitsCanBeTightened() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("f.png")
        try PNGWriter.writeGray8(path: path, width: 10, height: 10, pixels: [UInt8](repeating: 1, count: 100))
        assertFormatError(.tooLarge, containing: ["f.png", "10×10", "limit 8×8"]) {
            try PNGImage.read(path: path, limits: PNGLimits(maxWidth: 8, maxHeight: 8))
        }
        assertFormatError(.tooLarge, containing: ["100 pixels", "limit 50"]) {
            try PNGImage.read(path: path, limits: PNGLimits(maxPixels: 50))
        }
    }
}
