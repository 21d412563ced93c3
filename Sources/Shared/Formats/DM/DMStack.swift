/// A DigitalMicrograph DM3/DM4 image or 3D stack as frames: the largest image of the file's
/// `ImageList` (the first is usually a thumbnail), `Dimensions` (x, y[, frames]), its
/// `DataType`, and its calibration: `Calibrations › Dimension › 0 › Scale` and `Units` give
/// the pixel size; a third dimension in seconds gives the frame interval.
public final class DMStack: FrameStack {
    public let file: String
    public let width: Int
    public let height: Int
    public let frameCount: Int
    public let metadata: FrameMetadata
    public let sampleType: SampleType
    public let version: Int
    private let dataOffset: Int
    private let littleEndian: Bool
    private let handle: FrameFileHandle
    private var raw: [UInt8] = []

    public init(path: String) throws {
        file = path
        let dm = try DMFile(path: path)
        version = dm.version
        littleEndian = dm.littleEndian
        let images = dm.root["ImageList"]?.children ?? []
        let withData = images.compactMap { image -> (DMTag, elementType: Int, count: Int, offset: Int)? in
            guard case .value(.array(let t, let n, let o))? = image.at("ImageData", "Data") else { return nil }
            return (image, t, n, o)
        }
        guard let chosen = withData.max(by: { $0.count < $1.count }) else {
            throw FormatError(.missing, file: path, problem: "the DM file holds no image data (no ImageList › ImageData › Data)",
                              fix: "save the image from DigitalMicrograph as .dm4 with its data")
        }
        let imageData = chosen.0["ImageData"]!
        let dims = (imageData["Dimensions"]?.children ?? []).compactMap(\.number).map { Int(exactly: $0.rounded()) ?? -1 }
        guard (2...3).contains(dims.count), dims.allSatisfy({ $0 >= 1 }) else {
            throw FormatError(.wrongShape, file: path, problem: "its image has dimensions \(dims); Slipline reads 2D images and 3D stacks (x, y, frames)",
                              fix: dims.count == 4 ? "this is a 4D (4D-STEM) dataset: run it with --kind stem4d" : "export the frames as a 2D/3D image")
        }
        let code = Int(imageData["DataType"]?.number ?? -1)
        guard let type = Self.sampleType(dataType: code) else {
            throw FormatError(.unsupported, file: path, problem: "its image has DM data type \(code) (complex, RGB or packed); Slipline reads real grey images",
                              fix: "convert the image to a real type (Image ▸ Type ▸ Real / Integer) in DigitalMicrograph")
        }
        try FrameLimits.check(width: dims[0], height: dims[1], file: path, format: "DM image")
        width = dims[0]
        height = dims[1]
        frameCount = dims.count == 3 ? dims[2] : 1
        sampleType = type
        guard chosen.count * (DMValueParser.size(ofType: chosen.elementType) ?? 0) == width * height * frameCount * type.byteCount else {
            throw FormatError(.corrupt, file: path,
                              problem: "its data array holds \(chosen.count) elements of type \(chosen.elementType), but \(dims) samples of \(type.rawValue) were declared")
        }
        dataOffset = chosen.offset
        handle = try FrameFileHandle(path: path)
        metadata = Self.calibration(imageData["Calibrations"]?["Dimension"]?.children ?? [])
    }

    public var formatDescription: String {
        "DM\(version), \(sampleType.rawValue), \(frameCount) frame(s) of \(width)×\(height)"
    }

    /// DM `DataType` codes of real grey images.
    static func sampleType(dataType: Int) -> SampleType? {
        switch dataType {
        case 1: .int16
        case 2: .float32
        case 6, 14: .uint8
        case 7: .int32
        case 9: .int8
        case 10: .uint16
        case 11: .uint32
        case 12: .float64
        case 39: .int64
        case 40: .uint64
        default: nil
        }
    }

    static func calibration(_ dimensions: [DMTag]) -> FrameMetadata {
        func length(_ d: DMTag?) -> Double? {
            guard let d, let scale = d["Scale"]?.number, let unit = d["Units"]?.text, let perUnit = FrameMetadata.nanometres(perUnit: unit) else { return nil }
            return scale * perUnit
        }
        var interval: Double?
        if dimensions.count >= 3, let scale = dimensions[2]["Scale"]?.number, let unit = dimensions[2]["Units"]?.text?.lowercased() {
            switch unit {
            case "s", "sec", "seconds": interval = scale
            case "ms": interval = scale / 1000
            default: break
            }
        }
        return FrameMetadata(pixelSizeNm: length(dimensions.first), frameIntervalS: interval)
    }

    public func readFrame(_ index: Int, into pixels: inout [Float]) throws {
        guard index >= 0, index < frameCount else {
            throw FormatError(.invalidArgument, file: file, problem: "frame \(index) does not exist (the image has \(frameCount) frame(s))")
        }
        let bytes = width * height * sampleType.byteCount
        if raw.count != bytes { raw = [UInt8](repeating: 0, count: bytes) }
        try raw.withUnsafeMutableBytes { try handle.read(at: dataOffset + index * bytes, count: bytes, into: $0.baseAddress!, what: "frame \(index)") }
        if pixels.count != width * height { pixels = [Float](repeating: 0, count: width * height) }
        let swapped = !littleEndian, type = sampleType
        raw.withUnsafeBytes { src in pixels.withUnsafeMutableBufferPointer { SampleWidening.widen(src, type: type, byteSwapped: swapped, into: $0) } }
    }
}
