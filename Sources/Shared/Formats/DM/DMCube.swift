import Foundation

/// A 4D (4D-STEM) image of a DigitalMicrograph DM4/DM3 file, read by frames (scan positions)
/// with bounded memory.
///
/// DM lists `Dimensions` fastest first. Gatan's 4D-STEM files store the cube with the scan
/// axes fastest — `Dimensions` (scan_x, scan_y, det_x, det_y), one scan image per detector
/// pixel — which is the transpose of Slipline's (scan_y, scan_x, det_y, det_x) frames; this
/// is the layout read unless the calibration units say otherwise (`layout`). The file is then
/// memory-mapped (its pages are the page cache's, not the process's) and frames are made by
/// transposing each detector pixel's run of scan positions (``TileTranspose``). Runs as short as
/// a 4 MiB tile's frames would make every touched page a TLB miss for a few bytes, so a small
/// request fills a window of about `windowBytes` of frames from its first frame on and later
/// requests inside it are copies: anonymous memory is the window plus the caller's frames,
/// whatever the file size. Files whose first two axes are calibrated in reciprocal or angular
/// units (1/nm, mrad) hold detector-fastest frames and are read directly.
public final class DMCube {
    /// Which axes vary fastest in the file.
    public enum Layout: String, Sendable {
        /// Gatan's layout: scan axes fastest (one scan image per detector pixel).
        case scanFastest = "scan axes fastest (Gatan 4D-STEM layout)"
        /// Detector axes fastest: each frame is contiguous.
        case detectorFastest = "detector axes fastest"
    }

    public let path: String
    public let version: Int
    public let scanRows: Int, scanCols: Int, detRows: Int, detCols: Int
    public let sampleType: SampleType
    public let layout: Layout
    /// Scan step in nm, when the scan axes are calibrated in a length unit.
    public let scanStepNm: Double?
    /// Detector calibration per pixel and its unit (e.g. `0.05 1/nm`, `0.2 mrad`), when given.
    public let detectorCalibration: (scale: Double, unit: String)?
    private let dataOffset: Int
    private let littleEndian: Bool
    private let handle: FrameFileHandle
    /// The whole file mapped, for the scan-fastest layout (nil for detector-fastest files).
    private let mapping: MappedFile?
    /// Frames transposed ahead of the caller (scan-fastest layout) and which they are.
    private var window: UnsafeMutableRawBufferPointer?
    private var windowFrames = 0..<0

    /// Size of the window of frames a small request fills: runs of 32 MiB / frame size scan
    /// positions per detector pixel (512 B for 256² uint16 frames) — long enough for the
    /// transpose to run near copy speed, small beside a worker's memory. (Tests shrink it to
    /// reach the window's edges with small cubes.)
    var windowBytes = 32 << 20 {
        didSet { window?.deallocate(); window = nil; windowFrames = 0..<0 }
    }

    /// Largest accepted sides (as `STEM4DSource`'s; kept here so the reader stands alone for fuzzing).
    static let maxScanSide = 1 << 16, maxDetectorSide = 1 << 13

    /// DM `DataType` codes of the cube types 4D-STEM takes.
    static func sampleType(dataType: Int) -> SampleType? {
        switch dataType {
        case 6, 14: .uint8
        case 10: .uint16
        case 11: .uint32
        case 2: .float32
        default: nil
        }
    }

    /// Names of the other DM types, for the error.
    static let otherTypes = [1: "int16", 3: "complex64", 7: "int32", 9: "int8", 12: "float64", 13: "complex128", 23: "RGB", 39: "int64", 40: "uint64"]

    public var frameCount: Int { scanRows * scanCols }
    public var framePixels: Int { detRows * detCols }

