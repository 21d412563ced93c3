/// Pixel encodings of Merlin `.mib` frames. Counting-mode data is unsigned big-endian.
public enum MIBPixelType: String, Sendable, Equatable {
    case u8 = "U08"
    case u16 = "U16"
    case u32 = "U32"

    /// Bytes per pixel.
    public var byteSize: Int {
        switch self {
        case .u8: 1
        case .u16: 2
        case .u32: 4
        }
    }

    /// The counter depth Merlin reports for this encoding (6, 12 or 24 bit).
    var counterDepth: Int {
        switch self {
        case .u8: 6
        case .u16: 12
        case .u32: 24
        }
    }
}

/// The ASCII header in front of every Merlin `.mib` frame:
/// `MQ1,<sequence>,<header bytes>,<chips>,<width>,<height>,<pixel type>,<layout>,…`.
public struct MIBFrameHeader: Sendable, Equatable {
    /// 1-based frame number as written by the detector.
    public var sequenceNumber: Int
    /// Header length in bytes: the offset of the pixel data within the frame (384 for a
    /// single chip, 768 for a quad).
    public var headerLength: Int
    public var chipCount: Int
    public var width: Int
    public var height: Int
    public var pixelType: MIBPixelType
    /// Chip arrangement, e.g. `1x1`, `2x2`, `Nx1`.
    public var sensorLayout: String
    /// For RAW-mode frames (`R64`), how their packed counter bits are laid out; nil in counting
    /// mode. `width`/`height` are then the stored image's, `pixelType` the decoded counts' type.
    public var raw: MIBRawLayout?

    public init(sequenceNumber: Int, headerLength: Int, chipCount: Int, width: Int, height: Int, pixelType: MIBPixelType,
                sensorLayout: String, raw: MIBRawLayout? = nil) {
        self.sequenceNumber = sequenceNumber
        self.headerLength = headerLength
        self.chipCount = chipCount
        self.width = width
        self.height = height
        self.pixelType = pixelType
        self.sensorLayout = sensorLayout
        self.raw = raw
    }

    /// Bytes of pixel data after the header.
    public var payloadBytes: Int { raw?.payloadBytes ?? width * height * pixelType.byteSize }
    /// The detector image's width and height after decoding (a RAW quad's 4s × s rows become 2s × 2s).
    public var detectorWidth: Int { raw?.width ?? width }
    public var detectorHeight: Int { raw?.height ?? height }

    /// Largest header accepted; real headers are 384 or 768 bytes.
    static let maxHeaderLength = 4096

    /// Parses a frame header from the start of `bytes` (which may extend past the header).
    /// RAW-mode frames (`R64`) take their counter depth from the header's last field.
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> MIBFrameHeader {
        guard bytes.count >= 4, bytes.prefix(4).elementsEqual("MQ1,".utf8) else {
            throw FormatError(.corrupt, file: path, problem: "not a Merlin .mib file (frame header does not start with 'MQ1,')")
        }
        // Fields are read from the first `headerLength` bytes; before that is known, from
        // whatever the buffer holds up to the maximum.
        let scan = bytes.prefix(maxHeaderLength)
        var fields = Self.fields(scan, first: 8)
        guard fields.count >= 8, let headerLength = Int(fields[2]) else {
            throw FormatError(.corrupt, file: path, problem: ".mib frame header is incomplete: \(String(decoding: scan.prefix(80), as: UTF8.self))")
        }
        guard headerLength >= 32, headerLength <= maxHeaderLength else {
            throw FormatError(.corrupt, file: path, problem: ".mib frame header declares a header length of \(headerLength) bytes")
        }
        guard bytes.count >= headerLength else {
            throw FormatError(.truncated, file: path, problem: ".mib file ends inside the first frame header")
        }
        fields = Self.fields(bytes.prefix(headerLength), first: 8)
        guard fields.count >= 8 else {
            throw FormatError(.corrupt, file: path, problem: ".mib frame header declares \(headerLength) bytes, too few for its fields (\(fields.count) of 8 before the end)")
        }
        guard let sequence = Int(fields[1]), let chips = Int(fields[3]), let width = Int(fields[4]), let height = Int(fields[5]) else {
            throw FormatError(.corrupt, file: path, problem: ".mib frame header has non-numeric size fields: \(fields.prefix(6).joined(separator: ","))")
        }
        guard width > 0, height > 0, width <= 65536, height <= 65536 else {
            throw FormatError(.tooLarge, file: path, problem: ".mib frame header declares \(width)×\(height) pixels (limit 65536×65536)")
        }
        let typeField = fields[6].uppercased()
        if typeField == "R64" {
            let depthField = Self.lastField(bytes.prefix(headerLength))
            guard let depth = Int(depthField) else {
                throw FormatError(.corrupt, file: path,
                                  problem: ".mib RAW frame header does not end with its counter depth (last field: '\(depthField.prefix(20))')")
            }
            let raw = try MIBRawLayout(counterDepth: depth, chips: chips, sensorLayout: fields[7],
                                       storedWidth: width, storedHeight: height, path: path)
            let decoded: MIBPixelType = depth <= 6 ? .u8 : depth == 12 ? .u16 : .u32
            return MIBFrameHeader(
                sequenceNumber: sequence, headerLength: headerLength, chipCount: chips, width: width, height: height,
                pixelType: decoded, sensorLayout: fields[7], raw: raw)
        }
        guard let pixelType = MIBPixelType(rawValue: typeField) else {
            throw FormatError(.unsupported, file: path, problem: ".mib pixel type '\(fields[6])' is not supported (U08, U16, U32 and RAW R64 are)")
        }
        return MIBFrameHeader(
            sequenceNumber: sequence, headerLength: headerLength, chipCount: chips, width: width, height: height,
            pixelType: pixelType, sensorLayout: fields[7])
    }

