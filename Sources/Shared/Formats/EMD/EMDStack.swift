import Foundation

/// A Thermo Fisher Velox EMD file (HDF5) as frames: the image dataset `/Data/Image/<id>/Data`
/// of shape (height, width, frames) — the one with the most frames when there are several
/// detectors — read one frame (a hyperslab) at a time through HDF5. Its `Metadata` dataset
/// (a JSON document per frame, as bytes) gives the pixel size (`BinaryResult › PixelSize ›
/// width`, metres) and the frame interval (`Scan › FrameTime`, seconds).
public final class EMDStack: FrameStack {
    public let file: String
    public let width: Int
    public let height: Int
    public let frameCount: Int
    public let metadata: FrameMetadata
    private let dataset: HDF5Dataset
    private let scale: Float

    public init(path: String) throws {
        file = path
        let h5 = try HDF5File.open(path: path)
        let images = try Self.imageDatasets(h5)
        guard let chosen = images.max(by: { ($0.shape.count == 3 ? $0.shape[2] : 1) < ($1.shape.count == 3 ? $1.shape[2] : 1) }) else {
            throw FormatError(.missing, file: path, problem: "the HDF5 file has no Velox image dataset (/Data/Image/*/Data of rank 2 or 3)",
                              fix: "if it holds a 3D complex volume or a 4D-STEM cube, run it with --kind bcdi or --kind stem4d")
        }
        dataset = try h5.dataset(chosen.path)
        guard dataset.elementType.isReal else {
            throw FormatError(.unsupported, file: path, dataset: chosen.path, problem: "holds \(dataset.elementType) values; Slipline reads real images")
        }
        height = chosen.shape[0]
        width = chosen.shape[1]
        frameCount = chosen.shape.count == 3 ? chosen.shape[2] : 1
        try FrameLimits.check(width: width, height: height, file: path, format: "Velox EMD image")
        scale = dataset.elementType == .uint8 ? SampleType.uint8.scale : dataset.elementType == .uint16 ? SampleType.uint16.scale : 1
        let metadataPath = (chosen.path as NSString).deletingLastPathComponent + "/Metadata"
        metadata = (try? Self.calibration(h5, metadataPath)) ?? FrameMetadata()
    }

    public var formatDescription: String { "Velox EMD, \(dataset.elementType), \(frameCount) frame(s) of \(width)×\(height) (\(dataset.path))" }

    /// Whether `path` is an HDF5 file with a Velox image dataset.
    public static func holdsImages(_ path: String) -> Bool {
        guard let h5 = try? HDF5File.open(path: path), let images = try? imageDatasets(h5) else { return false }
        return !images.isEmpty
    }

    static func imageDatasets(_ h5: HDF5File) throws -> [HDF5File.DatasetInfo] {
        guard h5.containsGroup("/Data/Image") else { return [] }
        return try h5.datasets().filter { info in
            let parts = info.path.split(separator: "/")
            return parts.count == 4 && parts[0] == "Data" && parts[1] == "Image" && parts[3] == "Data" && (2...3).contains(info.rank)
        }
    }

    static func calibration(_ h5: HDF5File, _ path: String) throws -> FrameMetadata {
        let set = try h5.dataset(path)
        guard set.rank == 2, set.shape[0] > 0, set.shape[0] <= 1 << 24 else { return FrameMetadata() }
        let bytes = try set.read(UInt8.self, ranges: [0..<set.shape[0], 0..<1])
        let text = bytes.prefix { $0 != 0 }
        guard let json = try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else { return FrameMetadata() }
        func number(_ keys: String...) -> Double? {
            var node: Any? = json
            for k in keys { node = (node as? [String: Any])?[k] }
            if let s = node as? String { return Double(s) }
            return (node as? NSNumber)?.doubleValue
        }
        return FrameMetadata(pixelSizeNm: number("BinaryResult", "PixelSize", "width").map { $0 * 1e9 },
                             frameIntervalS: number("Scan", "FrameTime"))
    }

    public func readFrame(_ index: Int, into pixels: inout [Float]) throws {
        guard index >= 0, index < frameCount else {
            throw FormatError(.invalidArgument, file: file, problem: "frame \(index) does not exist (the image has \(frameCount) frames)")
        }
        if pixels.count != width * height { pixels = [Float](repeating: 0, count: width * height) }
        let ranges = dataset.rank == 3 ? [0..<height, 0..<width, index..<(index + 1)] : []
        try pixels.withUnsafeMutableBufferPointer { try dataset.read(ranges: ranges, into: $0) }
        if scale != 1 { for i in pixels.indices { pixels[i] *= scale } }
    }
}
