import Foundation

/// A Merlin `.mib` file opened for reading, memory-mapped.
///
/// All frames are assumed to share the first frame's header length, size and pixel type
/// (Merlin writes them that way); the file size must be a whole number of frames, and each
/// frame's header is checked for its `MQ1,` marker as it is read. Detector rows are returned
/// in the order stored (no flips); RAW-mode frames (`R64`, counter depth 1, 6, 12, 24; one
/// chip or a 2×2 quad) are unpacked and, for a quad, their chips put in place
/// (``MIBRawLayout``), so they read like the counting-mode frames of the same acquisition.
public final class MIBFile: @unchecked Sendable {
    public let path: String
    /// The first frame's header.
    public let header: MIBFrameHeader
    public let frameCount: Int
    /// The companion `.hdr` file, when one sits next to the `.mib`.
    public let acquisition: MIBAcquisitionHeader?
    private let mapping: MappedFile

    /// Detector width and height (after RAW decoding).
    public var width: Int { header.detectorWidth }
    public var height: Int { header.detectorHeight }
    public var pixelType: MIBPixelType { header.pixelType }
    /// `[height, width]`, C order like the other readers.
    public var frameShape: [Int] { [height, width] }
    /// Pixels per frame.
    public var pixelsPerFrame: Int { width * height }
    /// Bytes from one frame header to the next.
    public var frameStride: Int { header.headerLength + header.payloadBytes }
    /// Scan shape from the `.hdr` file, if it gives one (see ``MIBAcquisitionHeader/scanShape``).
    public var scanShape: MIBScanShape? { acquisition?.scanShape }

    /// Opens `path`. The companion header is `path` with `.mib` replaced by `.hdr` unless
    /// `headerPath` says otherwise; a missing companion is not an error.
    public static func open(path: String, headerPath: String? = nil) throws -> MIBFile {
        let mapping = try MappedFile(path: path)
        let header = try MIBFrameHeader.parse(mapping.bytes, path: path)
        let stride = header.headerLength + header.payloadBytes
        let (frames, remainder) = mapping.count.quotientAndRemainder(dividingBy: stride)
        let encoding = header.raw.map { "RAW \($0.counterDepth)-bit" } ?? header.pixelType.rawValue
        guard remainder == 0 else {
            throw FormatError(
                .truncated, file: path,
                problem: ".mib file is \(mapping.count) bytes, not a whole number of \(stride)-byte frames (\(header.width)×\(header.height) \(encoding) + \(header.headerLength)-byte header): \(frames) complete frames and \(remainder) bytes left over",
                fix: "the acquisition was probably interrupted; trim the file to \(frames * stride) bytes to use the complete frames")
        }
        let last = UnsafeRawBufferPointer(rebasing: mapping.bytes[((frames - 1) * stride)...])
        guard last.prefix(4).elementsEqual("MQ1,".utf8) else {
            throw FormatError(
                .corrupt, file: path,
                problem: ".mib frame \(frames - 1) does not start with 'MQ1,' (frames of different sizes in one file are not supported)")
        }
        let companion = headerPath ?? Self.companionPath(path)
        let acquisition = FileManager.default.fileExists(atPath: companion) ? try MIBAcquisitionHeader.read(path: companion) : nil
        return MIBFile(path: path, header: header, frameCount: frames, acquisition: acquisition, mapping: mapping)
    }

    private init(path: String, header: MIBFrameHeader, frameCount: Int, acquisition: MIBAcquisitionHeader?, mapping: MappedFile) {
        self.path = path
        self.header = header
        self.frameCount = frameCount
        self.acquisition = acquisition
        self.mapping = mapping
    }

    /// `x.mib` → `x.hdr` (any other name gets `.hdr` appended).
    static func companionPath(_ path: String) -> String {
        if path.lowercased().hasSuffix(".mib") { return String(path.dropLast(4)) + ".hdr" }
        return path + ".hdr"
    }

    /// Reads frames `frames` into `buffer` (frame after frame, each row-major), widened to UInt32.
    public func readFrames(_ frames: Range<Int>, into buffer: UnsafeMutableBufferPointer<UInt32>) throws {
        try read(frames, buffer.count) { frame, source in
            let out = buffer.baseAddress! + frame * pixelsPerFrame
            if let raw = header.raw { return raw.decode(source, into: out) }
            convert(source, into: out, { UInt32($0) }, { UInt32($0) }, { $0 })
        }
    }

    /// Reads frames `frames` into `buffer` (frame after frame, each row-major), as Float.
    public func readFrames(_ frames: Range<Int>, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        // RAW frames are decoded one at a time through a frame of counts.
        var counts = header.raw == nil ? [] : [UInt32](repeating: 0, count: pixelsPerFrame)
        try read(frames, buffer.count) { frame, source in
            let out = buffer.baseAddress! + frame * pixelsPerFrame
            if let raw = header.raw {
                counts.withUnsafeMutableBufferPointer { c in
                    raw.decode(source, into: c.baseAddress!)
                    for i in 0..<c.count { out[i] = Float(c[i]) }
                }
                return
            }
            // Explicit closures: a bare `Float.init` here would resolve to init(bitPattern:).
            convert(source, into: out, { Float($0) }, { Float($0) }, { Float($0) })
        }
    }

    /// Frames `frames` as a new Float array.
    public func readFrames(_ frames: Range<Int>) throws -> [Float] {
        let count = frames.count * pixelsPerFrame
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try readFrames(frames, into: buffer)
            initialized = count
        }
    }

    private func read(_ frames: Range<Int>, _ bufferCount: Int, _ body: (Int, UnsafeRawPointer) -> Void) throws {
        guard frames.lowerBound >= 0, frames.upperBound <= frameCount else {
            throw FormatError(
                .invalidArgument, file: path,
                problem: "frames \(frames.lowerBound)..<\(frames.upperBound) are outside 0..<\(frameCount)")
        }
        guard bufferCount == frames.count * pixelsPerFrame else {
            throw FormatError(
                .invalidArgument, file: path,
                problem: "buffer holds \(bufferCount) values but \(frames.count) frames of \(width)×\(height) need \(frames.count * pixelsPerFrame)")
        }
        guard !frames.isEmpty else { return }
        mapping.adviseSequential((frames.lowerBound * frameStride)..<(frames.upperBound * frameStride))
        let base = mapping.bytes.baseAddress!
        for (slot, frame) in frames.enumerated() {
            let start = base + frame * frameStride
            guard start.loadUnaligned(as: UInt32.self) == Self.marker else {
                throw FormatError(.corrupt, file: path, problem: ".mib frame \(frame) does not start with 'MQ1,' (misaligned or corrupt data)")
            }
            body(slot, start + header.headerLength)
        }
    }

    /// "MQ1," as a little-endian/host word, for the per-frame check.
    private static let marker: UInt32 = "MQ1,".utf8.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }.littleEndian

    /// Widens one frame of big-endian pixels.
    @inline(__always)
    private func convert<T>(
        _ source: UnsafeRawPointer, into out: UnsafeMutablePointer<T>,
        _ from8: (UInt8) -> T, _ from16: (UInt16) -> T, _ from32: (UInt32) -> T
    ) {
        let n = pixelsPerFrame
        switch header.pixelType {
        case .u8:
            let pixels = source.assumingMemoryBound(to: UInt8.self)
            for i in 0..<n { out[i] = from8(pixels[i]) }
        case .u16:
            for i in 0..<n { out[i] = from16(UInt16(bigEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .u32:
            for i in 0..<n { out[i] = from32(UInt32(bigEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        }
    }
}
