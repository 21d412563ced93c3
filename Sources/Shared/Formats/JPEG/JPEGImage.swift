import CTurboJPEG
import Foundation

/// A JPEG frame through libjpeg-turbo's TurboJPEG API, decoded straight to grey (colour files
/// are converted by libjpeg-turbo's YCbCr → luma). Values are `v / 255`. JPEG stores no
/// calibration Slipline reads.
public final class JPEGImage: FrameStack {
    public let file: String
    public let width: Int
    public let height: Int
    public let formatDescription: String
    public var frameCount: Int { 1 }
    public var metadata: FrameMetadata { FrameMetadata() }

    /// Largest JPEG file accepted (a frame, not a film).
    static let maxFileBytes = 256 << 20

    public init(path: String) throws {
        file = path
        let data = try Self.load(path)
        var w: Int32 = 0, h: Int32 = 0, subsampling: Int32 = 0, colourspace: Int32 = 0
        let ok = try Self.withDecoder(path) { handle in
            data.withUnsafeBufferPointer { tjDecompressHeader3(handle, $0.baseAddress, UInt(data.count), &w, &h, &subsampling, &colourspace) == 0 }
        }
        guard ok else { throw FormatError(.corrupt, file: path, problem: "not a readable JPEG (its header cannot be parsed)") }
        width = Int(w)
        height = Int(h)
        try FrameLimits.check(width: width, height: height, file: path, format: "JPEG")
        formatDescription = "JPEG, \(colourspace == Int32(TJCS_GRAY.rawValue) ? "grey" : "colour"), \(width)×\(height)"
    }

    public func readFrame(_ index: Int, into pixels: inout [Float]) throws {
        guard index == 0 else { throw FormatError(.invalidArgument, file: file, problem: "a JPEG holds one frame, frame \(index) was asked for") }
        let data = try Self.load(file)
        var grey = [UInt8](repeating: 0, count: width * height)
        let (w, h) = (Int32(width), Int32(height))
        let status = try Self.withDecoder(file) { handle -> (Int32, String) in
            let rc = data.withUnsafeBufferPointer { src in
                grey.withUnsafeMutableBufferPointer { dst in
                    tjDecompress2(handle, src.baseAddress, UInt(data.count), dst.baseAddress, w, 0, h, Int32(TJPF_GRAY.rawValue), 0)
                }
            }
            return (rc, String(cString: tjGetErrorStr2(handle)))
        }
        // libjpeg-turbo returns -1 also for warnings (a truncated file decodes with grey rows).
        guard status.0 == 0 else {
            throw FormatError(.corrupt, file: file, problem: "JPEG decoding failed: \(status.1)", fix: "the file is damaged or truncated")
        }
        if pixels.count != width * height { pixels = [Float](repeating: 0, count: width * height) }
        grey.withUnsafeBytes { src in
            pixels.withUnsafeMutableBufferPointer { SampleWidening.widen(src, type: .uint8, byteSwapped: false, into: $0) }
        }
    }

    private static func load(_ path: String) throws -> [UInt8] {
        let handle = try FrameFileHandle(path: path)
        guard handle.size <= maxFileBytes else {
            throw FormatError(.tooLarge, file: path, problem: "a \(handle.size)-byte JPEG is larger than any frame (limit \(maxFileBytes))")
        }
        return try handle.bytes(at: 0, count: handle.size, what: "JPEG data")
    }

    private static func withDecoder<T>(_ path: String, _ body: (tjhandle) throws -> T) throws -> T {
        guard let handle = tjInitDecompress() else {
            throw FormatError(.unreadable, file: path, problem: "libjpeg-turbo could not create a decoder")
        }
        defer { tjDestroy(handle) }
        return try body(handle)
    }
}
