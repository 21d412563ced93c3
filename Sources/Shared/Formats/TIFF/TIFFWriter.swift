import CTIFF
import Foundation

/// Writes grey TIFF stacks through libtiff (tests, fuzz seeds and `ctl bench formats` make
/// their files with it): one page per frame, any sample type libtiff stores, uncompressed, LZW
/// or Deflate, classic or BigTIFF, strips or tiles, and ImageJ calibration.
public struct TIFFWriter {
    public enum Compression: Sendable { case none, lzw, deflate }

    public var sampleType: SampleType = .uint16
    public var compression: Compression = .none
    public var bigTIFF = false
    /// Tile side (a multiple of 16), or nil for strips.
    public var tile: Int?
    public var rowsPerStrip = 16
    /// Pixel size and frame interval written as ImageJ metadata.
    public var metadata = FrameMetadata()

    public init() {}

    /// Writes `frames` (each `width * height` stored values, as Doubles converted to the
    /// sample type) to `path`.
    public func write(path: String, width: Int, height: Int, frames: [[Double]]) throws {
        let message = UnsafeMutablePointer<CChar>.allocate(capacity: 512)
        message.initialize(repeating: 0, count: 512)
        defer { message.deallocate() }
        guard let tiff = slipline_tiff_create(path, bigTIFF ? "w8" : "w", message) else {
            throw FormatError(.writeFailed, .write, file: path, problem: String(cString: message))
        }
        defer { TIFFClose(tiff) }
        for (page, frame) in frames.enumerated() {
            precondition(frame.count == width * height, "a frame must hold width × height values")
            try writePage(tiff, path: path, width: width, height: height, frame: frame, page: page, pages: frames.count, message: message)
        }
    }

    private func writePage(_ tiff: OpaquePointer, path: String, width: Int, height: Int, frame: [Double], page: Int, pages: Int,
                           message: UnsafeMutablePointer<CChar>) throws {
        func set16(_ tag: Int32, _ v: Int32) { _ = slipline_tiff_set_u16(tiff, UInt32(tag), UInt16(v)) }
        _ = slipline_tiff_set_u32(tiff, UInt32(TIFFTAG_IMAGEWIDTH), UInt32(width))
        _ = slipline_tiff_set_u32(tiff, UInt32(TIFFTAG_IMAGELENGTH), UInt32(height))
        set16(TIFFTAG_SAMPLESPERPIXEL, 1)
        set16(TIFFTAG_BITSPERSAMPLE, Int32(sampleType.byteCount * 8))
        let format: Int32 = switch sampleType {
        case .float16, .float32, .float64: SAMPLEFORMAT_IEEEFP
        case .int8, .int16, .int32, .int64: SAMPLEFORMAT_INT
        default: SAMPLEFORMAT_UINT
        }
        set16(TIFFTAG_SAMPLEFORMAT, format)
        set16(TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK)
        set16(TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG)
        set16(TIFFTAG_COMPRESSION, compression == .none ? COMPRESSION_NONE : compression == .lzw ? COMPRESSION_LZW : COMPRESSION_ADOBE_DEFLATE)
        if pages > 1 { set16(TIFFTAG_SUBFILETYPE, FILETYPE_PAGE) }
        if let pixel = metadata.pixelSizeNm {
            _ = slipline_tiff_set_float(tiff, UInt32(TIFFTAG_XRESOLUTION), Float(1 / pixel))
            _ = slipline_tiff_set_float(tiff, UInt32(TIFFTAG_YRESOLUTION), Float(1 / pixel))
            set16(TIFFTAG_RESOLUTIONUNIT, RESUNIT_NONE)
            var text = "ImageJ=1.11a\nimages=\(pages)\nframes=\(pages)\nunit=nm\n"
            if let t = metadata.frameIntervalS { text += "finterval=\(t)\n" }
            _ = slipline_tiff_set_string(tiff, UInt32(TIFFTAG_IMAGEDESCRIPTION), text)
        }
        let bytes = SampleEncoding.encode(frame, as: sampleType)
        let rowBytes = width * sampleType.byteCount
        let ok: Bool = bytes.withUnsafeBytes { raw in
            if let tile {
                _ = slipline_tiff_set_u32(tiff, UInt32(TIFFTAG_TILEWIDTH), UInt32(tile))
                _ = slipline_tiff_set_u32(tiff, UInt32(TIFFTAG_TILELENGTH), UInt32(tile))
                var buffer = [UInt8](repeating: 0, count: tile * tile * sampleType.byteCount)
                var index: UInt32 = 0
                for ty in stride(from: 0, to: height, by: tile) {
                    for tx in stride(from: 0, to: width, by: tile) {
                        for i in buffer.indices { buffer[i] = 0 }
                        for y in 0..<min(tile, height - ty) {
                            let n = min(tile, width - tx) * sampleType.byteCount
                            let from = (ty + y) * rowBytes + tx * sampleType.byteCount
                            buffer.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: y * tile * sampleType.byteCount).copyMemory(from: raw.baseAddress! + from, byteCount: n) }
                        }
                        let written = buffer.withUnsafeMutableBytes { TIFFWriteEncodedTile(tiff, index, $0.baseAddress, tmsize_t($0.count)) }
                        if written < 0 { return false }
                        index += 1
                    }
                }
                return true
            }
            _ = slipline_tiff_set_u32(tiff, UInt32(TIFFTAG_ROWSPERSTRIP), UInt32(rowsPerStrip))
            for (strip, first) in stride(from: 0, to: height, by: rowsPerStrip).enumerated() {
                let rows = min(rowsPerStrip, height - first)
                let start = UnsafeMutableRawPointer(mutating: raw.baseAddress! + first * rowBytes)
                if TIFFWriteEncodedStrip(tiff, UInt32(strip), start, tmsize_t(rows * rowBytes)) < 0 { return false }
            }
            return true
        }
        guard ok, TIFFWriteDirectory(tiff) == 1 else {
            throw FormatError(.writeFailed, .write, file: path, problem: "libtiff: \(String(cString: message))")
        }
    }
}

/// Values to stored little-endian samples (the writers' side of ``SampleWidening``).
public enum SampleEncoding {
    public static func encode(_ values: [Double], as type: SampleType, bigEndian: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * type.byteCount)
        func append<T: FixedWidthInteger>(_ v: T) {
            let e = bigEndian ? v.bigEndian : v.littleEndian
            withUnsafeBytes(of: e) { out.append(contentsOf: $0) }
        }
        if type == .uint4 {
            for pair in stride(from: 0, to: values.count, by: 2) {
                let lo = UInt8(clamping: Int(values[pair])) & 0x0F
                let hi = pair + 1 < values.count ? UInt8(clamping: Int(values[pair + 1])) & 0x0F : 0
                out.append(lo | hi << 4)
            }
            return out
        }
        for v in values {
            switch type {
            case .uint8: out.append(UInt8(clamping: Int(v.rounded())))
            case .int8: out.append(UInt8(bitPattern: Int8(clamping: Int(v.rounded()))))
            case .uint16: append(UInt16(clamping: Int(v.rounded())))
            case .int16: append(Int16(clamping: Int(v.rounded())))
            case .uint32: append(UInt32(clamping: Int64(v.rounded())))
            case .int32: append(Int32(clamping: Int64(v.rounded())))
            case .uint64: append(UInt64(clamping: Int64(v.rounded())))
            case .int64: append(Int64(v.rounded()))
            case .float16: append(Float16(v).bitPattern)
            case .float32: append(Float(v).bitPattern)
            case .float64: append(v.bitPattern)
            case .uint4: break
            }
        }
        return out
    }
}
