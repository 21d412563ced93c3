import CTIFF
import Foundation

/// A TIFF file through libtiff: every page (IFD) is a frame. Classic and BigTIFF; 8/16/32-bit
/// unsigned and signed integers, 32/64-bit float; uncompressed, LZW, Deflate, PackBits (any
/// codec libtiff has); strips or tiles; one sample per pixel. Pages are read in order with
/// `TIFFReadDirectory`, so a shard reading a contiguous range seeks once.
///
/// Metadata: ImageJ's `ImageDescription` (`unit=`, `finterval=`) with `XResolution` (pixels per
/// unit) gives the pixel size and frame interval; without it, `XResolution` in pixels per
/// centimetre gives the pixel size (pixels per inch is a print resolution and is ignored).
public final class TIFFStack: FrameStack {
    public let file: String
    public let frameCount: Int
    public let width: Int
    public let height: Int
    public let metadata: FrameMetadata
    public let formatDescription: String
    private let tiff: OpaquePointer
    /// libtiff's last error message (its error handler writes here; stable memory, because
    /// libtiff keeps the pointer for the file's lifetime).
    private let message: UnsafeMutablePointer<CChar>
    private var chunk: [UInt8] = []
    /// Positioned reads for uncompressed pages (strips read straight from the file).
    private let direct: FrameFileHandle

    /// Largest single allocation libtiff may make for this file (a strip or a tile).
    static let maxAllocation = 512 << 20

    public init(path: String) throws {
        file = path
        let message = UnsafeMutablePointer<CChar>.allocate(capacity: 512)
        message.initialize(repeating: 0, count: 512)
        guard let tiff = slipline_tiff_open(path, message, tmsize_t(Self.maxAllocation)) else {
            let text = String(cString: message)
            message.deallocate()
            throw FormatError(FileManager.default.isReadableFile(atPath: path) ? .corrupt : .unreadable, file: path,
                              problem: "libtiff cannot open it: \(text.isEmpty ? "not a TIFF file" : text)")
        }
        self.tiff = tiff
        self.message = message
        do {
            direct = try FrameFileHandle(path: path)
        } catch {
            TIFFClose(tiff)
            message.deallocate()
            throw error
        }
        let pages = Int(TIFFNumberOfDirectories(tiff))
        let layout: TIFFPageLayout
        do {
            guard pages >= 1, TIFFSetDirectory(tiff, 0) == 1 else {
                throw FormatError(.corrupt, file: path, problem: "the TIFF has no readable page")
            }
            layout = try TIFFPageLayout(tiff, file: path, page: 0)
            // A truncated stack loses its last pages' directories: the chain then points past the
            // end of the file. Refuse it rather than silently dropping frames.
            guard TIFFSetDirectory(tiff, tdir_t(pages - 1)) == 1, TIFFLastDirectory(tiff) == 1 else {
                throw FormatError(.truncated, file: path,
                                  problem: "its chain of pages breaks after page \(pages - 1)\(message[0] == 0 ? "" : " (libtiff: \(String(cString: message)))")",
                                  fix: "the file is incomplete (copy interrupted?); copy it again")
            }
            _ = TIFFSetDirectory(tiff, 0)
        } catch {
            TIFFClose(tiff)
            message.deallocate()
            throw error
        }
        frameCount = pages
        width = layout.width
        height = layout.height
        metadata = layout.metadata
        formatDescription = "\(TIFFIsBigEndian(tiff) != 0 ? "big-endian " : "")\(Self.isBigTIFF(path) ? "BigTIFF" : "TIFF"), \(layout.sampleType.rawValue), \(layout.compressionName), \(pages) page(s) of \(layout.width)×\(layout.height)"
    }

    deinit {
        TIFFClose(tiff)
        message.deallocate()
    }

    private static func isBigTIFF(_ path: String) -> Bool {
        guard let handle = try? FrameFileHandle(path: path), let head = try? handle.prefix(count: 4), head.count == 4 else { return false }
        return head[2] == 43 || head[3] == 43
    }

    public func readFrame(_ index: Int, into pixels: inout [Float]) throws {
        guard index >= 0, index < frameCount else {
            throw FormatError(.invalidArgument, file: file, problem: "page \(index) does not exist (the TIFF has \(frameCount) pages)")
        }
        message[0] = 0
        let current = Int(TIFFCurrentDirectory(tiff))
        let moved = current + 1 == index ? TIFFReadDirectory(tiff) : (current == index ? 1 : TIFFSetDirectory(tiff, tdir_t(index)))
        guard moved == 1 else { throw libtiffError("cannot go to page \(index)") }
        let layout = try TIFFPageLayout(tiff, file: file, page: index, calibration: false)
        guard layout.width == width, layout.height == height else {
            throw FormatError(.wrongShape, file: file,
                              problem: "page \(index) is \(layout.width)×\(layout.height) pixels, page 0 is \(width)×\(height)",
                              fix: "every frame of a video must have the same size")
        }
        if pixels.count != width * height { pixels = [Float](repeating: 0, count: width * height) }
        if layout.tiled {
            try readTiles(layout, page: index, into: &pixels)
        } else if layout.uncompressed, try readContiguousStrips(layout, page: index, into: &pixels) {
            // done: one read of the page's bytes, widened straight into the frame
        } else {
            try readStrips(layout, page: index, into: &pixels)
        }
        if layout.minIsWhite { invert(&pixels, layout.sampleType) }
    }

