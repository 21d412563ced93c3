import Foundation

/// Writes MRC2014 stacks (tests, fuzz seeds, `ctl bench formats`): the 1024-byte header with
/// `MAP ` stamp and machine stamp, an optional extended header, then the sections.
public struct MRCWriter {
    public var mode = 2
    public var bigEndian = false
    /// Pixel size, written as the cell (`cella.x = mx × pixel` in ångström).
    public var pixelSizeNm: Double?
    public var extendedHeaderBytes = 0

    public init(mode: Int = 2) { self.mode = mode }

    public var sampleType: SampleType {
        MRCHeader(nx: 1, ny: 1, nz: 1, mode: mode, mx: 0, cellX: 0, extendedHeaderBytes: 0, bigEndian: false).sampleType
    }

    public func header(width: Int, height: Int, frames: Int) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 1024)
        func put(_ v: Int32, _ o: Int) {
            let e = bigEndian ? UInt32(bitPattern: v).bigEndian : UInt32(bitPattern: v).littleEndian
            withUnsafeBytes(of: e) { for (i, b) in $0.enumerated() { h[o + i] = b } }
        }
        func putF(_ v: Float, _ o: Int) { put(Int32(bitPattern: v.bitPattern), o) }
        put(Int32(width), 0); put(Int32(height), 4); put(Int32(frames), 8); put(Int32(mode), 12)
        put(Int32(width), 28); put(Int32(height), 32); put(Int32(frames), 36)
        let pixelA = Float((pixelSizeNm ?? 0.1) * 10)
        putF(pixelA * Float(width), 40); putF(pixelA * Float(height), 44); putF(pixelA * Float(frames), 48)
        putF(90, 52); putF(90, 56); putF(90, 60)
        put(1, 64); put(2, 68); put(3, 72)
        put(Int32(extendedHeaderBytes), 92)
        put(20140, 108)
        for (i, c) in "MAP ".utf8.enumerated() { h[208 + i] = c }
        let stamp: [UInt8] = bigEndian ? [0x11, 0x11, 0, 0] : [0x44, 0x44, 0, 0]
        for i in 0..<4 { h[212 + i] = stamp[i] }
        return h
    }

    /// Writes `frames` of `width * height` values each.
    public func write(path: String, width: Int, height: Int, frames: [[Double]]) throws {
        var data = Data(header(width: width, height: height, frames: frames.count))
        data.append(Data(repeating: 0, count: extendedHeaderBytes))
        for frame in frames {
            if sampleType == .uint4 {
                for y in 0..<height { data.append(contentsOf: SampleEncoding.encode(Array(frame[(y * width)..<((y + 1) * width)]), as: .uint4)) }
            } else {
                data.append(contentsOf: SampleEncoding.encode(frame, as: sampleType, bigEndian: bigEndian))
            }
        }
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw FormatError(.writeFailed, .write, file: path, problem: error.localizedDescription)
        }
    }
}
