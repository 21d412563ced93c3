/// A block of diffraction frames, C order (frames × det_rows × det_cols), in the element type
/// it was stored with. Frames are consecutive scan positions (scan rows × scan cols flattened).
///
/// The enum lets callers pick the element type at run time (from a file header) while the
/// kernels stay specialised per type.
public enum STEM4DFrames {
    case uint8(UnsafeBufferPointer<UInt8>)
    case uint16(UnsafeBufferPointer<UInt16>)
    case uint32(UnsafeBufferPointer<UInt32>)
    case float32(UnsafeBufferPointer<Float>)

    /// Number of elements in the buffer.
    public var count: Int {
        switch self {
        case .uint8(let b): return b.count
        case .uint16(let b): return b.count
        case .uint32(let b): return b.count
        case .float32(let b): return b.count
        }
    }

    /// Bytes per element.
    public var elementSize: Int {
        switch self {
        case .uint8: return 1
        case .uint16: return 2
        case .uint32: return 4
        case .float32: return 4
        }
    }

    /// Total bytes of the block.
    public var byteCount: Int { count * elementSize }
}

/// The shape of a detector frame, in pixels.
public struct STEM4DDetectorShape: Sendable, Hashable, Codable {
    /// Detector rows (det_y).
    public var rows: Int
    /// Detector columns (det_x).
    public var cols: Int
    /// Pixels per frame.
    public var pixels: Int { rows * cols }

    /// A detector of `rows` × `cols` pixels.
    public init(rows: Int, cols: Int) {
        precondition(rows > 0 && cols > 0, "detector shape must be positive, got \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
    }
}
