import Foundation

/// Writes DM3/DM4 files the way DigitalMicrograph lays them out (tests, fuzz seeds and
/// `ctl bench formats`): an `ImageList` with a small thumbnail image first and the data image
/// second, each with `ImageData › Data`, `DataType`, `Dimensions` and `Calibrations`.
public struct DMWriter {
    public var version = 4
    public var sampleType: SampleType = .uint16
    public var pixelSizeNm: Double?
    public var frameIntervalS: Double?
    /// Extra dimensions appended after (x, y, frames), e.g. to write a 4D file.
    public var extraDimensions: [Int] = []

    public init(version: Int = 4) { self.version = version }

    /// Writes `frames` of `width * height` values (one frame: a 2D image; more: a 3D stack).
    public func write(path: String, width: Int, height: Int, frames: [[Double]]) throws {
        var dims = [width, height]
        if frames.count > 1 || !extraDimensions.isEmpty { dims.append(frames.count) }
        dims += extraDimensions
        var calibration: [(Double, String)] = [(pixelSizeNm ?? 1, pixelSizeNm == nil ? "" : "nm"), (pixelSizeNm ?? 1, pixelSizeNm == nil ? "" : "nm")]
        if dims.count >= 3 { calibration.append((frameIntervalS ?? 1, frameIntervalS == nil ? "" : "s")) }
        try write(path: path, dims: dims, values: frames.flatMap { $0 }, calibration: calibration)
    }

    /// Writes a 4D-STEM cube given in Slipline's order (`values` C order over scan_y, scan_x,
    /// det_y, det_x) the way Gatan stores it: `Dimensions` (scan_x, scan_y, det_x, det_y), scan
    /// axes fastest, calibrated in `scanStepNm` nm and `detectorScale` `detectorUnit` per pixel.
    /// `scanFastest: false` writes detector-fastest frames (`Dimensions` det_x, det_y, scan_x, scan_y).
    public func write4D(path: String, scanRows: Int, scanCols: Int, detRows: Int, detCols: Int, values: [Double],
                        scanFastest: Bool = true, scanStepNm: Double = 1, detectorScale: Double = 1, detectorUnit: String = "1/nm") throws {
        let framePixels = detRows * detCols, frames = scanRows * scanCols
        guard values.count == frames * framePixels else {
            throw FormatError(.invalidArgument, .write, file: path, problem: "\(values.count) values for a \([scanRows, scanCols, detRows, detCols]) cube")
        }
        let scanCal = [(scanStepNm, "nm"), (scanStepNm, "nm")], detCal = [(detectorScale, detectorUnit), (detectorScale, detectorUnit)]
        guard scanFastest else {
            try write(path: path, dims: [detCols, detRows, scanCols, scanRows], values: values, calibration: detCal + scanCal)
            return
        }
        var stored = [Double](repeating: 0, count: values.count)
        for f in 0..<frames {
            for p in 0..<framePixels { stored[p * frames + f] = values[f * framePixels + p] }
        }
        try write(path: path, dims: [scanCols, scanRows, detCols, detRows], values: stored, calibration: scanCal + detCal)
    }

    private func write(path: String, dims: [Int], values: [Double], calibration: [(Double, String)]) throws {
        let main = image(dims: dims, type: sampleType, data: SampleEncoding.encode(values, as: sampleType), calibration: calibration)
        do { try Data(file(main: main)).write(to: URL(fileURLWithPath: path)) } catch {
            throw FormatError(.writeFailed, .write, file: path, problem: error.localizedDescription)
        }
    }

    /// The whole file: header, `ImageList` of a thumbnail and `main`, end marker.
    private func file(main: [UInt8]) -> [UInt8] {
        // DigitalMicrograph's thumbnail: a small RGB image (DataType 23, 32 bits per pixel).
        let thumbnail = image(dims: [2, 2], type: .uint32, data: [UInt8](repeating: 0x80, count: 16), calibration: [(1, ""), (1, "")], dataType: 23)
        let body = group([("ImageList", group([("", thumbnail), ("", main)])), ("ImageSourceList", group([]))])
        return be(UInt64(version), 4) + be(UInt64(body.count + (version == 4 ? 8 : 4)), wide) + be(1, 4) + body + [UInt8](repeating: 0, count: wide)
    }

