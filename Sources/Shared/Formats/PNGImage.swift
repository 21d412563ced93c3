#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPNG
import CPNGIO

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
    /// truncated files throw ``FormatError``: libpng's errors (a longjmp) are caught by `setjmp`
    /// in C (CPNGIO, or libpng's own simplified API), so they never abort the process.
    public static func read(path: String, limits: PNGLimits = .default) throws -> PNGImage {
        var pixels: [Float] = []
        let decoded = try read(path: path, into: &pixels, limits: limits)
        return PNGImage(width: decoded.width, height: decoded.height, bitDepth: decoded.bitDepth, pixels: pixels)
    }

    /// Size and sample depth of a frame decoded into a caller's buffer (see ``PNGImage``).
    public struct Decoded: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var bitDepth: Int
    }

    /// Decodes the PNG at `path` into `pixels`, which is resized to `width * height` only when
    /// its count differs: a caller decoding a video's frames one after another into the same
    /// array allocates once. Values are exactly those of ``read(path:limits:)``. When this
    /// throws, the contents of `pixels` are unspecified.
    ///
    /// 8- and 16-bit grey, non-interlaced files without transparency or a colour profile (what
    /// microscopes and `ctl synth` write) are streamed through libpng's low-level API a block
    /// of rows at a time into a small reusable buffer and widened to Float sixteen samples at
    /// a time. Everything else (RGB, palette, alpha, 1/2/4-bit, interlaced, tRNS, iCCP, a gAMA
    /// or sRGB chunk off the 8-bit-sRGB/16-bit-linear convention) goes through libpng's
    /// simplified API, which converts it to grey as documented on ``PNGImage``.
    public static func read(path: String, into pixels: inout [Float], limits: PNGLimits = .default) throws -> Decoded {
        try decode(path: path, into: &pixels, limits: limits).decoded
    }

    /// ``read(path:into:limits:)``, also saying whether the rows were streamed (for tests).
    static func decode(path: String, into pixels: inout [Float], limits: PNGLimits) throws -> (decoded: Decoded, streamed: Bool) {
        let header = try PNGHeader.read(path: path)
        try limits.check(header, path: path)
        guard let reader = slp_png_open(path) else {
            throw FormatError(.unreadable, file: path, problem: String(cString: strerror(errno)))
        }
        defer { slp_png_close(reader) }
        var info = slp_png_info()
        guard slp_png_read_info(reader, &info) == 0 else {
            throw libpngError(message: String(cString: slp_png_message(reader)), path: path)
        }
        // The same IHDR as `header` unless the file was replaced in between: check it again.
        let width = Int(info.width), height = Int(info.height)
        try limits.check(PNGHeader(width: width, height: height, bitDepth: Int(info.bit_depth),
                                   colorType: header.colorType, interlaced: info.interlaced != 0), path: path)
        guard streamable(info) else {
            return (try readSimplified(path: path, into: &pixels, limits: limits), false)
        }
        let count = width * height
        if pixels.count != count { pixels = [Float](repeating: 0, count: count) }
        let sixteen = info.bit_depth == 16
        var rowBytes = 0
        guard slp_png_start_rows(reader, Int32(sixteen && isLittleEndian ? 1 : 0), &rowBytes) == 0 else {
            throw libpngError(message: String(cString: slp_png_message(reader)), path: path)
        }
        let sampleBytes = sixteen ? 2 : 1
        precondition(rowBytes == width * sampleBytes, "libpng row size \(rowBytes) for \(width) samples of \(sampleBytes) bytes")
        // A block of rows per call into C (one setjmp per block), small enough to stay in L1.
        let rowsPerBlock = max(1, min(height, 16384 / rowBytes))
        let block = UnsafeMutableRawPointer.allocate(byteCount: rowsPerBlock * rowBytes, alignment: 64)
        defer { block.deallocate() }
        try pixels.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            var y = 0
            while y < height {
                let rows = min(rowsPerBlock, height - y)
                guard slp_png_read_rows(reader, block.assumingMemoryBound(to: UInt8.self), rowBytes, UInt32(rows)) == 0 else {
                    throw libpngError(message: String(cString: slp_png_message(reader)), path: path)
                }
                if sixteen {
                    widen16(block.assumingMemoryBound(to: UInt16.self), into: base + y * width, count: rows * width)
                } else {
                    widen8(block.assumingMemoryBound(to: UInt8.self), into: base + y * width, count: rows * width)
                }
                y += rows
            }
        }
        return (Decoded(width: width, height: height, bitDepth: sixteen ? 16 : 8), true)
    }

    private static let isLittleEndian = 1.littleEndian == 1

    /// Whether the file's stored grey values are the decoded values, so rows can be widened
    /// as they are: grey 8/16-bit, not interlaced, no tRNS (a transparent grey level would be
    /// composited on black), no ICC profile, and gamma as the convention assumes (8-bit: none
    /// or sRGB's 1/2.2; 16-bit: none or 1.0, and no sRGB chunk).
    static func streamable(_ info: slp_png_info) -> Bool {
        guard info.color_type == 0, info.bit_depth == 8 || info.bit_depth == 16, info.interlaced == 0,
              info.has_trns == 0, info.has_iccp == 0 else { return false }
        if info.bit_depth == 8 {
            return info.has_gama == 0 || (45454...45456).contains(info.gamma_fixed)
        }
        return info.has_srgb == 0 && (info.has_gama == 0 || info.gamma_fixed == 100_000)
    }

    // widen8 and widen16 stay two concrete functions on purpose: one generic over the sample
    // type measured 0.38 → 0.47 ms per 512×512 decode.
    /// `dst[i] = Float(src[i]) / 255` (as `Float(v) * (1 / 255)`, the simplified path's
    /// arithmetic), sixteen samples at a time.
    @inline(__always)
    static func widen8(_ src: UnsafePointer<UInt8>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        let scale = Float(1) / 255
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<UInt8>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v)) * scale, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            dst[i] = Float(src[i]) * scale
            i += 1
        }
    }

    /// `dst[i] = Float(src[i]) / 65535` (native-endian samples), sixteen at a time.
    @inline(__always)
    static func widen16(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        let scale = Float(1) / 65535
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<UInt16>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v)) * scale, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            dst[i] = Float(src[i]) * scale
            i += 1
        }
    }

    /// libpng's simplified API: every layout, converted to grey (luminance, alpha on black,
    /// gamma to the 8-bit-sRGB/16-bit-linear convention).
    static func readSimplified(path: String, into pixels: inout [Float], limits: PNGLimits) throws -> Decoded {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw libpngError(image, path: path)
        }
        let width = Int(image.width), height = Int(image.height)
        try limits.check(PNGHeader(width: width, height: height, bitDepth: 8, colorType: .gray, interlaced: false), path: path)
        // Read 16-bit files as 16-bit linear and everything else as 8-bit sRGB: these are the
        // conventions libpng assumes for unmarked files, so grey values pass through unchanged.
        let sixteen = (image.format & PNG_FORMAT_FLAG_LINEAR) != 0
        image.format = sixteen ? PNG_FORMAT_FLAG_LINEAR : 0  // PNG_FORMAT_LINEAR_Y : PNG_FORMAT_GRAY
        let count = width * height
        if pixels.count != count { pixels = [Float](repeating: 0, count: count) }
        var black = png_color(red: 0, green: 0, blue: 0)
        // Decode into the tail of the Float buffer, then widen front to back in place: float i
        // (bytes 4i..<4i+4) never overwrites a sample not yet read, so no byte buffer is needed.
        // (Widening runs one sample at a time here: a vector store could pass the samples.)
        let ok = pixels.withUnsafeMutableBytes { raw -> Bool in
            let out = raw.baseAddress!.assumingMemoryBound(to: Float.self)
            if sixteen {
                let samples = (raw.baseAddress! + 2 * count).bindMemory(to: UInt16.self, capacity: count)
                guard png_image_finish_read(&image, nil, samples, Int32(width), nil) != 0 else { return false }
                let scale = Float(1) / 65535
                for i in 0..<count { out[i] = Float(samples[i]) * scale }
            } else {
                let samples = (raw.baseAddress! + 3 * count).assumingMemoryBound(to: UInt8.self)
                guard png_image_finish_read(&image, &black, samples, Int32(width), nil) != 0 else { return false }
                for i in 0..<count { out[i] = Float(samples[i]) * (Float(1) / 255) }
            }
            return true
        }
        guard ok else { throw libpngError(image, path: path) }
        return Decoded(width: width, height: height, bitDepth: sixteen ? 16 : 8)
    }

    static func libpngError(_ image: png_image, path: String) -> FormatError {
        let message = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return libpngError(message: message, path: path)
    }

    static func libpngError(message: String, path: String) -> FormatError {
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
