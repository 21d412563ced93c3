import Foundation
import XCTest

@testable import Shared

/// The row-streaming decoder (libpng low-level API behind setjmp) against known pixels and
/// against libpng's simplified API, for every layout; damaged files must throw, never abort.
final class PNGStreamingTests: XCTestCase {
    /// Decodes with the public entry point (into a reused buffer) and with the simplified API;
    /// returns both and whether the rows were streamed.
    private func decodeBoth(_ path: String, reuse buffer: inout [Float]) throws -> (fast: [Float], simple: [Float], decoded: PNGImage.Decoded, streamed: Bool) {
        let (decoded, streamed) = try PNGImage.decode(path: path, into: &buffer, limits: .default)
        var simple: [Float] = []
        let d2 = try PNGImage.readSimplified(path: path, into: &simple, limits: .default)
        XCTAssertEqual(decoded, d2, path)
        XCTAssertEqual(buffer.count, decoded.width * decoded.height)
        return (buffer, simple, decoded, streamed)
    }

    private func noise(_ count: Int, seed: UInt32) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(state >> 24)
        }
    }

    func testGray8AwkwardWidthsAllCompressionsMatchStoredValues() throws {
        let dir = try FormatsTempDirectory()
        var buffer: [Float] = []
        let compressions: [PNGCompression] = [
            PNGCompression(level: 0, filters: .none), PNGCompression(level: 1, filters: .up),
            PNGCompression(level: 3, filters: .sub), .standard,
        ]
        for (w, h) in [(1, 1), (1, 40), (17, 9), (513, 70), (64, 64)] {
            let pixels = noise(w * h, seed: UInt32(w * 1000 + h))
            for (k, compression) in compressions.enumerated() {
                let path = dir.file("g8-\(w)x\(h)-\(k).png")
                try PNGWriter.writeGray8(path: path, width: w, height: h, pixels: pixels, compression: compression)
                let r = try decodeBoth(path, reuse: &buffer)
                XCTAssertTrue(r.streamed, "\(w)×\(h) \(compression)")
                XCTAssertEqual(r.decoded, PNGImage.Decoded(width: w, height: h, bitDepth: 8))
                XCTAssertEqual(r.fast, pixels.map { Float($0) * (Float(1) / 255) }, "\(w)×\(h) \(compression)")
                XCTAssertEqual(r.fast, r.simple, "\(w)×\(h) \(compression)")
            }
            // Files from the simplified writer (sRGB chunk) stream too.
            let path = dir.file("g8-\(w)x\(h)-simplified.png")
            try PNGWriter.writeGray8(path: path, width: w, height: h, pixels: pixels)
            let r = try decodeBoth(path, reuse: &buffer)
            XCTAssertTrue(r.streamed)
            XCTAssertEqual(r.fast, r.simple)
        }
    }

    func testGray16AwkwardWidthsMatchStoredValues() throws {
        let dir = try FormatsTempDirectory()
        var buffer: [Float] = []
        for (w, h) in [(1, 3), (17, 5), (513, 40)] {
            let pixels = (0..<(w * h)).map { UInt16(truncatingIfNeeded: $0 &* 40503 &+ 7) }
            for (k, compression) in [PNGCompression(level: 0, filters: .none), .standard].enumerated() {
                let path = dir.file("g16-\(w)x\(h)-\(k).png")
                try PNGWriter.writeGray16(path: path, width: w, height: h, pixels: pixels, compression: compression)
                let r = try decodeBoth(path, reuse: &buffer)
                XCTAssertTrue(r.streamed)
                XCTAssertEqual(r.decoded.bitDepth, 16)
                XCTAssertEqual(r.fast, pixels.map { Float($0) * (Float(1) / 65535) }, "\(w)×\(h)")
                XCTAssertEqual(r.fast, r.simple, "\(w)×\(h)")
            }
            let path = dir.file("g16-\(w)x\(h)-simplified.png")
            try PNGWriter.writeGray16(path: path, width: w, height: h, pixels: pixels)
            let r = try decodeBoth(path, reuse: &buffer)
            XCTAssertTrue(r.streamed)
            XCTAssertEqual(r.fast, r.simple)
        }
    }

    func testRGBFallsBackToLuminance() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("rgb.png")
        let (w, h) = (17, 3)
        try PNGWriter.writeRGB8(path: path, width: w, height: h, pixels: noise(3 * w * h, seed: 9))
        var buffer: [Float] = []
        let r = try decodeBoth(path, reuse: &buffer)
        XCTAssertFalse(r.streamed)
        XCTAssertEqual(r.fast, r.simple)
    }

    /// Layouts written by an independent pure-Python encoder: RGBA, palette, 1-bit, Adam7
    /// interlaced 8- and 16-bit grey, grey with tRNS, 8-bit grey marked linear (gAMA 1.0).
    func testForeignLayoutsMatchSimplifiedAPI() throws {
        let dir = try FormatsTempDirectory()
        let d = dir.path
        try FormatsPython.run("""
            import struct, zlib
            def chunk(t, d):
                return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
            def png(path, w, h, depth, ctype, raw, extra=b'', interlace=0):
                data = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, interlace))
                data += extra + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
                open(path, 'wb').write(data)
            def plain(rows):
                return b''.join(b'\\x00' + r for r in rows)
            w, h = 19, 11
            grey = [[(x * 13 + y * 29) % 256 for x in range(w)] for y in range(h)]
            png('\(d)/rgba.png', w, h, 8, 6, plain([bytes(v for x in range(w) for v in (grey[y][x], 255 - grey[y][x], (x * 7) % 256, 200)) for y in range(h)]))
            plte = chunk(b'PLTE', bytes(v for i in range(16) for v in (i * 16, i * 8, 255 - i * 16)))
            png('\(d)/pal.png', w, h, 8, 3, plain([bytes(grey[y][x] % 16 for x in range(w)) for y in range(h)]), plte)
            def pack1(row):
                row = row + [0] * (-len(row) % 8)
                return bytes(sum(row[i + k] << (7 - k) for k in range(8)) for i in range(0, len(row), 8))
            png('\(d)/g1.png', w, h, 1, 0, plain([pack1([grey[y][x] & 1 for x in range(w)]) for y in range(h)]))
            passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            def adam7(px, size):
                raw = b''
                for x0, y0, dx, dy in passes:
                    xs, ys = range(x0, w, dx), range(y0, h, dy)
                    if len(xs) == 0 or len(ys) == 0:
                        continue
                    for y in ys:
                        raw += b'\\x00' + b''.join(px[y][x].to_bytes(size, 'big') for x in xs)
                return raw
            png('\(d)/i8.png', w, h, 8, 0, adam7(grey, 1), interlace=1)
            png('\(d)/i16.png', w, h, 16, 0, adam7([[v * 256 + 3 for v in r] for r in grey], 2), interlace=1)
            png('\(d)/trns.png', w, h, 8, 0, plain([bytes(r) for r in grey]), chunk(b'tRNS', struct.pack('>H', grey[0][0])))
            png('\(d)/linear8.png', w, h, 8, 0, plain([bytes(r) for r in grey]), chunk(b'gAMA', struct.pack('>I', 100000)))
            png('\(d)/plain8.png', w, h, 8, 0, plain([bytes(r) for r in grey]))
            """, requiring: ["zlib"])
        let w = 19, h = 11
        let grey = (0..<(w * h)).map { Float(($0 % w * 13 + $0 / w * 29) % 256) }
        var buffer: [Float] = []
        for name in ["rgba", "pal", "g1", "i8", "i16", "trns", "linear8", "plain8"] {
            let r = try decodeBoth(d + "/\(name).png", reuse: &buffer)
            XCTAssertEqual(r.decoded.width, w, name)
            XCTAssertEqual(r.decoded.height, h, name)
            XCTAssertEqual(r.fast, r.simple, name)
            XCTAssertEqual(r.streamed, name == "plain8", name)
        }
        var pixels: [Float] = []
        _ = try PNGImage.read(path: d + "/i8.png", into: &pixels)
        XCTAssertEqual(pixels.map { ($0 * 255).rounded() }, grey)
        _ = try PNGImage.read(path: d + "/i16.png", into: &pixels)
        XCTAssertEqual(pixels.map { ($0 * 65535).rounded() }, grey.map { $0 * 256 + 3 })
        _ = try PNGImage.read(path: d + "/g1.png", into: &pixels)
        XCTAssertEqual(pixels, grey.map { Float(Int($0) & 1) })
        _ = try PNGImage.read(path: d + "/plain8.png", into: &pixels)
        XCTAssertEqual(pixels.map { ($0 * 255).rounded() }, grey)
        _ = try PNGImage.read(path: d + "/trns.png", into: &pixels)
        XCTAssertEqual(pixels[0], 0, "the transparent grey level is composited on black")
    }

    func testBufferIsReusedAndResized() throws {
        let dir = try FormatsTempDirectory()
        try PNGWriter.writeGray8(path: dir.file("a.png"), width: 8, height: 4, pixels: [UInt8](repeating: 255, count: 32), compression: PNGCompression(level: 0, filters: .none))
        try PNGWriter.writeGray8(path: dir.file("b.png"), width: 3, height: 2, pixels: [0, 51, 102, 153, 204, 255], compression: .standard)
        var buffer: [Float] = []
        XCTAssertEqual(try PNGImage.read(path: dir.file("a.png"), into: &buffer), PNGImage.Decoded(width: 8, height: 4, bitDepth: 8))
        XCTAssertEqual(buffer, [Float](repeating: 1, count: 32))
        XCTAssertEqual(try PNGImage.read(path: dir.file("b.png"), into: &buffer), PNGImage.Decoded(width: 3, height: 2, bitDepth: 8))
        XCTAssertEqual(buffer, [0, 51, 102, 153, 204, 255].map { Float($0) * (Float(1) / 255) })
        XCTAssertEqual(try PNGImage.read(path: dir.file("b.png")).pixels, buffer)
    }

    func testLimitsAreCheckedBeforeDecodingIntoABuffer() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("big.png")
        try PNGWriter.writeGray8(path: path, width: 40, height: 30, pixels: [UInt8](repeating: 7, count: 1200), compression: PNGCompression(level: 0, filters: .none))
        var buffer: [Float] = [1, 2, 3]
        assertFormatError(.tooLarge, containing: ["big.png", "40×30"]) {
            try PNGImage.read(path: path, into: &buffer, limits: PNGLimits(maxPixels: 1000))
        }
        XCTAssertEqual(buffer, [1, 2, 3], "nothing is allocated or written before the check")
    }

    func testTruncatedAndDamagedStreamedFilesThrow() throws {
        let dir = try FormatsTempDirectory()
        let good = dir.file("good.png")
        let (w, h) = (97, 61)
        for (k, compression) in [PNGCompression(level: 0, filters: .none), PNGCompression(level: 6, filters: .all)].enumerated() {
            try PNGWriter.writeGray8(path: good, width: w, height: h, pixels: noise(w * h, seed: 77), compression: compression)
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: good)))
            let path = dir.file("cut\(k).png")
            var buffer: [Float] = []
            for cut in [0, 8, 33, 60, 200, bytes.count / 3, bytes.count / 2, bytes.count - 20, bytes.count - 13] {
                try Data(bytes.prefix(cut)).writeFixture(toPath: path)
                do {
                    _ = try PNGImage.read(path: path, into: &buffer)
                    XCTFail("cut at \(cut) of \(bytes.count) decoded")
                } catch let error as FormatError {
                    XCTAssertTrue(error.description.hasPrefix("cannot read cut\(k).png: "), error.description)
                    XCTAssertTrue([.truncated, .corrupt].contains(error.kind), "\(error.kind) for cut \(cut)")
                }
            }
            // Damaged IDAT payload: the chunk CRC (or zlib's Adler-32) no longer matches.
            var damaged = bytes
            for i in stride(from: 120, to: bytes.count - 20, by: 331) { damaged[i] ^= 0x5A }
            let dpath = dir.file("damaged\(k).png")
            try Data(damaged).writeFixture(toPath: dpath)
            assertFormatError(.corrupt, containing: ["damaged\(k).png", "libpng"]) { try PNGImage.read(path: dpath, into: &buffer) }
        }
    }

    func testRandomGarbageInStreamedFilesNeverCrashes() throws {
        let dir = try FormatsTempDirectory()
        let good = dir.file("good.png")
        try PNGWriter.writeGray16(path: good, width: 23, height: 19, pixels: (0..<(23 * 19)).map { UInt16($0 * 97 % 65536) }, compression: PNGCompression(level: 0, filters: .none))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: good)))
        let path = dir.file("fuzz.png")
        var state: UInt64 = 7
        var buffer: [Float] = []
        for _ in 0..<200 {
            var b = bytes
            for _ in 0..<4 {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                b[8 + Int(state >> 33) % (b.count - 8)] = UInt8(truncatingIfNeeded: state >> 17)
            }
            try Data(b).writeFixture(toPath: path)
            _ = try? PNGImage.read(path: path, into: &buffer)
        }
    }

    func testWriterRejectsBadCompressionAndMissingDirectory() {
        assertFormatError(.invalidArgument) {
            try PNGWriter.writeGray8(path: "/tmp/never.png", width: 1, height: 1, pixels: [0], compression: PNGCompression(level: 12, filters: .none))
        }
        assertFormatError(.invalidArgument) {
            try PNGWriter.writeGray8(path: "/tmp/never.png", width: 1, height: 1, pixels: [0], compression: PNGCompression(level: 1, filters: []))
        }
        assertFormatError(.writeFailed, containing: ["x.png", "No such file"]) {
            try PNGWriter.writeGray8(path: "/nonexistent-dir-slipline/x.png", width: 1, height: 1, pixels: [0], compression: .standard)
        }
    }
}
