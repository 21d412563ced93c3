import CPNG

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
        guard width > 0, height > 0, width <= Int(Int32.max) / channels, height <= Int(Int32.max) else {
            throw FormatError(.invalidArgument, .write, file: path, problem: "cannot write a \(width)×\(height) PNG")
        }
        guard count == width * height * channels else {
            throw FormatError(
                .invalidArgument, .write, file: path,
                problem: "\(count) samples given for a \(width)×\(height) image with \(channels) channel(s) (need \(width * height * channels))")
        }
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
}
