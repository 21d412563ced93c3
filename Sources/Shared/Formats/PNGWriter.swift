#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPNG
import CPNGIO

/// zlib level and PNG row filters of a written file: they trade file size against encode and
/// decode time and never change pixel values.
public struct PNGCompression: Sendable, Equatable, CustomStringConvertible {
    /// PNG row filters (PNG spec §9.2); more than one lets libpng pick per row (adaptive).
    public struct Filters: OptionSet, Sendable, Equatable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let none = Filters(rawValue: Int32(SLP_PNG_FILTER_NONE))
        public static let sub = Filters(rawValue: Int32(SLP_PNG_FILTER_SUB))
        public static let up = Filters(rawValue: Int32(SLP_PNG_FILTER_UP))
        public static let average = Filters(rawValue: Int32(SLP_PNG_FILTER_AVG))
        public static let paeth = Filters(rawValue: Int32(SLP_PNG_FILTER_PAETH))
        public static let all: Filters = [.none, .sub, .up, .average, .paeth]
    }

    /// zlib level 0–9 (−1: zlib's default, 6).
    public var level: Int
    public var filters: Filters

    public init(level: Int, filters: Filters) {
        self.level = level
        self.filters = filters
    }

    /// libpng's defaults, what most other software writes: zlib's default level and adaptive
    /// filtering over all five filters.
    public static let standard = PNGCompression(level: -1, filters: .all)

    public var description: String {
        let names: [(Filters, String)] = [(.none, "none"), (.sub, "sub"), (.up, "up"), (.average, "avg"), (.paeth, "paeth")]
        let f = filters == .all ? "adaptive" : names.filter { filters.contains($0.0) }.map(\.1).joined(separator: "+")
        return "zlib \(level < 0 ? "default" : "\(level)"), filter \(f)"
    }
}

/// Writes PNG files through libpng's simplified API (errors come back as return values, never
/// as an abort). Used for virtual-image previews, overlay reports and synthetic data.
public enum PNGWriter {
    /// Writes 8-bit grey; `pixels` row-major, `width * height` values.
    public static func writeGray8(path: String, width: Int, height: Int, pixels: [UInt8]) throws {
        try write(path: path, width: width, height: height, channels: 1, format: 0, count: pixels.count) { image, row in
            pixels.withUnsafeBytes { png_image_write_to_file(&image, path, 0, $0.baseAddress, row, nil) }
        }
    }

    /// Writes 8-bit RGB; `pixels` row-major and interleaved (r, g, b), `3 * width * height` values.
    public static func writeRGB8(path: String, width: Int, height: Int, pixels: [UInt8]) throws {
        try write(path: path, width: width, height: height, channels: 3, format: PNG_FORMAT_FLAG_COLOR, count: pixels.count) { image, row in
            pixels.withUnsafeBytes { png_image_write_to_file(&image, path, 0, $0.baseAddress, row, nil) }
        }
    }

    /// Writes 16-bit grey; stored values equal `pixels` (the file is marked linear, gAMA 1.0).
    public static func writeGray16(path: String, width: Int, height: Int, pixels: [UInt16]) throws {
        try write(path: path, width: width, height: height, channels: 1, format: PNG_FORMAT_FLAG_LINEAR, count: pixels.count) { image, row in
            pixels.withUnsafeBytes { png_image_write_to_file(&image, path, 0, $0.baseAddress, row, nil) }
        }
    }

    /// Writes 8-bit grey (`pixels` row-major, `width * height` values) with the given zlib
    /// level and filters, through libpng's low-level API behind `setjmp` (CPNGIO). Same chunks
    /// as ``writeGray8(path:width:height:pixels:)`` (an sRGB chunk), so it decodes to the same
    /// values.
    public static func writeGray8(path: String, width: Int, height: Int, pixels: [UInt8], compression: PNGCompression) throws {
        try check(path: path, width: width, height: height, channels: 1, count: pixels.count)
        try pixels.withUnsafeBytes {
            try writeGrayLowLevel(path: path, width: width, height: height, depth: 8, pixels: $0.baseAddress!, stride: width, compression: compression)
        }
    }

    /// Writes 16-bit grey with the given compression; stored values equal `pixels` (marked linear).
    public static func writeGray16(path: String, width: Int, height: Int, pixels: [UInt16], compression: PNGCompression) throws {
        try check(path: path, width: width, height: height, channels: 1, count: pixels.count)
        try pixels.withUnsafeBytes {
            try writeGrayLowLevel(path: path, width: width, height: height, depth: 16, pixels: $0.baseAddress!, stride: 2 * width, compression: compression)
        }
    }

    private static func writeGrayLowLevel(
        path: String, width: Int, height: Int, depth: Int, pixels: UnsafeRawPointer, stride: Int, compression: PNGCompression
    ) throws {
        guard (-1...9).contains(compression.level), !compression.filters.isEmpty else {
            throw FormatError(.invalidArgument, .write, file: path, problem: "invalid PNG compression (\(compression))")
        }
        var message = [CChar](repeating: 0, count: 256)
        let result = slp_png_write_gray(path, UInt32(width), UInt32(height), Int32(depth), pixels, stride,
                                        Int32(compression.level), compression.filters.rawValue, depth == 16 ? 1 : 0,
                                        &message, message.count)
        guard result == 0 else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw FormatError(.writeFailed, .write, file: path, problem: "libpng: \(text)", fix: "check that the directory exists and is writable")
        }
    }

    /// Writes an 8-bit grey preview of arbitrary values, mapping `range` (default: the finite
    /// minimum and maximum) linearly onto 0…255. NaN maps to 0.
    public static func writeGray8(
        path: String, width: Int, height: Int, scaling values: [Float], range: ClosedRange<Float>? = nil
    ) throws {
        let bounds = range ?? finiteBounds(values)
        let span = bounds.upperBound - bounds.lowerBound
        let scale = span > 0 ? 255 / span : 0
        let bytes = values.map { v -> UInt8 in
            guard !v.isNaN else { return 0 }
            let x = ((v - bounds.lowerBound) * scale).rounded()
            return UInt8(min(max(x, 0), 255))
        }
        try writeGray8(path: path, width: width, height: height, pixels: bytes)
    }

    private static func finiteBounds(_ values: [Float]) -> ClosedRange<Float> {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        return lo <= hi ? lo...hi : 0...0
    }

    private static func write(
        path: String, width: Int, height: Int, channels: Int, format: UInt32, count: Int,
        _ body: (inout png_image, Int32) -> Int32
    ) throws {
        try check(path: path, width: width, height: height, channels: channels, count: count)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        defer { png_image_free(&image) }
        guard body(&image, Int32(width * channels)) != 0 else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw FormatError(.writeFailed, .write, file: path, problem: "libpng: \(message)", fix: "check that the directory exists and is writable")
        }
    }

    private static func check(path: String, width: Int, height: Int, channels: Int, count: Int) throws {
        guard width > 0, height > 0, width <= Int(Int32.max) / channels, height <= Int(Int32.max) else {
            throw FormatError(.invalidArgument, .write, file: path, problem: "cannot write a \(width)×\(height) PNG")
        }
        guard count == width * height * channels else {
            throw FormatError(
                .invalidArgument, .write, file: path,
                problem: "\(count) samples given for a \(width)×\(height) image with \(channels) channel(s) (need \(width * height * channels))")
        }
    }
}
