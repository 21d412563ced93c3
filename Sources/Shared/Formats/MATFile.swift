/// A MATLAB `.mat` file, version 5 (also written by `scipy.io.savemat` and MATLAB's `-v6` and
/// `-v7`, whose variables are zlib-compressed elements): the numeric arrays are listed on
/// opening by reading their headers only; values are read on demand (compressed ones through
/// an ``InflatingReader``, so memory stays bounded). Version 7.3 files are HDF5 files: read
/// them with ``HDF5File`` (``isHDF5(path:)`` tells).
///
/// MATLAB stores arrays in column-major order; an array of MATLAB size `[n1, n2, n3]` is
/// presented as the C-order array of shape `[n3, n2, n1]` — the same bytes, and the same
/// shape h5py reports for a v7.3 file (numpy's `loadmat(...)[name].T`).
public final class MATFile: @unchecked Sendable {
    public let path: String
    /// The numeric variables, in file order (cells, structs, sparse and char arrays are skipped).
    public let variables: [MATVariable]
    private let mapping: MappedFile

    /// Whether `path` is a v7.3 `.mat` file (HDF5 with a 512-byte MATLAB user block).
    public static func isHDF5(path: String) -> Bool {
        guard let mapping = try? MappedFile(path: path), mapping.count >= 520 else { return false }
        return mapping.bytes[512..<520].elementsEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])
    }

    public static func open(path: String) throws -> MATFile {
        let mapping = try MappedFile(path: path)
        let bytes = mapping.bytes
        guard bytes.count >= 128, bytes[0..<10].elementsEqual(Array("MATLAB 5.0".utf8)) || bytes[0..<6].elementsEqual(Array("MATLAB".utf8)) else {
            throw FormatError(.corrupt, file: path, problem: "not a MATLAB v5 .mat file (no \"MATLAB 5.0 MAT-file\" header)",
                              fix: "save it with save(..., '-v7') or '-v7.3', or scipy.io.savemat")
        }
        let endian = String(decoding: bytes[126..<128], as: UTF8.self)
        guard endian == "IM" || endian == "MI" else {
            throw FormatError(.corrupt, file: path, problem: "MAT header has byte-order mark \"\(endian)\" (expected IM or MI)")
        }
        let order = MATByteOrder(bigEndian: endian == "MI")
        var variables: [MATVariable] = []
        var at = 128
        while at + 8 <= bytes.count, variables.count < 1 << 16 {
            let type = order.u32(bytes, at), size = Int(order.u32(bytes, at + 4))
            guard size <= bytes.count - at - 8 else {
                throw FormatError(.truncated, file: path, problem: "MAT element at offset \(at) declares \(size) bytes but the file ends first")
            }
            let body = UnsafeRawBufferPointer(rebasing: bytes[(at + 8)..<(at + 8 + size)])
            switch type {
            case MATDataType.compressed:
                if let variable = try MATVariable.parse(compressed: body, order: order, path: path) { variables.append(variable) }
                at += 8 + size
            case MATDataType.matrix:
                if let variable = try MATVariable.parse(mapped: body, order: order, path: path) { variables.append(variable) }
                at += 8 + (size + 7) / 8 * 8
            default:
                at += 8 + (size + 7) / 8 * 8
            }
        }
        for variable in variables { variable.keepAlive(mapping) }
        return MATFile(path: path, variables: variables, mapping: mapping)
    }

    private init(path: String, variables: [MATVariable], mapping: MappedFile) {
        self.path = path
        self.variables = variables
        self.mapping = mapping
    }

    /// The variable `name`.
    public func variable(_ name: String) throws -> MATVariable {
        guard let found = variables.first(where: { $0.name == name }) else {
            throw FormatError(.missing, file: path, dataset: name,
                              problem: "no such numeric variable (the file holds: \(variables.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")))")
        }
        return found
    }
}

/// MAT v5 data type codes (`mi*`).
enum MATDataType {
    static let int8: UInt32 = 1, uint8: UInt32 = 2, int16: UInt32 = 3, uint16: UInt32 = 4
    static let int32: UInt32 = 5, uint32: UInt32 = 6, single: UInt32 = 7, double: UInt32 = 9
    static let int64: UInt32 = 12, uint64: UInt32 = 13, matrix: UInt32 = 14, compressed: UInt32 = 15

    /// Bytes per element of a numeric type, nil for others.
    static func size(_ type: UInt32) -> Int? {
        switch type {
        case int8, uint8: 1
        case int16, uint16: 2
        case int32, uint32, single: 4
        case double, int64, uint64: 8
        default: nil
        }
    }
}

/// The byte order a MAT file was written in.
struct MATByteOrder: Sendable {
    var bigEndian: Bool

    func u32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        let v = b.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }

    func i32(_ b: UnsafeRawBufferPointer, _ at: Int) -> Int32 { Int32(bitPattern: u32(b, at)) }
}
