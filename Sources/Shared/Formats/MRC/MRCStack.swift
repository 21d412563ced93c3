/// An MRC/MRCS stack (MRC2014 modes 0 int8, 1 int16, 2 float32, 6 uint16, 12 float16, 101
/// 4-bit): every z section is a frame. Streams one frame per `pread`; the pixel size comes
/// from the cell (`cella.x / mx`). MRC stores no frame interval.
public final class MRCStack: FrameStack {
    public let file: String
    public let header: MRCHeader
    private let handle: FrameFileHandle
    private var raw: [UInt8] = []

    public init(path: String) throws {
        file = path
        handle = try FrameFileHandle(path: path)
        header = try MRCHeader.parse(try handle.prefix(count: 1024), file: path)
        try FrameLimits.check(width: header.nx, height: header.ny, file: path, format: "MRC file")
        let needed = header.dataOffset + header.frameBytes * header.nz
        guard handle.size >= needed else {
            let whole = max(0, (handle.size - header.dataOffset) / max(1, header.frameBytes))
            throw FormatError(.truncated, file: path,
                              problem: "MRC header declares \(header.nz) sections of \(header.nx)×\(header.ny) (mode \(header.mode)), \(needed) bytes, but the file has \(handle.size) (\(whole) whole sections)",
                              fix: "the file is incomplete; copy it again")
        }
    }

    public var formatDescription: String { "MRC mode \(header.mode) (\(header.sampleType.rawValue)), \(header.nz) section(s) of \(header.nx)×\(header.ny)" }
    public var frameCount: Int { header.nz }
    public var width: Int { header.nx }
    public var height: Int { header.ny }
    public var metadata: FrameMetadata { FrameMetadata(pixelSizeNm: header.pixelSizeNm) }

    public func readFrame(_ index: Int, into pixels: inout [Float]) throws {
        guard index >= 0, index < frameCount else {
            throw FormatError(.invalidArgument, file: file, problem: "frame \(index) does not exist (the stack has \(frameCount) sections)")
        }
        let bytes = header.frameBytes
        if raw.count != bytes { raw = [UInt8](repeating: 0, count: bytes) }
        try raw.withUnsafeMutableBytes {
            try handle.read(at: header.dataOffset + index * bytes, count: bytes, into: $0.baseAddress!, what: "section \(index)")
        }
        if pixels.count != width * height { pixels = [Float](repeating: 0, count: width * height) }
        let type = header.sampleType, rowBytes = type.rowBytes(width: width), w = width, swapped = header.bigEndian
        raw.withUnsafeBytes { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                if type == .uint4 {  // rows start on a byte boundary
                    for y in 0..<height {
                        SampleWidening.widen(UnsafeRawBufferPointer(rebasing: src[(y * rowBytes)..<((y + 1) * rowBytes)]), type: type,
                                             byteSwapped: false, into: UnsafeMutableBufferPointer(rebasing: dst[(y * w)..<((y + 1) * w)]))
                    }
                } else {
                    SampleWidening.widen(src, type: type, byteSwapped: swapped, into: dst)
                }
            }
        }
    }
}
