import Foundation
import XCTest

@testable import Shared

/// Merlin RAW-mode (`R64`) frames: hand-made bytes in the documented bit layout (independent of
/// `MIBWriter`), round trips through the writer over random depths, layouts and shapes, the quad
/// chip placement, and the errors.
final class FormatsMIBRawTests: XCTestCase {
    /// A frame header for `raw` stored data, followed by `payload`.
    private func rawFile(_ path: String, width: Int, height: Int, depth: Int, quad: Bool = false, payload: [UInt8]) throws {
        let layout = try MIBRawLayout(counterDepth: depth, chips: quad ? 4 : 1, sensorLayout: quad ? "2x2" : "1x1",
                                      storedWidth: width, storedHeight: height, path: path)
        let header = MIBFrameHeader(sequenceNumber: 1, headerLength: quad ? 768 : 384, chipCount: quad ? 4 : 1, width: width, height: height,
                                    pixelType: .u8, sensorLayout: quad ? "2x2" : "1x1", raw: layout)
        try Data(header.encoded() + payload).writeFixture(toPath: path)
    }

    private func counts(_ file: MIBFile) throws -> [UInt32] {
        var out = [UInt32](repeating: 0, count: file.frameCount * file.pixelsPerFrame)
        try out.withUnsafeMutableBufferPointer { try file.readFrames(0..<file.frameCount, into: $0) }
        return out
    }

    /// Each 64-bit word is big-endian and pixel p of it sits in bits p·b ..< (p+1)·b.
    func testHandMadeWordsDecodeAsDocumented() throws {
        let dir = try FormatsTempDirectory()
        // 1 bit, 64 × 2: pixel 0 is bit 0 (the word's last byte), pixel 9 bit 9, pixel 63 bit 63.
        var oneBit = [UInt8](repeating: 0, count: 16)
        oneBit[7] = 0x01; oneBit[6] = 0x02; oneBit[0] = 0x80; oneBit[15] = 0x04  // row 1: pixel 2
        try rawFile(dir.file("r1.mib"), width: 64, height: 2, depth: 1, payload: oneBit)
        let r1 = try counts(try MIBFile.open(path: dir.file("r1.mib")))
        XCTAssertEqual(r1.indices.filter { r1[$0] == 1 }, [0, 9, 63, 64 + 2])

        // 6 bit, 8 × 1: the bytes of a word in reverse.
        try rawFile(dir.file("r6.mib"), width: 8, height: 1, depth: 6, payload: [8, 7, 6, 5, 4, 3, 2, 63])
        XCTAssertEqual(try counts(try MIBFile.open(path: dir.file("r6.mib"))), [63, 2, 3, 4, 5, 6, 7, 8])

        // 12 bit, 4 × 1: big-endian 16-bit values, in reverse.
        try rawFile(dir.file("r12.mib"), width: 4, height: 1, depth: 12, payload: [0x0F, 0xFF, 0, 3, 0, 2, 0x01, 0x23])
        XCTAssertEqual(try counts(try MIBFile.open(path: dir.file("r12.mib"))), [0x123, 2, 3, 0xFFF])

        // 24 bit, 4 pixels declared as 8 wide: the high 12 bits' image, then the low 12 bits'.
        try rawFile(dir.file("r24.mib"), width: 8, height: 1, depth: 24,
                    payload: [0, 0, 0, 0, 0, 0, 0x0A, 0xBC, 0, 0, 0, 0, 0, 0, 0x0D, 0xEF])
        let r24 = try MIBFile.open(path: dir.file("r24.mib"))
        XCTAssertEqual(r24.frameShape, [1, 4])
        XCTAssertEqual(try counts(r24), [0xABCDEF, 0, 0, 0])
    }

    /// A quad stores rows of chips 4, 3, 2, 1; chips 3 and 4 (bottom) are rotated by 180°.
    func testQuadChipsArePlacedAndTurned() throws {
        let dir = try FormatsTempDirectory()
        let side = 4  // 12-bit chips of 4 × 4: a row of one chip is one word
        var payload = [UInt8](repeating: 0, count: side * 4 * side * 2)
        func put(row: Int, segment: Int, pixel: Int, _ value: UInt16) {
            let word = row * 4 + segment, byte = 8 * word + 2 * (3 - pixel)
            payload[byte] = UInt8(value >> 8); payload[byte + 1] = UInt8(value & 0xFF)
        }
        put(row: 0, segment: 3, pixel: 0, 7)   // chip 1, top-left, upright → (0, 0)
        put(row: 1, segment: 2, pixel: 3, 8)   // chip 2, top-right → (1, 4 + 3)
        put(row: 1, segment: 1, pixel: 2, 9)   // chip 3, bottom-left, rotated → (7 - 1, 3 - 2)
        put(row: 0, segment: 0, pixel: 0, 10)  // chip 4, bottom-right, rotated → (7, 7)
        try rawFile(dir.file("quad.mib"), width: 4 * side, height: side, depth: 12, quad: true, payload: payload)
        let file = try MIBFile.open(path: dir.file("quad.mib"))
        XCTAssertEqual(file.frameShape, [8, 8])
        let image = try counts(file)
        var want = [UInt32](repeating: 0, count: 64)
        want[0] = 7; want[1 * 8 + 7] = 8; want[6 * 8 + 1] = 9; want[7 * 8 + 7] = 10
        XCTAssertEqual(image, want)
    }

