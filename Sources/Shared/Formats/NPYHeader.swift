/// The header of a `.npy` file (format versions 1.0, 2.0 and 3.0): dtype, shape, memory
/// order and where the data starts.
public struct NPYHeader: Sendable, Equatable {
    public var version: (major: UInt8, minor: UInt8)
    public var dtype: NPYDType
    /// Shape in the order numpy reports it (C order unless `fortranOrder`).
    public var shape: [Int]
    public var fortranOrder: Bool
    /// Byte offset of the first element.
    public var dataOffset: Int

    public init(dtype: NPYDType, shape: [Int], fortranOrder: Bool = false, version: (UInt8, UInt8) = (1, 0), dataOffset: Int = 0) {
        self.dtype = dtype
        self.shape = shape
        self.fortranOrder = fortranOrder
        self.version = version
        self.dataOffset = dataOffset
    }

    public static func == (a: NPYHeader, b: NPYHeader) -> Bool {
        a.version == b.version && a.dtype == b.dtype && a.shape == b.shape && a.fortranOrder == b.fortranOrder
            && a.dataOffset == b.dataOffset
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Bytes of array data the header declares.
    public var dataByteCount: Int { count * dtype.itemSize }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Parses the header at the start of `bytes`. Refuses structured dtypes, float16 and
    /// shapes whose byte size overflows; Fortran order is reported, not refused (see
    /// ``NPYFile``).
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> NPYHeader {
        guard bytes.count >= 10, bytes.prefix(6).elementsEqual(magic) else {
            throw FormatError(.corrupt, file: path, problem: "not a .npy file (missing \\x93NUMPY magic)")
        }
        let major = bytes[6], minor = bytes[7]
        let lengthStart: Int, lengthSize: Int
        switch major {
        case 1: (lengthStart, lengthSize) = (8, 2)
        case 2, 3: (lengthStart, lengthSize) = (8, 4)
        default:
            throw FormatError(.unsupported, file: path, problem: ".npy format version \(major).\(minor) is not supported (1.0–3.0 are)")
        }
        guard bytes.count >= lengthStart + lengthSize else {
            throw FormatError(.truncated, file: path, problem: ".npy file ends inside its header")
        }
        var headerLength = 0
        for i in 0..<lengthSize { headerLength |= Int(bytes[lengthStart + i]) << (8 * i) }
        let textStart = lengthStart + lengthSize
        guard bytes.count >= textStart + headerLength else {
            throw FormatError(.truncated, file: path, problem: ".npy header declares \(headerLength) bytes but the file ends after \(bytes.count - textStart)")
        }
        let text = Array(bytes[textStart..<(textStart + headerLength)])
        var parser = PythonLiteralParser(bytes: text)
        let dict: [String: PythonLiteralParser.Value]
        do {
            dict = try parser.parseDictionary()
        } catch {
            throw FormatError(.corrupt, file: path, problem: ".npy header is not a valid dictionary: \(String(decoding: text, as: UTF8.self).npyTrimmedSpaces)")
        }
        guard case .string(let descr)? = dict["descr"] else {
            if case .other? = dict["descr"] {
                throw FormatError(.unsupported, file: path, problem: ".npy holds a structured dtype; only plain numeric arrays are supported")
            }
            throw FormatError(.corrupt, file: path, problem: ".npy header has no 'descr' string")
        }
        guard let dtype = NPYDType(descr: descr) else {
            throw FormatError(.unsupported, file: path, problem: ".npy dtype '\(descr)' is not supported",
                              fix: "save it as one of <c8 <c16 <f4 <f8 |u1 <u2 <u4 (e.g. a.astype('<f4'))")
        }
        guard dtype.isSupported else {
            throw FormatError(.unsupported, file: path, problem: ".npy dtype '\(descr)' (float16) is not supported", fix: "save it as float32 (a.astype('<f4'))")
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else {
            throw FormatError(.corrupt, file: path, problem: ".npy header has no 'fortran_order' flag")
        }
        guard case .ints(let shape)? = dict["shape"], shape.allSatisfy({ $0 >= 0 }) else {
            throw FormatError(.corrupt, file: path, problem: ".npy header has no valid 'shape' tuple")
        }
        var total = dtype.itemSize
        for dim in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw FormatError(.tooLarge, file: path, problem: ".npy shape \(shape) is too large to address")
            }
            total = product
        }
        return NPYHeader(dtype: dtype, shape: shape, fortranOrder: fortran, version: (major, minor), dataOffset: textStart + headerLength)
    }

    /// The complete header bytes (magic through padding and newline) for writing; chooses
    /// version 1.0 unless the text needs 2.0's longer length field. The total is a multiple
    /// of 64 so the data is aligned for memory mapping.
    public func encoded() -> [UInt8] {
        let shapeText: String =
            switch shape.count {
            case 1: "(\(shape[0]),)"
            default: "(" + shape.map(String.init).joined(separator: ", ") + ")"
            }
        let dictText = "{'descr': '\(dtype.descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        func build(lengthSize: Int) -> [UInt8] {
            let prefix = 6 + 2 + lengthSize
            let unpadded = prefix + dictText.utf8.count + 1
            let padding = (64 - unpadded % 64) % 64
            var text = Array(dictText.utf8) + [UInt8](repeating: 0x20, count: padding)
            text.append(0x0A)
            var out = Self.magic + [lengthSize == 2 ? 1 : 2, 0]
            for i in 0..<lengthSize { out.append(UInt8(truncatingIfNeeded: text.count >> (8 * i))) }
            return out + text
        }
        let v1 = build(lengthSize: 2)
        return v1.count - 10 <= Int(UInt16.max) ? v1 : build(lengthSize: 4)
    }
}

extension String {
    fileprivate var npyTrimmedSpaces: String {
        String(self.drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed())
    }
}