    public init(path: String) throws {
        self.path = path
        let dm = try DMFile(path: path)
        version = dm.version
        littleEndian = dm.littleEndian
        let images = dm.root["ImageList"]?.children ?? []
        let fourD = images.compactMap { image -> (DMTag, [Int], Int, Int, Int)? in
            guard let data = image["ImageData"], case .value(.array(let t, let n, let o))? = data["Data"] else { return nil }
            let dims = (data["Dimensions"]?.children ?? []).compactMap(\.number).map { Int(exactly: $0.rounded()) ?? -1 }
            return dims.count == 4 ? (data, dims, t, n, o) : nil
        }
        guard let chosen = fourD.max(by: { $0.3 < $1.3 }) else {
            throw FormatError(.wrongShape, file: path, problem: "holds no 4D image (a 4D-STEM DM file has Dimensions of 4 axes)",
                              fix: "for a 2D image or 3D stack run it with --kind tem")
        }
        let (imageData, dims, elementType, count, offset) = chosen
        guard dims.allSatisfy({ $0 >= 1 }) else {
            throw FormatError(.wrongShape, file: path, problem: "its 4D image has dimensions \(dims); every axis must be at least 1")
        }
        let code = Int(imageData["DataType"]?.number ?? -1)
        guard let type = DMCube.sampleType(dataType: code) else {
            throw FormatError(.unsupported, file: path,
                              problem: "its 4D image has DM data type \(code)\(DMCube.otherTypes[code].map { " (\($0))" } ?? ""); 4D-STEM data must be unsigned 8/16/32-bit or float32",
                              fix: "convert the dataset to an unsigned integer or float type in DigitalMicrograph")
        }
        sampleType = type
        let calibrations = (imageData["Calibrations"]?["Dimension"]?.children ?? []).map { d in
            (scale: d["Scale"]?.number ?? 1, unit: d["Units"]?.text ?? "")
        }
        let layout = DMCube.layout(units: calibrations.map(\.unit))
        let (scan, det) = layout == .scanFastest ? (0, 2) : (2, 0)
        guard dims[scan] <= DMCube.maxScanSide, dims[scan + 1] <= DMCube.maxScanSide,
              dims[det] <= DMCube.maxDetectorSide, dims[det + 1] <= DMCube.maxDetectorSide else {
            throw FormatError(.tooLarge, file: path, problem: "its 4D image declares an absurd shape \(dims)")
        }
        self.layout = layout
        scanCols = dims[scan]
        scanRows = dims[scan + 1]
        detCols = dims[det]
        detRows = dims[det + 1]
        let elementSize = DMValueParser.size(ofType: elementType) ?? 0
        guard count * elementSize == dims.reduce(type.byteCount, *) else {
            throw FormatError(.corrupt, file: path,
                              problem: "its data array holds \(count) elements of type \(elementType), but \(dims) samples of \(type.rawValue) were declared")
        }
        dataOffset = offset
        handle = try FrameFileHandle(path: path)
        guard offset + count * elementSize <= handle.size else {
            throw FormatError(.truncated, file: path, problem: "its 4D data needs bytes \(offset)…\(offset + count * elementSize) but the file ends at \(handle.size)",
                              fix: "the file is incomplete (copy interrupted?); copy it again")
        }
        let scanCal = calibrations.count == 4 ? calibrations[scan] : nil
        mapping = layout == .scanFastest ? try MappedFile(path: path) : nil
        if let m = mapping, let base = m.bytes.baseAddress {
            // A window touches a short run per detector pixel spread over the whole file: the
            // kernel's readahead around each fault would read ~32× what a shard uses from disk
            // (and made the sparse-file test 60× slower); page-cache reads measured the same.
            _ = madvise(UnsafeMutableRawPointer(mutating: base), m.count, MADV_RANDOM)
        }
        scanStepNm = scanCal.flatMap { c in FrameMetadata.nanometres(perUnit: c.unit).map { c.scale * $0 } }
        detectorCalibration = calibrations.count == 4 && !calibrations[det].unit.isEmpty ? calibrations[det] : nil
    }

    /// Scan-fastest unless the first two axes carry reciprocal or angular units and the last
    /// two do not (then the file is already frame-major).
    static func layout(units: [String]) -> Layout {
        guard units.count == 4 else { return .scanFastest }
        func isDetector(_ u: String) -> Bool {
            let s = u.lowercased().trimmingCharacters(in: .whitespaces)
            return s.hasPrefix("1/") || s.contains("rad") || s == "nm⁻¹" || s == "å⁻¹"
        }
        return isDetector(units[0]) && isDetector(units[1]) && !isDetector(units[2]) && !isDetector(units[3])
            ? .detectorFastest : .scanFastest
    }

