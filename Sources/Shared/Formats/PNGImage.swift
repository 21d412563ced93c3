import CPNG

/// A decoded PNG frame as grey levels in [0, 1], row-major (`pixels[y * width + x]`).
///
/// Grey files keep their stored values exactly (`v / 255` or `v / 65535`); RGB, RGBA and
/// palette files are converted to luminance by libpng (Rec. 709 weights), alpha composited on
/// black. Files carrying a gAMA/sRGB chunk that contradicts the usual convention (8-bit sRGB,
/// 16-bit linear) are converted to that convention by libpng.
public struct PNGImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Sample depth of the decoded values: 8 or 16 (1/2/4-bit files and palettes decode as 8).
    /// `pixels[i] * (2^bitDepth − 1)`, rounded, recovers the stored integer.
    public var bitDepth: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, bitDepth: Int, pixels: [Float]) {
        precondition(pixels.count == width * height, "pixels must hold width × height values")
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.pixels = pixels
    }

    /// Decodes the PNG at `path`.
    ///
    /// The header is checked against `limits` before anything is allocated. Corrupt or
    /// truncated files throw ``FormatError``; libpng's errors are caught by its simplified API
    /// (which keeps its own `setjmp` inside libpng), so they never abort the process.
    public static func read(path: String, limits: PNGLimits = .default) throws -> PNGImage {
        let header = try PNGHeader.read(path: path)
        try limits.check(header, path: path)

        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw libpngError(image, path: path)
        }
        // Read 16-bit files as 16-bit linear and everything else as 8-bit sRGB: these are the
        // conventions libpng assumes for unmarked files, so grey values pass through unchanged.
        let sixteen = (image.format & PNG_FORMAT_FLAG_LINEAR) != 0
        image.format = sixteen ? PNG_FORMAT_FLAG_LINEAR : 0  // PNG_FORMAT_LINEAR_Y : PNG_FORMAT_GRAY
        let width = Int(image.width), height = Int(image.height)
        let count = width * height
        var black = png_color(red: 0, green: 0, blue: 0)
        var failure: FormatError?

        // Decode into the tail of the Float array's own storage, then widen front to back in
        // place: float i (bytes 4i..<4i+4) never overwrites a sample not yet read, so one
        // allocation holds the frame instead of a byte buffer plus a float copy.
        let pixels = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
            if sixteen {
                let samples = (raw + 2 * count).bindMemory(to: UInt16.self, capacity: count)
                guard png_image_finish_read(&image, nil, samples, Int32(width), nil) != 0 else {
                    failure = libpngError(image, path: path)
                    return
                }
                let out = raw.assumingMemoryBound(to: Float.self)
                let scale = Float(1) / 65535
                for i in 0..<count { out[i] = Float(samples[i]) * scale }
            } else {
                let samples = (raw + 3 * count).assumingMemoryBound(to: UInt8.self)
                guard png_image_finish_read(&image, &black, samples, Int32(width), nil) != 0 else {
                    failure = libpngError(image, path: path)
                    return
                }
                let out = raw.assumingMemoryBound(to: Float.self)
                for i in 0..<count { out[i] = Float(samples[i]) * (Float(1) / 255) }
            }
            initialized = count
        }
        if let failure { throw failure }
        return PNGImage(width: width, height: height, bitDepth: sixteen ? 16 : 8, pixels: pixels)
    }

    static func libpngError(_ image: png_image, path: String) -> FormatError {
        let message = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let lower = message.lowercased()
        let truncated = lower.contains("read error") || lower.contains("eof") || lower.contains("truncated")
            || lower.contains("not enough image data")
        let detail = "libpng: \(message.isEmpty ? "decoding failed" : message)"
        return FormatError(
            truncated ? .truncated : .corrupt, file: path,
            problem: truncated
                ? "PNG file ends before its image data is complete (\(detail))"
                : "PNG data is corrupt (\(detail))")
    }
}
