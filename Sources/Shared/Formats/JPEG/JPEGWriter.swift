import CTurboJPEG
import Foundation

/// Writes 8-bit grey JPEG frames through TurboJPEG (tests and fuzz seeds).
public enum JPEGWriter {
    /// Encodes `grey` (`width * height` bytes) at `quality` (1…100) to `path`.
    public static func write(path: String, width: Int, height: Int, grey: [UInt8], quality: Int = 95) throws {
        guard let handle = tjInitCompress() else { throw FormatError(.writeFailed, .write, file: path, problem: "libjpeg-turbo could not create an encoder") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = grey.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_GRAY.rawValue), &output, &size,
                        Int32(TJSAMP_GRAY.rawValue), Int32(quality), 0)
        }
        defer { if let output { tjFree(output) } }
        guard rc == 0, let output else {
            throw FormatError(.writeFailed, .write, file: path, problem: String(cString: tjGetErrorStr2(handle)))
        }
        do { try Data(bytes: output, count: Int(size)).write(to: URL(fileURLWithPath: path)) } catch {
            throw FormatError(.writeFailed, .write, file: path, problem: error.localizedDescription)
        }
    }
}