    /// Reads frames `frames` (scan positions in C order) into `out` as host-order samples,
    /// frame after frame, each `detRows × detCols` row-major.
    public func readFrames(_ frames: Range<Int>, into out: UnsafeMutableRawBufferPointer) throws {
        let size = sampleType.byteCount
        guard frames.lowerBound >= 0, frames.upperBound <= frameCount, out.count == frames.count * framePixels * size else {
            throw FormatError(.invalidArgument, file: path, problem: "frames \(frames) of \(frameCount), buffer \(out.count) bytes")
        }
        guard !frames.isEmpty else { return }
        switch layout {
        case .detectorFastest:
            try handle.read(at: dataOffset + frames.lowerBound * framePixels * size, count: out.count, into: out.baseAddress!,
                            what: "frames \(frames.lowerBound)..<\(frames.upperBound)")
        case .scanFastest:
            try readScanFastest(frames, into: out.baseAddress!)
        }
        if littleEndian != (1.littleEndian == 1) { Self.swapBytes(out, size: size) }
    }

    deinit { window?.deallocate() }

    /// Frames of the scan-fastest layout: from the window when it holds them; a request of half
    /// a window or more transposed straight into `out`; else a window from its first frame on.
    private func readScanFastest(_ frames: Range<Int>, into out: UnsafeMutableRawPointer) throws {
        let frameBytes = framePixels * sampleType.byteCount
        if frames.count * frameBytes >= windowBytes / 2 { return try transpose(frames, into: out) }
        if !windowFrames.contains(frames.lowerBound) || !windowFrames.contains(frames.upperBound - 1) {
            let count = max(frames.count, windowBytes / frameBytes)
            let range = frames.lowerBound..<min(frameCount, frames.lowerBound + count)
            if window == nil { window = .allocate(byteCount: windowBytes, alignment: 64) }
            windowFrames = 0..<0  // until the transpose has succeeded
            try transpose(range, into: window!.baseAddress!)
            windowFrames = range
        }
        out.copyMemory(from: window!.baseAddress! + (frames.lowerBound - windowFrames.lowerBound) * frameBytes, byteCount: frames.count * frameBytes)
    }

    /// `out[f][p] = stored[p][first + f]` for the frames `frames`: the mapped cube's runs of
    /// `frames` (stride: all scan positions) transposed into frames, as stored (file byte order).
    private func transpose(_ frames: Range<Int>, into out: UnsafeMutableRawPointer) throws {
        let size = sampleType.byteCount, positions = frameCount, pixels = framePixels
        guard let base = mapping?.bytes.baseAddress, mapping!.count >= dataOffset + pixels * positions * size else {
            throw FormatError(.truncated, file: path, problem: "the file is shorter than its 4D data (it changed since it was opened?)")
        }
        let src = base + dataOffset + frames.lowerBound * size
        switch size {
        case 1: TileTranspose.transpose(src, srcStride: positions, rows: pixels, cols: frames.count, into: out.bindMemory(to: UInt8.self, capacity: frames.count * pixels), dstStride: pixels)
        case 2: TileTranspose.transpose(src, srcStride: positions, rows: pixels, cols: frames.count, into: out.bindMemory(to: UInt16.self, capacity: frames.count * pixels), dstStride: pixels)
        default: TileTranspose.transpose(src, srcStride: positions, rows: pixels, cols: frames.count, into: out.bindMemory(to: UInt32.self, capacity: frames.count * pixels), dstStride: pixels)
        }
    }

    private static func swapBytes(_ buffer: UnsafeMutableRawBufferPointer, size: Int) {
        switch size {
        case 2:
            let v = buffer.bindMemory(to: UInt16.self)
            for i in v.indices { v[i] = v[i].byteSwapped }
        case 4:
            let v = buffer.bindMemory(to: UInt32.self)
            for i in v.indices { v[i] = v[i].byteSwapped }
        default: break
        }
    }

    /// What was found, for `ctl run`'s summary and the job notes.
    public var summary: String {
        var text = "DM\(version) 4D \(sampleType.rawValue), scan \(scanCols)x\(scanRows), detector \(detCols)×\(detRows), \(layout.rawValue)"
        if let s = scanStepNm { text += String(format: ", scan step %g nm", s) }
        if let d = detectorCalibration { text += ", detector \(String(format: "%g", d.scale)) \(d.unit)/px" }
        return text
    }
}
