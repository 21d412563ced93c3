import Foundation

/// A FEI/Thermo TIA series (`.ser`, versions 0x210 and 0x220), written from the format's
/// description: a header, a dimension array, an offset table (32- or 64-bit) and one element per
/// frame (2D images, DataTypeID 0x4122), each with its own calibration and size. Every frame is
/// read at its own offset; the pixel size is the element's `CalibrationDeltaX` (metres), the
/// frame interval the series dimension's delta when its units are seconds. The `.emi` file next
/// to it holds the session's metadata and is not needed.
public final class SERStack: FrameStack {
    public let file: String
    public let width: Int
    public let height: Int
    public let frameCount: Int
    public let metadata: FrameMetadata
    public let sampleType: SampleType
    public let version: Int
    private let offsets: [Int]
    private let handle: FrameFileHandle
    private var raw: [UInt8] = []

    static let elementHeader = 50

    public init(path: String) throws {
        file = path
        handle = try FrameFileHandle(path: path)
        var r = SERBytes(try handle.prefix(count: 4096), file: path)
        guard try r.u16(0) == 0x4949, try r.u16(2) == 0x0197 else {
            throw FormatError(.corrupt, file: path, problem: "not a TIA series (no 0x4949/0x0197 signature)")
        }
        version = Int(try r.u16(4))
        guard version == 0x210 || version == 0x220 else {
            throw FormatError(.unsupported, file: path, problem: String(format: "TIA series version 0x%x (Slipline reads 0x210 and 0x220)", version))
        }
        guard try r.i32(6) == 0x4122 else {
            throw FormatError(.unsupported, file: path, problem: "the series holds 1D spectra (DataTypeID \(try r.i32(6))), not images",
                              fix: "a spectrum series is no TEM video")
        }
        let wide = version == 0x220
        let total = Int(try r.i32(14)), valid = Int(try r.i32(18))
        let tableOffset = wide ? Int(try r.i64(22)) : Int(try r.i32(22))
        let dimensions = Int(try r.i32(wide ? 30 : 26))
        guard total >= 1, valid >= 1, valid <= total, total <= 10_000_000, dimensions >= 0, dimensions <= 16 else {
            throw FormatError(.corrupt, file: path, problem: "the series header declares \(valid) of \(total) elements in \(dimensions) dimension(s)")
        }
        let interval = try SERBytes.seriesInterval(&r, at: wide ? 34 : 30, dimensions: dimensions)
        let entry = wide ? 8 : 4
        let table = try handle.bytes(at: tableOffset, count: total * entry, what: "offset table")
        var t = SERBytes(table, file: path)
        offsets = try (0..<valid).map { wide ? Int(try t.i64($0 * 8)) : Int(try t.i32($0 * 4)) }
        var e = SERBytes(try handle.bytes(at: offsets[0], count: Self.elementHeader, what: "first image header"), file: path)
        let (w, h, type) = try Self.elementShape(&e, file: path)
        try FrameLimits.check(width: w, height: h, file: path, format: "TIA series")
        (width, height, sampleType, frameCount) = (w, h, type, valid)
        metadata = FrameMetadata(pixelSizeNm: try e.f64(8) * 1e9, frameIntervalS: interval)
    }

    public var formatDescription: String {
        "TIA SER (version 0x\(String(version, radix: 16))), \(sampleType.rawValue), \(frameCount) frame(s) of \(width)×\(height)"
    }

    static func elementShape(_ e: inout SERBytes, file: String) throws -> (Int, Int, SampleType) {
        let code = Int(try e.u16(40))
        let types: [Int: SampleType] = [1: .uint8, 2: .uint16, 3: .uint32, 4: .int8, 5: .int16, 6: .int32, 7: .float32, 8: .float64]
        guard let type = types[code] else {
            throw FormatError(.unsupported, file: file, problem: "its images have TIA data type \(code) (complex); Slipline reads real images")
        }
        return (Int(try e.i32(42)), Int(try e.i32(46)), type)
    }

    public func readFrame(_ index: Int, into pixels: inout [Float]) throws {
        guard index >= 0, index < frameCount else {
            throw FormatError(.invalidArgument, file: file, problem: "frame \(index) does not exist (the series has \(frameCount) images)")
        }
        var e = SERBytes(try handle.bytes(at: offsets[index], count: Self.elementHeader, what: "image \(index) header"), file: file)
        let (w, h, type) = try Self.elementShape(&e, file: file)
        guard w == width, h == height, type == sampleType else {
            throw FormatError(.wrongShape, file: file, problem: "image \(index) is \(w)×\(h) \(type.rawValue), image 0 is \(width)×\(height) \(sampleType.rawValue)")
        }
        let bytes = width * height * type.byteCount
        if raw.count != bytes { raw = [UInt8](repeating: 0, count: bytes) }
        try raw.withUnsafeMutableBytes { try handle.read(at: offsets[index] + Self.elementHeader, count: bytes, into: $0.baseAddress!, what: "image \(index)") }
        if pixels.count != width * height { pixels = [Float](repeating: 0, count: width * height) }
        raw.withUnsafeBytes { src in pixels.withUnsafeMutableBufferPointer { SampleWidening.widen(src, type: type, byteSwapped: false, into: $0) } }
    }
}

/// Little-endian fields of a TIA header or element, bounds-checked.
struct SERBytes {
    let bytes: [UInt8]
    let file: String

    init(_ bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    private func raw(_ o: Int, _ n: Int) throws -> UInt64 {
        guard o >= 0, o + n <= bytes.count else {
            throw FormatError(.truncated, file: file, problem: "the TIA header ends before byte \(o + n)")
        }
        return (0..<n).reduce(0) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) }
    }

    mutating func u16(_ o: Int) throws -> UInt16 { UInt16(try raw(o, 2)) }
    mutating func i32(_ o: Int) throws -> Int32 { Int32(truncatingIfNeeded: try raw(o, 4)) }
    mutating func i64(_ o: Int) throws -> Int64 {
        let v = Int64(bitPattern: try raw(o, 8))
        guard v >= 0, v < 1 << 50 else { throw FormatError(.corrupt, file: file, problem: "a TIA offset is \(v)") }
        return v
    }
    mutating func f64(_ o: Int) throws -> Double { Double(bitPattern: try raw(o, 8)) }

    /// The series dimensions (size, offset, delta, element, description, units): the first
    /// one's delta is the frame interval when its units are seconds.
    static func seriesInterval(_ r: inout SERBytes, at start: Int, dimensions: Int) throws -> Double? {
        var o = start
        var interval: Double?
        for d in 0..<dimensions {
            let delta = try r.f64(o + 12)
            let described = Int(try r.i32(o + 24))
            guard described >= 0, described < 4096 else { throw FormatError(.corrupt, file: r.file, problem: "a TIA dimension description of \(described) bytes") }
            o += 28 + described
            let unitLength = Int(try r.i32(o))
            guard unitLength >= 0, unitLength < 4096, o + 4 + unitLength <= r.bytes.count else { throw FormatError(.corrupt, file: r.file, problem: "a TIA dimension unit of \(unitLength) bytes") }
            let units = String(decoding: r.bytes[(o + 4)..<(o + 4 + unitLength)], as: UTF8.self)
            o += 4 + unitLength
            if d == 0, units.trimmingCharacters(in: .whitespaces).lowercased() == "s" { interval = delta }
        }
        return interval
    }
}