    /// The first `first` comma-separated fields with surrounding spaces and NUL padding removed
    /// (only these are used: a header holds ~150 fields, and parsing them all costs).
    private static func fields(_ bytes: Slice<UnsafeRawBufferPointer>, first: Int) -> [String] {
        bytes.split(separator: UInt8(ascii: ","), maxSplits: first, omittingEmptySubsequences: false).prefix(first).map(trimmed)
    }

    /// The last non-empty field (where Merlin puts the counter depth), trimmed.
    private static func lastField(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        let padding: Set<UInt8> = [0x20, 0, 0x0A, 0x0D, 0x09, UInt8(ascii: ",")]
        guard let end = bytes.lastIndex(where: { !padding.contains($0) }) else { return "" }
        let start = bytes[..<end].lastIndex(of: UInt8(ascii: ",")).map { $0 + 1 } ?? bytes.startIndex
        return trimmed(bytes[start...end])
    }

    /// A field without surrounding spaces, tabs, line ends and NULs (trimmed as bytes: cheap).
    private static func trimmed(_ field: Slice<UnsafeRawBufferPointer>) -> String {
        let padding = { (b: UInt8) in b == 0x20 || b == 0 || b == 0x0A || b == 0x0D || b == 0x09 }
        guard let start = field.firstIndex(where: { !padding($0) }), let end = field.lastIndex(where: { !padding($0) }) else { return "" }
        return String(decoding: field[start...end], as: UTF8.self)
    }

    /// The header text for writing, padded with NULs to `headerLength` (as Merlin does).
    func encoded(timestamp: String = "2024-01-01 00:00:00.000000") -> [UInt8] {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let layout = sensorLayout.count >= 5 ? sensorLayout : String(repeating: " ", count: 5 - sensorLayout.count) + sensorLayout
        let fields = [
            "MQ1", pad(sequenceNumber, 6), pad(headerLength, 5), pad(chipCount, 2), pad(width, 4), pad(height, 4),
            raw == nil ? pixelType.rawValue : "R64", layout, chipCount == 4 ? "0F" : "01", timestamp, "0.001000", "0", "0", "0",
            "1.000000E+1", "5.110000E+2", "0.000000E+0", "0.000000E+0", "0.000000E+0", "0.000000E+0",
            "0.000000E+0", "0.000000E+0", "3RX",
            "175", "511", "000", "000", "000", "000", "000", "000", "125", "255", "125", "125", "100", "100",
            "105", "100", "081", "030", "128", "004", "255", "147", "128", "198", "191", "511", "511",
            "MQ1A", "2024-01-01T00:00:00.000000000Z", "1000000ns", String(raw?.counterDepth ?? pixelType.counterDepth), "",
        ]
        var bytes = Array(fields.joined(separator: ",").utf8)
        precondition(bytes.count <= headerLength, "MIB header text exceeds its declared length")
        // Merlin pads with NULs after the last field's comma.
        bytes += [UInt8](repeating: 0, count: headerLength - bytes.count)
        return bytes
    }
}