    /// Random depths, layouts, chip sides and scans: what is written reads back, through
    /// `MIBFile` (UInt32 and Float) and `STEM4DSource`.
    func testRoundTripsOverRandomLayouts() throws {
        let dir = try FormatsTempDirectory()
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<24 {
            let depth = [1, 6, 12, 24][trial % 4]
            let quad = depth != 24 && Bool.random(using: &rng)
            let unit = depth == 1 ? 64 : depth == 6 ? 8 : 4  // chip side granularity: whole words per row
            let side = unit * Int.random(in: 1...(depth == 1 ? 1 : 6), using: &rng)
            let (scanW, scanH) = (Int.random(in: 1...4, using: &rng), Int.random(in: 1...3, using: &rng))
            let n = (quad ? 4 : 1) * side * side
            let max = UInt32((1 << depth) - 1)
            let pixels = (0..<(n * scanW * scanH)).map { _ in Bool.random(using: &rng) ? UInt32.random(in: 0...max, using: &rng) : [0, max].randomElement(using: &rng)! }
            let path = dir.file("t\(trial).mib")
            try MIBWriter.writeRAW(path: path, side: side, counterDepth: depth, quad: quad, pixels: pixels, scan: MIBScanShape(width: scanW, height: scanH))
            let file = try MIBFile.open(path: path)
            let label = "depth \(depth) quad \(quad) side \(side) scan \(scanW)x\(scanH)"
            XCTAssertEqual(file.header.raw?.counterDepth, depth, label)
            XCTAssertEqual(file.frameShape, quad ? [2 * side, 2 * side] : [side, side], label)
            XCTAssertEqual(file.frameCount, scanW * scanH, label)
            XCTAssertEqual(try counts(file), pixels, label)
            if scanW * scanH > 1 {
                XCTAssertEqual(try file.readFrames(1..<2), pixels[n..<(2 * n)].map { Float($0) }, label)
            }
            let source = try STEM4DSource.open(path: path, scan: "\(scanW)x\(scanH)")
            XCTAssertEqual(source.shape, [scanH, scanW, file.height, file.width], label)
            let last = scanW * scanH - 1
            let got = try source.withFrames(last..<(last + 1)) { Array($0.bindMemory(to: UInt32.self)) }
            XCTAssertEqual(got, Array(pixels[(last * n)...]), label)
            XCTAssertTrue(source.summary.contains("Merlin MIB RAW \(depth)-bit"), source.summary)
            if quad { XCTAssertTrue(source.summary.contains("2×2 quad of \(side)² chips"), source.summary) }
        }
    }

    /// Non-RAW quads store the assembled image with 768-byte headers; read as stored.
    func testCountingModeQuadReadsAsStored() throws {
        let dir = try FormatsTempDirectory()
        let pixels = (0..<(2 * 16 * 16)).map { UInt32(($0 * 7919) % 4096) }
        try MIBWriter.write(path: dir.file("q.mib"), width: 16, height: 16, pixelType: .u16, pixels: pixels, quad: true)
        let file = try MIBFile.open(path: dir.file("q.mib"))
        XCTAssertEqual(file.header.headerLength, 768)
        XCTAssertEqual(file.header.chipCount, 4)
        XCTAssertEqual(try counts(file), pixels)
    }

    func testClearErrorsForRawFilesThatCannotBeRead() throws {
        let dir = try FormatsTempDirectory()
        assertFormatError(.unsupported, containing: ["q24.mib", "24-bit counters", "counting mode (U32)"]) {
            try MIBWriter.writeRAW(path: dir.file("q24.mib"), side: 4, counterDepth: 24, quad: true, pixels: [UInt32](repeating: 0, count: 64))
        }
        assertFormatError(.corrupt, containing: ["odd.mib", "whole 64-bit words"]) {
            try rawFile(dir.file("odd.mib"), width: 5, height: 2, depth: 12, payload: [])
        }
        assertFormatError(.invalidArgument, containing: ["does not fit 6 bits"]) {
            try MIBWriter.writeRAW(path: dir.file("big.mib"), side: 8, counterDepth: 6, quad: false, pixels: [UInt32](repeating: 64, count: 64))
        }
        // Three 1-bit quad chips' worth: the declared layout is not a 2x2 quad.
        var header = Array(MIBFrameHeader(sequenceNumber: 1, headerLength: 768, chipCount: 3, width: 192, height: 64, pixelType: .u8,
                                          sensorLayout: "3x1").encoded())
        let r = try XCTUnwrap(header.firstRange(of: Array(",U08,".utf8)))
        header.replaceSubrange(r, with: Array(",R64,".utf8))
        let d = try XCTUnwrap(header.firstRange(of: Array("ns,6,".utf8)))
        header.replaceSubrange(d, with: Array("ns,1,".utf8))
        try Data(header + [UInt8](repeating: 0, count: 192 * 64 / 8)).writeFixture(toPath: dir.file("three.mib"))
        assertFormatError(.unsupported, containing: ["three.mib", "3 chips in layout '3x1'", "one chip and the 2x2 quad"]) {
            try MIBFile.open(path: dir.file("three.mib"))
        }
        // A RAW file cut short names the complete frames.
        try MIBWriter.writeRAW(path: dir.file("cut.mib"), side: 64, counterDepth: 1, quad: true, pixels: [UInt32](repeating: 1, count: 3 * 128 * 128))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("cut.mib")))
        try bytes.prefix(bytes.count - 10).writeFixture(toPath: dir.file("cut.mib"))
        assertFormatError(.truncated, containing: ["cut.mib", "RAW 1-bit", "2 complete frames"]) { try MIBFile.open(path: dir.file("cut.mib")) }
    }
}

extension Array where Element == UInt8 {
    fileprivate func firstRange(of needle: [UInt8]) -> Range<Int>? {
        guard needle.count <= count else { return nil }
        return (0...(count - needle.count)).first { Array(self[$0..<($0 + needle.count)]) == needle }.map { $0..<($0 + needle.count) }
    }
}
