import Kernels

/// Raw frame bytes of a `STEM4DSource` as the kernels' typed frames, and the NaN/Inf check
/// for float data; used by the coordinator (calibration sample) and the workers (shards).
public enum STEM4DFrameBytes {
    /// Calls `body` with `raw` bound to the element type.
    public static func frames<R>(_ raw: UnsafeRawBufferPointer, element: STEM4DElement, _ body: (STEM4DFrames) throws -> R) rethrows -> R {
        switch element {
        case .uint8: return try body(.uint8(raw.bindMemory(to: UInt8.self)))
        case .uint16: return try body(.uint16(raw.bindMemory(to: UInt16.self)))
        case .uint32: return try body(.uint32(raw.bindMemory(to: UInt32.self)))
        case .float32: return try body(.float32(raw.bindMemory(to: Float.self)))
        }
    }

    /// Throws when float data holds NaN or Inf, naming the file and the scan position.
    public static func check(_ raw: UnsafeRawBufferPointer, element: STEM4DElement, label: String, firstFrame: Int, framePixels: Int) throws {
        guard element == .float32 else { return }
        let values = raw.bindMemory(to: Float.self)
        var bad = -1
        for i in values.indices where !values[i].isFinite { bad = i; break }
        if bad >= 0 {
            throw STEM4DDataError(message: "\(label): holds \(values[bad]) at scan position \(firstFrame + bad / framePixels); 4D-STEM data must be finite")
        }
    }
}

/// 4D-STEM data that cannot be processed (NaN or Inf values), with the file and scan position.
public struct STEM4DDataError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
