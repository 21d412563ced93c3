import Foundation
import Kernels
import Shared

/// The file a `tem` shard hands its merge: every analysed frame of its range with its
/// resampled centrelines, exactly as the shard found them (float64, no text round trip).
///
/// Layout (little-endian): `SLTC`, version u32 = 2, frame count u32; per frame: frame_index
/// i64, the file name (u32 byte count + UTF-8), the frame's drift (x, y) float64 (version 2;
/// version 1 files have none and read as drift 0), curve count u32; per curve: point count
/// u32 and that many (x, y) float64 pairs in image coordinates (px).
public enum TEMCurvesFile {
    public struct Frame: Sendable, Equatable {
        public var index: Int
        public var file: String
        public var curves: [[TEMPoint]]
        /// Stage drift of the frame relative to frame 0 (px), nil when it could not be estimated.
        public var drift: TEMPoint?

        public init(index: Int, file: String, curves: [[TEMPoint]], drift: TEMPoint? = nil) {
            self.index = index
            self.file = file
            self.curves = curves
            self.drift = drift
        }
    }

    static let magic: [UInt8] = Array("SLTC".utf8)
    static let version: UInt32 = 2

    /// Writes `frames` to `path` atomically.
    public static func write(_ frames: [Frame], to path: String) throws {
        var data = Data(magic)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        put(version)
        put(UInt32(frames.count))
        for frame in frames {
            put(Int64(frame.index))
            let name = Array(frame.file.utf8)
            put(UInt32(name.count))
            data.append(contentsOf: name)
            // NaN marks "no estimate".
            put((frame.drift?.x ?? .nan).bitPattern)
            put((frame.drift?.y ?? .nan).bitPattern)
            put(UInt32(frame.curves.count))
            for curve in frame.curves {
                put(UInt32(curve.count))
                for p in curve {
                    put(p.x.bitPattern)
                    put(p.y.bitPattern)
                }
            }
        }
        try AtomicFile.write(path) { try data.write(to: URL(fileURLWithPath: $0)) }
    }

    /// Reads a file `write` wrote; a damaged one is an error naming it.
    public static func read(_ path: String) throws -> [Frame] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TaskError("cannot read the shard's curves file \(path) (deleted from the output directory?); retry the job")
        }
        return try data.withUnsafeBytes { raw in
            var reader = Reader(bytes: raw, path: path)
            guard try reader.bytes(4) == magic else { throw reader.damaged("not a curves file") }
            let fileVersion = try reader.integer(UInt32.self)
            guard fileVersion == 1 || fileVersion == version else { throw reader.damaged("unknown version") }
            let count = Int(try reader.integer(UInt32.self))
            var frames: [Frame] = []
            frames.reserveCapacity(min(count, 1 << 20))
            for _ in 0..<count {
                let index = Int(try reader.integer(Int64.self))
                let name = String(decoding: try reader.bytes(Int(try reader.integer(UInt32.self))), as: UTF8.self)
                var drift: TEMPoint? = nil
                if fileVersion >= 2 {
                    let x = Double(bitPattern: try reader.integer(UInt64.self)), y = Double(bitPattern: try reader.integer(UInt64.self))
                    if x.isFinite && y.isFinite { drift = TEMPoint(x, y) }
                }
                let nCurves = Int(try reader.integer(UInt32.self))
                var curves: [[TEMPoint]] = []
                for _ in 0..<nCurves {
                    let nPoints = Int(try reader.integer(UInt32.self))
                    try reader.require(nPoints * 16)
                    curves.append((0..<nPoints).map { _ in
                        TEMPoint(Double(bitPattern: reader.unchecked()), Double(bitPattern: reader.unchecked()))
                    })
                }
                frames.append(Frame(index: index, file: name, curves: curves, drift: drift))
            }
            return frames
        }
    }

    /// Bounds-checked little-endian reads.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let path: String
        var offset = 0

        init(bytes: UnsafeRawBufferPointer, path: String) {
            self.bytes = bytes
            self.path = path
        }

        func damaged(_ what: String) -> TaskError {
            TaskError("the shard's curves file \(path) is damaged (\(what) at byte \(offset)); retry the job")
        }

        func require(_ n: Int) throws {
            guard n >= 0, offset + n <= bytes.count else { throw damaged("truncated") }
        }

        mutating func bytes(_ n: Int) throws -> [UInt8] {
            try require(n)
            defer { offset += n }
            return Array(bytes[offset..<(offset + n)])
        }

        mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            try require(MemoryLayout<T>.size)
            return unchecked()
        }

        /// After `require`.
        mutating func unchecked<T: FixedWidthInteger>() -> T {
            defer { offset += MemoryLayout<T>.size }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
    }
}
