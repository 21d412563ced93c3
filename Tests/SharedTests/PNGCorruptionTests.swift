import Foundation
import XCTest

@testable import Shared

/// Damaged PNGs must fail with a FormatError that names the file, never crash or abort.
final class PNGCorruptionTests: XCTestCase {
    private func validPNG(_ dir: FormatsTempDirectory, width: Int = 64, height: Int = 48) throws -> [UInt8] {
        let path = dir.file("valid.png")
        // Noise compresses badly, so the IDAT is long enough to cut in the middle.
        var state: UInt32 = 12345
        let pixels = (0..<(width * height)).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(state >> 24)
        }
        try PNGWriter.writeGray8(path: path, width: width, height: height, pixels: pixels)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A PNG with the given IHDR fields and a correct CRC, followed by a tiny IDAT and IEND.
    private func handCraftedPNG(width: UInt32, height: UInt32, bitDepth: UInt8 = 8, colorType: UInt8 = 0) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(UInt32(data.count)) + body + be32(crc32(body))
        }
        let ihdr = be32(width) + be32(height) + [bitDepth, colorType, 0, 0, 0]
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]
        return PNGHeader.signature + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    private func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    /// Independent CRC-32 so the test does not trust the code under test.
    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    func testHugeDeclaredDimensionsAreRefusedBeforeDecoding() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("f0012.png")
        try Data(handCraftedPNG(width: 70000, height: 70000)).writeFixture(toPath: path)
        let header = try PNGHeader.read(path: path)
        XCTAssertEqual(header.width, 70000)
        let error = assertFormatError(.tooLarge) { try PNGImage.read(path: path) }
        XCTAssertEqual(error?.description, "cannot read f0012.png: PNG IHDR declares 70000×70000 pixels (limit 32768×32768)")
    }

    func testTotalPixelLimit() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("wide.png")
        try Data(handCraftedPNG(width: 30000, height: 30000)).writeFixture(toPath: path)
        assertFormatError(.tooLarge, containing: ["wide.png", "900000000 pixels", "limit 268435456"]) {
            try PNGImage.read(path: path)
        }
    }

    func testDeclaredSizeLargerThanDataIsAnError() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("short.png")
        // Plausible dimensions, but the IDAT holds one byte of pixel data.
        try Data(handCraftedPNG(width: 200, height: 100)).writeFixture(toPath: path)
        let error = assertFormatError(.truncated) { try PNGImage.read(path: path) }
        XCTAssertTrue(error?.description.hasPrefix("cannot read short.png: PNG file ends before its image data is complete (libpng:") ?? false, "\(String(describing: error))")
    }

    func testTruncatedFilesAtManyOffsetsThrow() throws {
        let dir = try FormatsTempDirectory()
        let bytes = try validPNG(dir)
        let path = dir.file("cut.png")
        for cut in [0, 5, 8, 20, 33, 40, bytes.count / 2, bytes.count - 13, bytes.count - 1] {
            try Data(bytes.prefix(cut)).writeFixture(toPath: path)
            do {
                _ = try PNGImage.read(path: path)
                // Only a cut inside the trailing IEND chunk may still decode.
                XCTAssertGreaterThanOrEqual(cut, bytes.count - 12, "cut at \(cut) of \(bytes.count) decoded")
            } catch let error as FormatError {
                XCTAssertTrue(error.description.hasPrefix("cannot read cut.png: "), error.description)
                XCTAssertTrue([.truncated, .corrupt].contains(error.kind), "\(error.kind) for cut \(cut)")
            }
        }
    }

    func testDamagedImageDataThrows() throws {
        let dir = try FormatsTempDirectory()
        var bytes = try validPNG(dir)
        let path = dir.file("damaged.png")
        // Flip bits inside the IDAT payload: the chunk CRC no longer matches.
        for i in stride(from: 60, to: bytes.count - 20, by: 97) { bytes[i] ^= 0x5A }
        try Data(bytes).writeFixture(toPath: path)
        assertFormatError(.corrupt, containing: ["damaged.png", "libpng"]) { try PNGImage.read(path: path) }
    }

    func testBadIHDRCRCAndSignature() throws {
        let dir = try FormatsTempDirectory()
        var bytes = handCraftedPNG(width: 4, height: 4)
        bytes[20] ^= 1
        try Data(bytes).writeFixture(toPath: dir.file("crc.png"))
        assertFormatError(.corrupt, containing: ["crc.png", "bad CRC"]) { try PNGImage.read(path: dir.file("crc.png")) }

        try Data("GIF89a not a png at all, nope".utf8).writeFixture(toPath: dir.file("x.png"))
        assertFormatError(.corrupt, containing: ["not a PNG file"]) { try PNGHeader.read(path: dir.file("x.png")) }

        try Data(handCraftedPNG(width: 4, height: 4, bitDepth: 16, colorType: 3)).writeFixture(toPath: dir.file("depth.png"))
        assertFormatError(.corrupt, containing: ["bit depth 16"]) { try PNGImage.read(path: dir.file("depth.png")) }

        try Data(handCraftedPNG(width: 0, height: 4)).writeFixture(toPath: dir.file("zero.png"))
        assertFormatError(.corrupt, containing: ["0×4"]) { try PNGImage.read(path: dir.file("zero.png")) }
    }

    func testMissingFile() {
        assertFormatError(.unreadable, containing: ["cannot read nope.png", "No such file"]) {
            try PNGImage.read(path: "/tmp/definitely-missing-dir/nope.png")
        }
    }

    func testRandomGarbageNeverCrashes() throws {
        let dir = try FormatsTempDirectory()
        let good = try validPNG(dir, width: 16, height: 16)
        let path = dir.file("fuzz.png")
        var state: UInt64 = 42
        for _ in 0..<200 {
            var bytes = good
            for _ in 0..<4 {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                let index = 8 + Int(state >> 33) % (bytes.count - 8)
                bytes[index] = UInt8(truncatingIfNeeded: state >> 17)
            }
            try Data(bytes).writeFixture(toPath: path)
            _ = try? PNGImage.read(path: path)
        }
    }
}
