import Foundation

/// Writes TIA series of 2D images (tests and fuzz seeds): version 0x210 (32-bit offsets) or
/// 0x220 (64-bit), one time dimension (`s` units when a frame interval is given), time tags.
public struct SERWriter {
    public var version = 0x220
    public var sampleType: SampleType = .uint16
    public var pixelSizeNm = 1.0
    public var frameIntervalS: Double?

    public init(version: Int = 0x220) { self.version = version }

    public func write(path: String, width: Int, height: Int, frames: [[Double]]) throws {
        let wide = version == 0x220
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func putF(_ v: Double) { put(v.bitPattern) }
        let codes: [SampleType: Int16] = [.uint8: 1, .uint16: 2, .uint32: 3, .int8: 4, .int16: 5, .int32: 6, .float32: 7, .float64: 8]
        put(UInt16(0x4949)); put(UInt16(0x0197)); put(UInt16(version))
        put(Int32(0x4122)); put(Int32(0x4152)); put(Int32(frames.count)); put(Int32(frames.count))
        let tablePatch = out.count
        if wide { put(Int64(0)) } else { put(Int32(0)) }
        put(Int32(1))
        // The series dimension.
        put(Int32(frames.count)); putF(0); putF(frameIntervalS ?? 1); put(Int32(0))
        let description = Array("Number".utf8), units = Array((frameIntervalS == nil ? "" : "s").utf8)
        put(Int32(description.count)); out += description
        put(Int32(units.count)); out += units
        var dataOffsets: [Int] = []
        for frame in frames {
            dataOffsets.append(out.count)
            putF(0); putF(pixelSizeNm * 1e-9); put(Int32(0))
            putF(0); putF(pixelSizeNm * 1e-9); put(Int32(0))
            put(codes[sampleType] ?? 2); put(Int32(width)); put(Int32(height))
            out += SampleEncoding.encode(frame, as: sampleType)
        }
        var tagOffsets: [Int] = []
        for f in frames.indices {
            tagOffsets.append(out.count)
            put(Int16(0x4152)); put(Int32(1_700_000_000 + f))
        }
        let table = out.count
        for o in dataOffsets { if wide { put(Int64(o)) } else { put(Int32(o)) } }
        for o in tagOffsets { if wide { put(Int64(o)) } else { put(Int32(o)) } }
        withUnsafeBytes(of: wide ? UInt64(table).littleEndian : UInt64(UInt32(table).littleEndian)) {
            for i in 0..<(wide ? 8 : 4) { out[tablePatch + i] = $0[i] }
        }
        do { try Data(out).write(to: URL(fileURLWithPath: path)) } catch {
            throw FormatError(.writeFailed, .write, file: path, problem: error.localizedDescription)
        }
    }
}
