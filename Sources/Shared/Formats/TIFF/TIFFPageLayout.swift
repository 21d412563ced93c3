import CTIFF
import Foundation

/// What one TIFF page (the current directory) stores and how: size, sample type, strips or
/// tiles, photometric, compression and calibration. Unsupported layouts are errors naming the
/// page and the fix.
struct TIFFPageLayout {
    var width: Int
    var height: Int
    var sampleType: SampleType
    var tiled: Bool
    var tileWidth: Int
    /// Rows per strip, or tile height.
    var rowsPerChunk: Int
    var minIsWhite: Bool
    var compressionName: String
    var uncompressed: Bool
    var metadata: FrameMetadata

    /// `calibration: false` skips the metadata (parsing ImageJ's description on every page
    /// costs more than reading an uncompressed page; only page 0's is used).
    init(_ tiff: OpaquePointer, file: String, page: Int, calibration: Bool = true) throws {
        func u16(_ tag: Int32, _ fallback: UInt16) -> UInt16 {
            var v: UInt16 = 0
            return slipline_tiff_get_u16(tiff, UInt32(tag), &v) == 1 ? v : fallback
        }
        func u32(_ tag: Int32) -> UInt32? {
            var v: UInt32 = 0
            return slipline_tiff_get_u32(tiff, UInt32(tag), &v) == 1 ? v : nil
        }
        guard let w = u32(TIFFTAG_IMAGEWIDTH), let h = u32(TIFFTAG_IMAGELENGTH) else {
            throw FormatError(.corrupt, file: file, problem: "page \(page) has no ImageWidth/ImageLength")
        }
        width = Int(w)
        height = Int(h)
        try FrameLimits.check(width: width, height: height, file: file, format: "TIFF")
        let samples = u16(TIFFTAG_SAMPLESPERPIXEL, 1), bits = u16(TIFFTAG_BITSPERSAMPLE, 1)
        let format = u16(TIFFTAG_SAMPLEFORMAT, UInt16(SAMPLEFORMAT_UINT))
        guard samples == 1 else {
            throw FormatError(.unsupported, file: file, problem: "page \(page) has \(samples) samples per pixel (colour); Slipline reads grey TIFF",
                              fix: "convert the stack to greyscale (e.g. ImageJ: Image ▸ Type ▸ 16-bit)")
        }
        switch (Int32(format), bits) {
        case (SAMPLEFORMAT_UINT, 8): sampleType = .uint8
        case (SAMPLEFORMAT_UINT, 16): sampleType = .uint16
        case (SAMPLEFORMAT_UINT, 32): sampleType = .uint32
        case (SAMPLEFORMAT_INT, 8): sampleType = .int8
        case (SAMPLEFORMAT_INT, 16): sampleType = .int16
        case (SAMPLEFORMAT_INT, 32): sampleType = .int32
        case (SAMPLEFORMAT_IEEEFP, 16): sampleType = .float16
        case (SAMPLEFORMAT_IEEEFP, 32): sampleType = .float32
        case (SAMPLEFORMAT_IEEEFP, 64): sampleType = .float64
        default:
            throw FormatError(.unsupported, file: file,
                              problem: "page \(page) stores \(bits)-bit samples of SampleFormat \(format); Slipline reads 8/16/32-bit integers and 16/32/64-bit floats",
                              fix: "convert the stack to 8-, 16- or 32-bit")
        }
        tiled = TIFFIsTiled(tiff) != 0
        if tiled {
            guard let tw = u32(TIFFTAG_TILEWIDTH), let tl = u32(TIFFTAG_TILELENGTH), tw > 0, tl > 0, Int(tw) * Int(tl) <= FrameLimits.maxPixels else {
                throw FormatError(.corrupt, file: file, problem: "page \(page) is tiled without a valid TileWidth/TileLength")
            }
            tileWidth = Int(tw)
            rowsPerChunk = Int(tl)
        } else {
            tileWidth = width
            rowsPerChunk = max(1, min(height, Int(u32(TIFFTAG_ROWSPERSTRIP) ?? UInt32(height))))
        }
        minIsWhite = u16(TIFFTAG_PHOTOMETRIC, UInt16(PHOTOMETRIC_MINISBLACK)) == UInt16(PHOTOMETRIC_MINISWHITE)
        let compression = u16(TIFFTAG_COMPRESSION, UInt16(COMPRESSION_NONE))
        guard TIFFIsCODECConfigured(compression) == 1 else {
            throw FormatError(.unsupported, file: file, problem: "page \(page) uses TIFF compression \(compression), which this libtiff cannot decode",
                              fix: "re-save the stack uncompressed, LZW or Deflate")
        }
        compressionName = Self.name(ofCompression: Int32(compression))
        uncompressed = Int32(compression) == COMPRESSION_NONE
        metadata = calibration ? Self.calibration(tiff) : FrameMetadata()
    }

    static func name(ofCompression c: Int32) -> String {
        switch c {
        case COMPRESSION_NONE: "uncompressed"
        case COMPRESSION_LZW: "LZW"
        case COMPRESSION_ADOBE_DEFLATE, COMPRESSION_DEFLATE: "Deflate"
        case COMPRESSION_PACKBITS: "PackBits"
        case COMPRESSION_ZSTD: "Zstd"
        case COMPRESSION_JPEG: "JPEG"
        default: "compression \(c)"
        }
    }

    /// ImageJ's description (`unit=nm`, `finterval=0.05`) with XResolution (pixels per unit);
    /// else XResolution per centimetre.
    static func calibration(_ tiff: OpaquePointer) -> FrameMetadata {
        var xres: Float = 0
        let hasResolution = slipline_tiff_get_float(tiff, UInt32(TIFFTAG_XRESOLUTION), &xres) == 1 && xres.isFinite && xres > 0
        var unitTag: UInt16 = UInt16(RESUNIT_INCH)
        _ = slipline_tiff_get_u16(tiff, UInt32(TIFFTAG_RESOLUTIONUNIT), &unitTag)
        var text: UnsafePointer<CChar>?
        var imagej: [String: String] = [:]
        if slipline_tiff_get_string(tiff, UInt32(TIFFTAG_IMAGEDESCRIPTION), &text) == 1, let text {
            let description = String(cString: text)
            if description.hasPrefix("ImageJ=") { imagej = parseKeyValues(description) }
        }
        var pixel: Double?
        if hasResolution, let unit = imagej["unit"], let perUnit = FrameMetadata.nanometres(perUnit: unit) {
            pixel = perUnit / Double(xres)
        } else if hasResolution, Int32(unitTag) == RESUNIT_CENTIMETER {
            pixel = 1e7 / Double(xres)
        }
        return FrameMetadata(pixelSizeNm: pixel, frameIntervalS: imagej["finterval"].flatMap(Double.init))
    }

    static func parseKeyValues(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq]).trimmingCharacters(in: .whitespaces)] = String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}
