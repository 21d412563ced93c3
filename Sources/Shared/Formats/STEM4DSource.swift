import Foundation

/// The stored element type of a 4D-STEM cube as the kernels see it. Merlin `.mib` frames are
/// widened to `uint32` on reading (they are big-endian on disk).
public enum STEM4DElement: String, Sendable, Codable, Equatable {
    case uint8, uint16, uint32, float32

    public var byteSize: Int {
        switch self {
        case .uint8: 1
        case .uint16: 2
        case .uint32, .float32: 4
        }
    }
}

/// A 4D-STEM cube (scan_y, scan_x, det_y, det_x) in HDF5, `.npy`, Merlin `.mib` (counting or
/// RAW), EMPAD or a Gatan 4D DM4 (stored scan-fastest, gathered into frames: `DMCube`), opened for
/// reading frame ranges (a frame is one scan position; frames are numbered in C order of the
/// scan). Not thread-safe: each task opens its own.
///
/// HDF5 is read by hyperslabs of whole scan rows (or part of one row), which the HDF5 library
/// serves chunk by chunk; `.npy` is memory-mapped and served without a copy; `.mib` frames
/// are widened from big-endian into a scratch buffer.
public final class STEM4DSource: @unchecked Sendable {
    /// Largest accepted scan side and detector side; anything larger is a corrupt header.
    public static let maxScanSide = 1 << 16
    public static let maxDetectorSide = 1 << 13
    /// Largest accepted cube, bytes (1 PiB: far beyond any acquisition, catches overflow).
    public static let maxCubeBytes = 1 << 50

    private enum Backing {
        case hdf5(HDF5File, HDF5Dataset)
        case npy(NPYFile)
        case mib(MIBFile)
        case dectris(DectrisFrames)
        case empad(EMPADFile)
        case dm(DMCube)
    }

    public let path: String
    /// `h5`, `npy`, `mib`, `dectris`, `empad` or `dm`.
    public let format: String
    /// The HDF5 dataset read (nil for other formats).
    public let dataset: String?
    public let scanRows: Int, scanCols: Int, detRows: Int, detCols: Int
    public let element: STEM4DElement
    private let backing: Backing
    private var scratch: UnsafeMutableRawBufferPointer?

    /// `[scan_y, scan_x, det_y, det_x]`.
    public var shape: [Int] { [scanRows, scanCols, detRows, detCols] }
    public var frameCount: Int { scanRows * scanCols }
    public var framePixels: Int { detRows * detCols }
    public var frameBytes: Int { framePixels * element.byteSize }
    /// Whether the data is an HDF5 chunked (usually compressed) dataset: decoding costs more
    /// than reading, so planners cut it into smaller shards.
    public var isChunked: Bool {
        if case .hdf5(_, let ds) = backing { return ds.chunkShape != nil }
        if case .dectris = backing { return true }
        return false
    }
    /// A short name for messages: the file name (and dataset).
    public var label: String {
        let name = (path as NSString).lastPathComponent
        return dataset.map { "\(name) dataset \($0)" } ?? name
    }

    /// The formats by file extension.
    public static func format(of path: String) -> String? {
        switch (path as NSString).pathExtension.lowercased() {
        case "h5", "hdf5", "hdf", "nxs", "emd": return "h5"
        case "npy": return "npy"
        case "mib": return "mib"
        case "raw", "xml": return "empad"
        case "dm4", "dm3": return "dm"
        default: return nil
        }
    }