    private func readStrips(_ layout: TIFFPageLayout, page: Int, into pixels: inout [Float]) throws {
        let rowBytes = width * layout.sampleType.byteCount
        let rows = layout.rowsPerChunk
        let strips = Int(TIFFNumberOfStrips(tiff))
        guard strips == (height + rows - 1) / rows else { throw libtiffError("page \(page) has \(strips) strips, its header implies \((height + rows - 1) / rows)") }
        if chunk.count < rows * rowBytes { chunk = [UInt8](repeating: 0, count: rows * rowBytes) }
        for strip in 0..<strips {
            let first = strip * rows, count = min(rows, height - first)
            let got = chunk.withUnsafeMutableBytes { TIFFReadEncodedStrip(tiff, tstrip_t(strip), $0.baseAddress, tmsize_t(count * rowBytes)) }
            guard got == count * rowBytes else { throw libtiffError("cannot decode strip \(strip) of page \(page)") }
            chunk.withUnsafeBytes { src in
                pixels.withUnsafeMutableBufferPointer { dst in
                    SampleWidening.widen(UnsafeRawBufferPointer(rebasing: src[0..<(count * rowBytes)]), type: layout.sampleType, byteSwapped: false,
                                         into: UnsafeMutableBufferPointer(rebasing: dst[(first * width)..<((first + count) * width)]))
                }
            }
        }
    }

    /// Uncompressed strips stored back to back (what every writer does): one positioned read
    /// of the page's bytes at the offset libtiff reports, widened (and byte-swapped for a
    /// foreign-endian file) straight into the frame. libtiff's strip path instead re-reads and
    /// swaps strip by strip into its own buffer. False when the strips are not contiguous.
    private func readContiguousStrips(_ layout: TIFFPageLayout, page: Int, into pixels: inout [Float]) throws -> Bool {
        let rowBytes = width * layout.sampleType.byteCount, total = height * rowBytes
        let strips = Int(TIFFNumberOfStrips(tiff))
        var fillOrder = UInt16(FILLORDER_MSB2LSB)
        _ = slipline_tiff_get_u16(tiff, UInt32(TIFFTAG_FILLORDER), &fillOrder)
        // Bit-reversed bytes (FillOrder 2) are libtiff's to undo.
        guard strips == (height + layout.rowsPerChunk - 1) / layout.rowsPerChunk, fillOrder == UInt16(FILLORDER_MSB2LSB) else { return false }
        // Offsets and counts are the file's 64-bit words: a damaged one may not fit an Int
        // (then libtiff's own strip path reports the damage).
        guard let start = Int(exactly: TIFFGetStrileOffset(tiff, 0)) else { return false }
        var end = start
        for strip in 0..<strips {
            let rows = min(layout.rowsPerChunk, height - strip * layout.rowsPerChunk)
            guard let offset = Int(exactly: TIFFGetStrileOffset(tiff, UInt32(strip))),
                  let byteCount = Int(exactly: TIFFGetStrileByteCount(tiff, UInt32(strip))),
                  offset == end, byteCount >= rows * rowBytes else { return false }
            end += rows * rowBytes
            // A strip may carry padding past its rows: then the next one does not follow on.
            if strip + 1 < strips, byteCount != rows * rowBytes { return false }
        }
        guard end - start == total else { return false }
        if chunk.count < total { chunk = [UInt8](repeating: 0, count: total) }
        try chunk.withUnsafeMutableBytes { try direct.read(at: start, count: total, into: $0.baseAddress!, what: "page \(page) (\(total) bytes of uncompressed strips)") }
        let swapped = TIFFIsByteSwapped(tiff) != 0
        chunk.withUnsafeBytes { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                SampleWidening.widen(UnsafeRawBufferPointer(rebasing: src[0..<total]), type: layout.sampleType, byteSwapped: swapped, into: dst)
            }
        }
        return true
    }

    private func readTiles(_ layout: TIFFPageLayout, page: Int, into pixels: inout [Float]) throws {
        let tw = layout.tileWidth, th = layout.rowsPerChunk, size = layout.sampleType.byteCount
        let tileBytes = tw * th * size
        if chunk.count < tileBytes { chunk = [UInt8](repeating: 0, count: tileBytes) }
        var tileIndex = 0
        for ty in stride(from: 0, to: height, by: th) {
            for tx in stride(from: 0, to: width, by: tw) {
                let got = chunk.withUnsafeMutableBytes { TIFFReadEncodedTile(tiff, ttile_t(tileIndex), $0.baseAddress, tmsize_t(tileBytes)) }
                guard got == tileBytes else { throw libtiffError("cannot decode tile \(tileIndex) of page \(page)") }
                let w = min(tw, width - tx)
                chunk.withUnsafeBytes { src in
                    pixels.withUnsafeMutableBufferPointer { dst in
                        for y in 0..<min(th, height - ty) {
                            let from = y * tw * size, to = (ty + y) * width + tx
                            SampleWidening.widen(UnsafeRawBufferPointer(rebasing: src[from..<(from + w * size)]), type: layout.sampleType,
                                                 byteSwapped: false, into: UnsafeMutableBufferPointer(rebasing: dst[to..<(to + w)]))
                        }
                    }
                }
                tileIndex += 1
            }
        }
    }

    /// MinIsWhite stores dark as high: flip unsigned integers within their range.
    private func invert(_ pixels: inout [Float], _ type: SampleType) {
        let top: Float = (type == .uint8 || type == .uint16) ? 1 : (type == .uint32 ? Float(UInt32.max) : 0)
        for i in pixels.indices { pixels[i] = top - pixels[i] }
    }

    private func libtiffError(_ what: String) -> FormatError {
        let detail = String(cString: message)
        return FormatError(.corrupt, file: file, problem: what + (detail.isEmpty ? "" : " (libtiff: \(detail))"),
                           fix: "the file is damaged or truncated; copy it again")
    }
}
