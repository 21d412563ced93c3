import Foundation
import XCTest

@testable import Shared

final class FormatsMIBTests: XCTestCase {
    private func pattern(_ n: Int, modulo: Int) -> [UInt32] {
        (0..<n).map { UInt32(($0 &* 2_654_435_761) % modulo) }
    }

    func testU16RoundTripWithScanFromHeaderFile() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("scan.mib")
        let (w, h, frames) = (5, 7, 12)
        let pixels = pattern(w * h * frames, modulo: 65536)
        try MIBWriter.write(path: path, width: w, height: h, pixelType: .u16, pixels: pixels, scan: MIBScanShape(width: 4, height: 3))

        let file = try MIBFile.open(path: path)
        XCTAssertEqual(file.frameCount, frames)
        XCTAssertEqual(file.frameShape, [h, w])
        XCTAssertEqual(file.pixelType, .u16)
        XCTAssertEqual(file.header.headerLength, 384)
        XCTAssertEqual(file.header.sequenceNumber, 1)
        XCTAssertEqual(file.scanShape, MIBScanShape(width: 4, height: 3))
        XCTAssertEqual(file.acquisition?.framesInAcquisition, 12)

        var wide = [UInt32](repeating: 0, count: 3 * w * h)
        try wide.withUnsafeMutableBufferPointer { try file.readFrames(2..<5, into: $0) }
        XCTAssertEqual(wide, Array(pixels[(2 * w * h)..<(5 * w * h)]))
        XCTAssertEqual(try file.readFrames(0..<frames), pixels.map { Float($0) })
        XCTAssertEqual(try file.readFrames(3..<3), [])
    }

    func testU8AndU32AndMissingHeaderFile() throws {
        let dir = try FormatsTempDirectory()
        for (type, modulo) in [(MIBPixelType.u8, 256), (.u32, Int(UInt32.max))] {
            let path = dir.file("d_\(type.rawValue).mib")
            let pixels = pattern(3 * 4 * 6, modulo: modulo)
            try MIBWriter.write(path: path, width: 3, height: 4, pixelType: type, pixels: pixels, writeHeaderFile: false)
            let file = try MIBFile.open(path: path)
            XCTAssertNil(file.acquisition)
            XCTAssertNil(file.scanShape)
            XCTAssertEqual(file.frameCount, 6)
            var out = [UInt32](repeating: 0, count: pixels.count)
            try out.withUnsafeMutableBufferPointer { try file.readFrames(0..<6, into: $0) }
            XCTAssertEqual(out, pixels)
        }
    }

    func testRawFramesWithAnUnknownCounterDepthAreRefused() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("raw.mib")
        try MIBWriter.write(path: path, width: 4, height: 4, pixelType: .u16, pixels: [UInt32](repeating: 1, count: 32))
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let range = try XCTUnwrap(findSubsequence(Array(",U16,".utf8), in: bytes))
        bytes.replaceSubrange(range, with: Array(",R64,".utf8))
        let depth = try XCTUnwrap(findSubsequence(Array("ns,12,".utf8), in: bytes))
        bytes.replaceSubrange(depth, with: Array("ns,13,".utf8))
        try Data(bytes).writeFixture(toPath: path)
        assertFormatError(.unsupported, containing: ["cannot read raw.mib", "counter depth 13", "1, 6, 12 and 24"]) {
            try MIBFile.open(path: path)
        }
    }

    func testTruncatedAndCorruptFiles() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("cut.mib")
        try MIBWriter.write(path: path, width: 8, height: 8, pixelType: .u16, pixels: [UInt32](repeating: 9, count: 64 * 5))
        let full = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let stride = 384 + 128
        XCTAssertEqual(full.count, 5 * stride)

        try Data(full.prefix(full.count - 100)).writeFixture(toPath: path)
        assertFormatError(.truncated, containing: ["cut.mib", "4 complete frames", "trim the file to \(4 * stride) bytes"]) {
            try MIBFile.open(path: path)
        }
        try Data(full.prefix(200)).writeFixture(toPath: path)
        assertFormatError(.truncated, containing: ["ends inside the first frame header"]) { try MIBFile.open(path: path) }

        // A damaged header in the middle is found when that frame is read.
        var damaged = full
        damaged[2 * stride] = UInt8(ascii: "X")
        try Data(damaged).writeFixture(toPath: path)
        let file = try MIBFile.open(path: path)
        XCTAssertNoThrow(try file.readFrames(0..<2))
        assertFormatError(.corrupt, containing: ["frame 2 does not start with 'MQ1,'"]) { try file.readFrames(1..<3) }
        assertFormatError(.invalidArgument, containing: ["outside 0..<5"]) { try file.readFrames(4..<6) }
        var small = [Float](repeating: 0, count: 10)
        assertFormatError(.invalidArgument, containing: ["buffer holds 10 values"]) {
            try small.withUnsafeMutableBufferPointer { try file.readFrames(0..<1, into: $0) }
        }

        try Data("MQ1,000001,abc".utf8).writeFixture(toPath: dir.file("bad.mib"))
        assertFormatError(.corrupt, containing: ["incomplete"]) { try MIBFile.open(path: dir.file("bad.mib")) }
        try Data("\u{89}PNG not a mib".utf8).writeFixture(toPath: dir.file("png.mib"))
        assertFormatError(.corrupt, containing: ["not a Merlin .mib file"]) { try MIBFile.open(path: dir.file("png.mib")) }
        var huge = Array(MIBFrameHeader(sequenceNumber: 1, headerLength: 384, chipCount: 1, width: 70000, height: 2, pixelType: .u8, sensorLayout: "1x1").encoded())
        huge += [UInt8](repeating: 0, count: 64)
        try Data(huge).writeFixture(toPath: dir.file("huge.mib"))
        assertFormatError(.tooLarge, containing: ["70000×2"]) { try MIBFile.open(path: dir.file("huge.mib")) }
    }

    func testHeaderFileParsing() {
        let text = """
            HDR,\t
            Time and Date Stamp (day, mnth, yr, hr, min, s):\t05/12/2019 11:00:12
            Frames in Acquisition (Number):\t65536
            Frames per Trigger (Number):\t256
            Assembly Size (NX1, 2X2):\t   2x2
            End\t
            """
        let header = MIBAcquisitionHeader.parse(text)
        XCTAssertEqual(header.framesInAcquisition, 65536)
        XCTAssertEqual(header.framesPerTrigger, 256)
        XCTAssertEqual(header.scanShape, MIBScanShape(width: 256, height: 256))
        XCTAssertEqual(header.fields["Time and Date Stamp (day, mnth, yr, hr, min, s)"], "05/12/2019 11:00:12")
        XCTAssertEqual(header.fields["Assembly Size (NX1, 2X2)"], "2x2")

        XCTAssertNil(MIBAcquisitionHeader.parse("Frames in Acquisition (Number):\t100\nFrames per Trigger (Number):\t1\n").scanShape)
        XCTAssertNil(MIBAcquisitionHeader.parse("Frames in Acquisition (Number):\t100\nFrames per Trigger (Number):\t100\n").scanShape)
        XCTAssertNil(MIBAcquisitionHeader.parse("Frames in Acquisition (Number):\t100\nFrames per Trigger (Number):\t7\n").scanShape)

        XCTAssertEqual(MIBScanShape(parsing: "256x128"), MIBScanShape(width: 256, height: 128))
        XCTAssertEqual(MIBScanShape(parsing: "4X3"), MIBScanShape(width: 4, height: 3))
        XCTAssertNil(MIBScanShape(parsing: "0x3"))
        XCTAssertNil(MIBScanShape(parsing: "12"))
        XCTAssertNil(MIBScanShape(parsing: "ax3"))
    }

    func testWriterValidatesInput() {
        assertFormatError(.invalidArgument, containing: ["does not fit U08"]) {
            try MIBWriter.write(path: "/tmp/never.mib", width: 1, height: 1, pixelType: .u8, pixels: [300])
        }
        assertFormatError(.invalidArgument, containing: ["scan 2x2 needs 4 frames, 3 given"]) {
            try MIBWriter.write(path: "/tmp/never.mib", width: 1, height: 1, pixelType: .u8, pixels: [1, 2, 3], scan: MIBScanShape(width: 2, height: 2))
        }
    }

    private func findSubsequence(_ needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle {
            return start..<(start + needle.count)
        }
        return nil
    }
}
