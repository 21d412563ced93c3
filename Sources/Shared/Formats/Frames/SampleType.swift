/// How a file stores one pixel.
public enum SampleType: String, Sendable, Equatable, CaseIterable {
    case uint4, uint8, int8, uint16, int16, uint32, int32, uint64, int64, float16, float32, float64

    /// Bytes per sample (`uint4` packs two per byte and reports 1: callers size rows themselves).
    public var byteCount: Int {
        switch self {
        case .uint4, .uint8, .int8: 1
        case .uint16, .int16, .float16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }

    /// The factor stored values are multiplied by (see ``FrameStack``): unsigned 4/8/16-bit
    /// map to [0, 1], everything else keeps its value.
    public var scale: Float {
        switch self {
        case .uint4: 1 / 15
        case .uint8: 1 / 255
        case .uint16: 1 / 65535
        default: 1
        }
    }

    /// Bytes of one row of `width` samples.
    public func rowBytes(width: Int) -> Int {
        self == .uint4 ? (width + 1) / 2 : width * byteCount
    }
}