    /// Writes a Gatan-layout 4D cube (`Dimensions` scan_x, scan_y, det_x, det_y) whose data
    /// array is a hole of the declared size (a sparse file: memory tests of the reader); returns
    /// the data's byte offset. Tag sizes are not adjusted (readers do not need them).
    func write4DSparse(path: String, scanRows: Int, scanCols: Int, detRows: Int, detCols: Int) throws -> Int {
        let count = scanRows * scanCols * detRows * detCols
        let main = image(dims: [scanCols, scanRows, detCols, detRows], type: sampleType, data: [], count: count,
                         calibration: [(1, "nm"), (1, "nm"), (1, "1/nm"), (1, "1/nm")])
        let bytes = file(main: main)
        let info = dataTag(info: [20, Self.arrayType(sampleType), count], value: [])
        guard let at = (0...(bytes.count - info.count)).first(where: { bytes[$0..<($0 + info.count)].elementsEqual(info) }) else {
            throw FormatError(.writeFailed, .write, file: path, problem: "sparse DM writer: data tag not found")
        }
        let split = at + info.count
        guard let f = fopen(path, "wb") else { throw FormatError(.writeFailed, .write, file: path, problem: "cannot create") }
        defer { fclose(f) }
        let ok = fwrite(Array(bytes[..<split]), 1, split, f) == split
            && fseeko(f, off_t(split + count * sampleType.byteCount), SEEK_SET) == 0
            && fwrite(Array(bytes[split...]), 1, bytes.count - split, f) == bytes.count - split
        guard ok else { throw FormatError(.writeFailed, .write, file: path, problem: "write failed") }
        return split
    }

    private func image(dims: [Int], type: SampleType, data: [UInt8], count: Int? = nil, calibration: [(Double, String)], dataType: Int? = nil) -> [UInt8] {
        let dimensionTags = calibration.map { c in
            ("", group([("Origin", scalar(6, bits: UInt64(Float(0).bitPattern))), ("Scale", scalar(6, bits: UInt64(Float(c.0).bitPattern))),
                        ("Units", text(c.1))]))
        }
        let imageData = group([
            ("Calibrations", group([("Dimension", group(dimensionTags))])),
            ("Data", array(element: Self.arrayType(type), count: count ?? data.count / type.byteCount, bytes: data)),
            ("DataType", scalar(3, bits: UInt64(dataType ?? Self.dataType(type)))),
            ("Dimensions", group(dims.map { ("", scalar(5, bits: UInt64($0))) })),
            ("PixelDepth", scalar(3, bits: UInt64(type.byteCount))),
        ])
        return group([("ImageData", imageData), ("ImageTags", group([])), ("Name", text("slipline"))])
    }

    static func dataType(_ t: SampleType) -> Int {
        switch t {
        case .int16: 1
        case .float32: 2
        case .uint8, .uint4: 6
        case .int32: 7
        case .int8: 9
        case .uint16: 10
        case .uint32: 11
        case .float64: 12
        case .int64: 39
        case .uint64: 40
        case .float16: 2
        }
    }

    static func arrayType(_ t: SampleType) -> Int {
        switch t {
        case .int16: 2
        case .float32, .float16: 6
        case .uint8, .int8, .uint4: 10
        case .int32: 3
        case .uint16: 4
        case .uint32: 5
        case .float64: 7
        case .int64: 11
        case .uint64: 12
        }
    }

    // Encoded pieces: a group's content (sorted, open, count, tags) and data tags' content.
    private func group(_ tags: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [1, 1]
        out += be(UInt64(tags.count), wide)
        for (label, content) in tags {
            let isGroup = content.first != 0x25  // data content starts with "%%%%"
            out.append(isGroup ? 20 : 21)
            out += be(UInt64(label.utf8.count), 2)
            out += Array(label.utf8)
            if version == 4 { out += be(UInt64(content.count), 8) }
            out += content
        }
        return out
    }

    private var wide: Int { version == 4 ? 8 : 4 }

    private func dataTag(info: [Int], value: [UInt8]) -> [UInt8] {
        var out = Array("%%%%".utf8)
        out += be(UInt64(info.count), wide)
        for i in info { out += be(UInt64(i), wide) }
        return out + value
    }

    private func scalar(_ type: Int, bits: UInt64) -> [UInt8] {
        let size = DMValueParser.size(ofType: type)!
        return dataTag(info: [type], value: (0..<size).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) })
    }

    private func text(_ s: String) -> [UInt8] {
        let units = Array(s.utf16)
        return dataTag(info: [20, 4, units.count], value: units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
    }

    private func array(element: Int, count: Int, bytes: [UInt8]) -> [UInt8] {
        dataTag(info: [20, element, count], value: bytes)
    }

    private func be(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(n - 1 - $0))) } }

}
