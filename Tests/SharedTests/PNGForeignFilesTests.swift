import XCTest

@testable import Shared

/// PNG layouts Slipline does not write itself, produced by a minimal pure-Python encoder
/// (zlib + struct only) so the decoder is checked against files from another implementation.
final class PNGForeignFilesTests: XCTestCase {
    private static let encoder = """
        import struct, zlib, sys
        def chunk(t, d):
            return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
        def png(path, w, h, depth, ctype, rows, extra=b''):
            raw = b''.join(b'\\x00' + r for r in rows)
            data = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 0))
            data += extra + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
            open(path, 'wb').write(data)
        """

    func testPaletteGreyAlphaRGBA16AndLowBitDepths() throws {
        let dir = try FormatsTempDirectory()
        let d = dir.path
        try FormatsPython.run(Self.encoder + """
            # 16-bit grey, big-endian samples
            png('\(d)/g16.png', 3, 2, 16, 0, [struct.pack('>3H', 0, 1000, 65535), struct.pack('>3H', 7, 8, 9)])
            # 1-bit grey: 1 0 1 1 0 0 0 1 1
            png('\(d)/g1.png', 9, 1, 1, 0, [bytes([0b10110001, 0b10000000])])
            # palette: index 0 = grey 10, 1 = grey 200, 2 = white
            plte = chunk(b'PLTE', bytes([10, 10, 10, 200, 200, 200, 255, 255, 255]))
            png('\(d)/pal.png', 3, 1, 8, 3, [bytes([2, 0, 1])], plte)
            # grey + alpha, fully opaque
            png('\(d)/ga.png', 2, 1, 8, 4, [bytes([50, 255, 250, 255])])
            # RGBA 16-bit, opaque white and opaque black
            png('\(d)/rgba16.png', 2, 1, 16, 6, [struct.pack('>8H', 65535, 65535, 65535, 65535, 0, 0, 0, 65535)])
            """, requiring: ["zlib"])

        let g16 = try PNGImage.read(path: d + "/g16.png")
        XCTAssertEqual(g16.bitDepth, 16)
        XCTAssertEqual(g16.pixels.map { UInt16(($0 * 65535).rounded()) }, [0, 1000, 65535, 7, 8, 9])

        let g1 = try PNGImage.read(path: d + "/g1.png")
        XCTAssertEqual(try PNGHeader.read(path: d + "/g1.png").bitDepth, 1)
        XCTAssertEqual(g1.bitDepth, 8)
        XCTAssertEqual(g1.pixels, [1, 0, 1, 1, 0, 0, 0, 1, 1])

        let pal = try PNGImage.read(path: d + "/pal.png")
        XCTAssertEqual(try PNGHeader.read(path: d + "/pal.png").colorType, .palette)
        XCTAssertEqual(pal.pixels.map { UInt8(($0 * 255).rounded()) }, [255, 10, 200])

        let ga = try PNGImage.read(path: d + "/ga.png")
        XCTAssertEqual(ga.pixels.map { UInt8(($0 * 255).rounded()) }, [50, 250])

        let rgba16 = try PNGImage.read(path: d + "/rgba16.png")
        XCTAssertEqual(rgba16.bitDepth, 16)
        XCTAssertEqual(rgba16.pixels[0], 1, accuracy: 1e-4)
        XCTAssertEqual(rgba16.pixels[1], 0, accuracy: 1e-4)
    }
}