    /// Opens `path`. `dataset` picks the HDF5 dataset (default: the only 4D dataset); `scan`
    /// gives the scan shape of a `.mib` file as `WxH` when its `.hdr` does not.
    public static func open(path: String, dataset: String? = nil, scan: String? = nil) throws -> STEM4DSource {
        let name = (path as NSString).lastPathComponent
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FormatError(.unreadable, file: path, problem: "does not exist or is not readable")
        }
        guard let format = format(of: path) else {
            throw FormatError(.unsupported, file: path,
                              problem: "is not a 4D-STEM file (expected .h5/.hdf5, .npy, .mib, .dm4 or EMPAD .xml/.raw)")
        }
        switch format {
        case "h5":
            return try openHDF5(path: path, dataset: dataset, scan: scan)
        case "npy":
            let file = try NPYFile.open(path: path)
            guard file.shape.count == 4 else {
                throw FormatError(.wrongShape, file: path,
                                  problem: "has rank \(file.shape.count) (shape \(file.shape)); a 4D-STEM cube is 4D (scan_y, scan_x, det_y, det_x)")
            }
            let element: STEM4DElement
            switch file.dtype {
            case .uint8: element = .uint8
            case .uint16: element = .uint16
            case .uint32: element = .uint32
            case .float32: element = .float32
            default:
                throw FormatError(.unsupported, file: path,
                                  problem: "holds \(file.dtype)\(file.dtype.isHostOrder ? "" : " (byte order differs from this machine)"); 4D-STEM data must be unsigned 8/16/32-bit or float32 in native byte order")
            }
            return try STEM4DSource(path: path, format: format, dataset: nil, shape: file.shape, element: element, backing: .npy(file))
        case "dm":
            let cube = try DMCube(path: path)
            let element: STEM4DElement
            switch cube.sampleType {
            case .uint8: element = .uint8
            case .uint16: element = .uint16
            case .uint32: element = .uint32
            default: element = .float32  // DMCube admits only these four
            }
            return try STEM4DSource(path: path, format: format, dataset: nil,
                                    shape: [cube.scanRows, cube.scanCols, cube.detRows, cube.detCols], element: element, backing: .dm(cube))
        case "empad":
            let file = try EMPADFile.open(path: path)
            let shape = try scanShape(scan, fromFile: file.scan, frames: file.frameCount, path: path)
            return try STEM4DSource(path: path, format: format, dataset: nil,
                                    shape: [shape.height, shape.width, EMPADFile.dataRows, EMPADFile.width], element: .float32, backing: .empad(file))
        default:
            let file = try MIBFile.open(path: path)
            let shape: MIBScanShape
            if let scan, !scan.isEmpty {
                guard let parsed = MIBScanShape(parsing: scan) else {
                    throw FormatError(.invalidArgument, file: path, problem: "--param scan=\(scan) is not WxH (e.g. scan=256x256)")
                }
                shape = parsed
            } else if let fromHeader = file.scanShape {
                shape = fromHeader
            } else {
                throw FormatError(.invalidArgument, file: path,
                                  problem: "\(name) holds \(file.frameCount) frames but no .hdr gives the scan shape",
                                  fix: "pass --param scan=WxH (e.g. scan=\(Int(Double(file.frameCount).squareRoot()))x\(Int(Double(file.frameCount).squareRoot())))")
            }
            guard shape.width > 0, shape.height > 0, shape.frameCount <= file.frameCount else {
                throw FormatError(.truncated, file: path,
                                  problem: "scan \(shape) needs \(shape.frameCount) frames but the file holds \(file.frameCount)",
                                  fix: "check --param scan=WxH or the acquisition")
            }
            return try STEM4DSource(path: path, format: format, dataset: nil,
                                    shape: [shape.height, shape.width, file.height, file.width], element: .uint32, backing: .mib(file))
        }
    }

    /// An HDF5 file: the named dataset, a Dectris acquisition, or the only 4D dataset.
    private static func openHDF5(path: String, dataset: String?, scan: String?) throws -> STEM4DSource {
        let format = "h5"
        let file = try HDF5File.open(path: path)
        if dataset?.isEmpty ?? true, let frames = DectrisFrames.framePaths(in: file) {
            return try openDectris(file, frames: frames, scan: scan)
        }
        let chosen: String
        if let dataset, !dataset.isEmpty {
            guard file.containsDataset(dataset) else {
                let found = (try? file.datasets().map { "\($0.path) \($0.shape)" }) ?? []
                throw FormatError(.missing, file: path, dataset: dataset,
                                  problem: "no such dataset (the file holds: \(found.isEmpty ? "no datasets" : found.joined(separator: ", ")))",
                                  fix: "pass --param dataset=/path/to/the/4D/dataset")
            }
            chosen = dataset
        } else {
            let all = try file.datasets()
            let fours = all.filter { $0.rank == 4 }
            guard fours.count == 1 else {
                let listing = all.map { "\($0.path) \($0.shape)" }.joined(separator: ", ")
                throw FormatError(.missing, file: path,
                                  problem: fours.isEmpty
                                    ? "holds no 4D dataset (found: \(listing.isEmpty ? "none" : listing))"
                                    : "holds \(fours.count) 4D datasets (\(fours.map(\.path).joined(separator: ", ")))",
                                  fix: "pass --param dataset=/path to choose one")
            }
            chosen = fours[0].path
        }
        let ds = try file.dataset(chosen)
        guard ds.rank == 4 else {
            throw FormatError(.wrongShape, file: path, dataset: chosen,
                              problem: "has rank \(ds.rank) (shape \(ds.shape)); a 4D-STEM cube is 4D (scan_y, scan_x, det_y, det_x)")
        }
        let element: STEM4DElement
        switch ds.elementType {
        case .uint8: element = .uint8
        case .uint16: element = .uint16
        case .uint32: element = .uint32
        case .float32: element = .float32
        default:
            throw FormatError(.unsupported, file: path, dataset: chosen,
                              problem: "holds \(ds.elementType); 4D-STEM data must be unsigned 8/16/32-bit or float32")
        }
        return try STEM4DSource(path: path, format: format, dataset: chosen, shape: ds.shape, element: element, backing: .hdf5(file, ds))
    }

    /// The scan from `--param scan=WxH`, else the file's own; checked against the frames held.
    private static func scanShape(_ scan: String?, fromFile: MIBScanShape?, frames: Int, path: String) throws -> MIBScanShape {
        let shape: MIBScanShape
        if let scan, !scan.isEmpty {
            guard let parsed = MIBScanShape(parsing: scan) else {
                throw FormatError(.invalidArgument, file: path, problem: "--param scan=\(scan) is not WxH (e.g. scan=256x256)")
            }
            shape = parsed
        } else if let fromFile {
            shape = fromFile
        } else {
            throw FormatError(.invalidArgument, file: path, problem: "holds \(frames) frames but does not give the scan shape", fix: "pass --param scan=WxH")
        }
        guard shape.frameCount <= frames else {
            throw FormatError(.truncated, file: path, problem: "scan \(shape) needs \(shape.frameCount) frames but the file holds \(frames)",
                              fix: "check --param scan=WxH or the acquisition")
        }
        return shape
    }

    /// A Dectris master or data file: frames from its stacks, the scan from `scan=WxH` or square.
    private static func openDectris(_ file: HDF5File, frames paths: [String], scan: String?) throws -> STEM4DSource {
        let path = file.path
        let frames = try DectrisFrames(file: file, paths: paths)
        let element: STEM4DElement
        switch frames.elementType {
        case .uint8: element = .uint8
        case .uint16: element = .uint16
        case .uint32: element = .uint32
        default:
            throw FormatError(.unsupported, file: path, dataset: paths[0], problem: "holds \(frames.elementType); Dectris frames are unsigned 8/16/32-bit")
        }
        let side = Int(Double(frames.frameCount).squareRoot())
        let shape: MIBScanShape
        if let scan, !scan.isEmpty {
            guard let parsed = MIBScanShape(parsing: scan) else {
                throw FormatError(.invalidArgument, file: path, problem: "--param scan=\(scan) is not WxH (e.g. scan=256x256)")
            }
            shape = parsed
        } else if side * side == frames.frameCount {
            shape = MIBScanShape(width: side, height: side)
        } else {
            throw FormatError(.invalidArgument, file: path,
                              problem: "holds \(frames.frameCount) Dectris frames, not a square scan, and the file does not give the scan shape",
                              fix: "pass --param scan=WxH")
        }
        guard shape.frameCount <= frames.frameCount else {
            throw FormatError(.truncated, file: path, problem: "scan \(shape) needs \(shape.frameCount) frames but the data files hold \(frames.frameCount)",
                              fix: "check --param scan=WxH or that every data file is next to the master")
        }
        return try STEM4DSource(path: path, format: "dectris", dataset: paths.count == 1 ? paths[0] : nil,
                                shape: [shape.height, shape.width, frames.detRows, frames.detCols], element: element, backing: .dectris(frames))
    }

    private init(path: String, format: String, dataset: String?, shape: [Int], element: STEM4DElement, backing: Backing) throws {
        guard shape.count == 4, shape.allSatisfy({ $0 > 0 }) else {
            throw FormatError(.wrongShape, file: path, dataset: dataset, problem: "has shape \(shape); every axis must be at least 1")
        }
        guard shape[0] <= Self.maxScanSide, shape[1] <= Self.maxScanSide,
              shape[2] <= Self.maxDetectorSide, shape[3] <= Self.maxDetectorSide else {
            throw FormatError(.tooLarge, file: path, dataset: dataset,
                              problem: "declares an absurd shape \(shape) (limits: scan sides ≤ \(Self.maxScanSide), detector sides ≤ \(Self.maxDetectorSide))")
        }
        // Within the side limits the product fits in 64 bits.
        let bytes = shape.reduce(element.byteSize, *)
        guard bytes <= Self.maxCubeBytes else {
            throw FormatError(.tooLarge, file: path, dataset: dataset, problem: "declares an absurd size (shape \(shape))")
        }
        self.path = path
        self.format = format
        self.dataset = dataset
        self.scanRows = shape[0]; self.scanCols = shape[1]; self.detRows = shape[2]; self.detCols = shape[3]
        self.element = element
        self.backing = backing
    }

    deinit { scratch?.deallocate() }

    /// What the file was found to be, for `ctl run` and the job notes: the format and its
    /// variant, the cube's axes and type, and the calibration the file carries.
    public var summary: String {
        let axes = "scan \(scanCols)x\(scanRows) (x×y), detector \(detCols)×\(detRows)"
        switch backing {
        case .hdf5(_, let ds):
            return "HDF5 dataset \(ds.path) \(ds.shape) \(element.rawValue)\(ds.chunkShape.map { ", chunks \($0)" } ?? ""): \(axes)"
        case .npy:
            return ".npy \(element.rawValue) \(shape): \(axes)"
        case .dectris(let frames):
            return "Dectris HDF5 (\(frames.frameCount) frames, \(element.rawValue)): \(axes)"
        case .empad:
            return "EMPAD .raw (float32, 128×130 frames with 2 metadata rows): \(axes)"
        case .mib(let file):
            let h = file.header
            let encoding = h.raw.map { "RAW \($0.counterDepth)-bit" } ?? "\(h.pixelType.rawValue) (\(h.pixelType.counterDepth)-bit counter)"
            let chips = h.chipCount == 4 ? "2×2 quad of \(h.raw.map { "\($0.storedHeight)²" } ?? "\(h.detectorWidth / 2)²") chips" : "\(h.chipCount) chip(s), layout \(h.sensorLayout)"
            let scanFrom = file.scanShape.map { "\($0)" == "\(scanCols)x\(scanRows)" ? " from the .hdr" : "" } ?? ""
            return "Merlin MIB \(encoding), \(chips), \(file.frameCount) frames: \(axes)\(scanFrom), counts widened to uint32"
        case .dm(let cube):
            return cube.summary
        }
    }

    /// Calls `body` with the bytes of frames `frames` (C order, `element` type, host order).
    /// The bytes are valid only during the call.
    public func withFrames<R>(_ frames: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard frames.lowerBound >= 0, frames.upperBound <= frameCount else {
            throw FormatError(.invalidArgument, file: path, dataset: dataset,
                              problem: "frames \(frames) are outside the scan of \(frameCount) positions")
        }
        let bytes = frames.count * frameBytes
        switch backing {
        case .npy(let file):
            let all = file.dataBytes
            return try body(UnsafeRawBufferPointer(rebasing: all[(frames.lowerBound * frameBytes)..<(frames.upperBound * frameBytes)]))
        case .hdf5(_, let ds):
            let buffer = scratchBuffer(bytes)
            let ranges: [Range<Int>]
            let y0 = frames.lowerBound / scanCols, x0 = frames.lowerBound % scanCols
            if x0 == 0 && frames.count % scanCols == 0 {
                ranges = [y0..<(y0 + frames.count / scanCols)]
            } else {
                guard x0 + frames.count <= scanCols else {
                    throw FormatError(.invalidArgument, file: path, dataset: dataset,
                                      problem: "frames \(frames) are neither whole scan rows nor within one row")
                }
                ranges = [y0..<(y0 + 1), x0..<(x0 + frames.count)]
            }
            switch element {
            case .uint8: try ds.read(ranges: ranges, into: buffer.bindMemory(to: UInt8.self))
            case .uint16: try ds.read(ranges: ranges, into: buffer.bindMemory(to: UInt16.self))
            case .uint32: try ds.read(ranges: ranges, into: buffer.bindMemory(to: UInt32.self))
            case .float32: try ds.read(ranges: ranges, into: buffer.bindMemory(to: Float.self))
            }
            return try body(UnsafeRawBufferPointer(buffer))
        case .dectris(let source):
            let buffer = scratchBuffer(bytes)
            try source.read(frames, into: buffer)
            return try body(UnsafeRawBufferPointer(buffer))
        case .empad(let file):
            let buffer = scratchBuffer(bytes)
            try file.readFrames(frames, into: buffer)
            return try body(UnsafeRawBufferPointer(buffer))
        case .mib(let file):
            let buffer = scratchBuffer(bytes)
            try file.readFrames(frames, into: buffer.bindMemory(to: UInt32.self))
            return try body(UnsafeRawBufferPointer(buffer))
        case .dm(let cube):
            let buffer = scratchBuffer(bytes)
            try cube.readFrames(frames, into: buffer)
            return try body(UnsafeRawBufferPointer(buffer))
        }
    }

    /// A scratch buffer of exactly `bytes` bytes (reused between calls).
    private func scratchBuffer(_ bytes: Int) -> UnsafeMutableRawBufferPointer {
        if let scratch, scratch.count >= bytes {
            return UnsafeMutableRawBufferPointer(rebasing: scratch[0..<bytes])
        }
        scratch?.deallocate()
        let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
        scratch = fresh
        return UnsafeMutableRawBufferPointer(rebasing: fresh[0..<bytes])
    }
}
