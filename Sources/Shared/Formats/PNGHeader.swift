#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The PNG IHDR chunk: image size and sample layout, read from the first 33 bytes of a file
/// without decoding anything, so a directory of frames can be checked cheaply.
public struct PNGHeader: Sendable, Equatable {
    /// PNG colour types (PNG spec §11.2.2).
    public enum ColorType: UInt8, Sendable, Equatable {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6
    }

    public var width: Int
    public var height: Int
    /// Bits per sample as stored: 1, 2, 4, 8 or 16.
    public var bitDepth: Int
    public var colorType: ColorType
    public var interlaced: Bool

    public init(width: Int, height: Int, bitDepth: Int, colorType: ColorType, interlaced: Bool) {
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.colorType = colorType
        self.interlaced = interlaced
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads and validates the signature and IHDR chunk (including its CRC) of the PNG at `path`.
    public static func read(path: String) throws -> PNGHeader {
        guard let file = fopen(path, "rb") else {
            throw FormatError(.unreadable, file: path, problem: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 33)
        let got = fread(&bytes, 1, bytes.count, file)
        return try parse(bytes[..<got], path: path)
    }

    /// Parses the first bytes of a PNG file (at least 33).
    public static func parse<Bytes: Collection>(_ bytes: Bytes, path: String) throws -> PNGHeader
    where Bytes.Element == UInt8 {
        let b = Array(bytes)
        guard b.count >= 8, Array(b[0..<8]) == signature else {
            throw FormatError(.corrupt, file: path, problem: "not a PNG file (bad signature)")
        }
        guard b.count >= 33 else {
            throw FormatError(.truncated, file: path, problem: "PNG file ends inside its IHDR header")
        }
        let length = be32(b, 8)
        guard length == 13, b[12...15].elementsEqual("IHDR".utf8) else {
            throw FormatError(.corrupt, file: path, problem: "PNG does not start with a valid IHDR chunk")
        }
        guard CRC32.checksum(b[12..<29]) == be32(b, 29) else {
            throw FormatError(.corrupt, file: path, problem: "PNG IHDR chunk has a bad CRC (file damaged)")
        }
        let width = Int(be32(b, 16)), height = Int(be32(b, 20))
        let depth = Int(b[24])
        guard let colorType = ColorType(rawValue: b[25]) else {
            throw FormatError(.corrupt, file: path, problem: "PNG IHDR has unknown colour type \(b[25])")
        }
        let allowed: Set<Int> =
            switch colorType {
            case .gray: [1, 2, 4, 8, 16]
            case .palette: [1, 2, 4, 8]
            case .rgb, .grayAlpha, .rgba: [8, 16]
            }
        guard allowed.contains(depth) else {
            throw FormatError(.corrupt, file: path, problem: "PNG IHDR has bit depth \(depth), invalid for colour type \(colorType)")
        }
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw FormatError(.corrupt, file: path, problem: "PNG IHDR declares \(width)×\(height) pixels")
        }
        guard b[26] == 0, b[27] == 0, b[28] <= 1 else {
            throw FormatError(.corrupt, file: path, problem: "PNG IHDR has an unknown compression, filter or interlace method")
        }
        return PNGHeader(width: width, height: height, bitDepth: depth, colorType: colorType, interlaced: b[28] == 1)
    }

    private static func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}

/// CRC-32 (ISO 3309, as used by PNG chunks and zlib).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
