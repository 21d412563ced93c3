/// A `.npz` file (numpy's zip of `.npy` members, stored by `np.savez`, deflated by
/// `np.savez_compressed`) opened for reading: headers are parsed on opening, elements are
/// read on demand through the member's ``ZipMemberReader`` (bounded memory either way).
public final class NPZFile: @unchecked Sendable {
    public let path: String
    private let archive: ZipArchive

    /// The arrays' names (member names without `.npy`), in archive order.
    public var names: [String] { archive.members.filter { $0.name.hasSuffix(".npy") }.map { String($0.name.dropLast(4)) } }

    public static func open(path: String) throws -> NPZFile {
        NPZFile(path: path, archive: try ZipArchive(path: path))
    }

    private init(path: String, archive: ZipArchive) {
        self.path = path
        self.archive = archive
    }

    /// The array `name` (with or without `.npy`).
    public func array(_ name: String) throws -> NPZArray {
        let wanted = name.hasSuffix(".npy") ? name : name + ".npy"
        guard let member = archive.members.first(where: { $0.name == wanted }) else {
            throw FormatError(.missing, file: path, dataset: name, problem: "no such array (the file holds: \(names.joined(separator: ", ")))")
        }
        return try NPZArray(name: String(wanted.dropLast(4)), reader: archive.reader(for: member), path: path)
    }

    /// Every array's name and header (unreadable members are left out).
    public func headers() -> [(name: String, header: NPYHeader)] {
        names.compactMap { name in (try? array(name)).map { (name, $0.header) } }
    }
}

/// One array of a `.npz` file.
public final class NPZArray: @unchecked Sendable {
    public let name: String
    public let header: NPYHeader
    private let reader: ZipMemberReader
    private let path: String

    init(name: String, reader: ZipMemberReader, path: String) throws {
        self.name = name
        self.reader = reader
        self.path = path
        // The header is at most a few KiB; read what the member has up to 64 KiB and parse.
        let probe = min(reader.member.size, 1 << 16)
        var head = [UInt8](repeating: 0, count: probe)
        try head.withUnsafeMutableBytes { try reader.read(at: 0, into: $0) }
        let header = try head.withUnsafeBytes { try NPYHeader.parse($0, path: path) }.checkedInArchive(name: name, path: path)
        guard header.dataOffset + header.dataByteCount <= reader.member.size else {
            throw FormatError(.truncated, file: path, dataset: name,
                              problem: "declares shape \(header.shape) of \(header.dtype) = \(header.dataByteCount) bytes but the member holds \(reader.member.size - header.dataOffset)")
        }
        self.header = header
    }

    public var shape: [Int] { header.shape }
    public var dtype: NPYDType { header.dtype }

    /// Copies flat elements `elements` of a complex array into `buffer` as interleaved Float
    /// (re, im); complex128 is narrowed.
    public func copyComplex(elements: Range<Int>, interleavedInto buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard dtype.kind == .complex else {
            throw FormatError(.wrongShape, file: path, dataset: name, problem: "holds \(dtype), not complex values")
        }
        guard elements.lowerBound >= 0, elements.upperBound <= header.count, buffer.count == 2 * elements.count else {
            throw FormatError(.invalidArgument, file: path, dataset: name, problem: "elements \(elements) do not fit shape \(shape) or the buffer")
        }
        let part = dtype.itemSize / 2, swap = !dtype.isHostOrder
        // In blocks of 1 MiB decoded, so memory stays bounded whatever the slab.
        let perBlock = max(1, (1 << 20) / dtype.itemSize)
        var raw = [UInt8](repeating: 0, count: perBlock * dtype.itemSize)
        var at = elements.lowerBound
        while at < elements.upperBound {
            let n = min(perBlock, elements.upperBound - at)
            try raw.withUnsafeMutableBytes { bytes in
                try reader.read(at: header.dataOffset + at * dtype.itemSize, into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(n * dtype.itemSize)]))
                let out = buffer.baseAddress! + 2 * (at - elements.lowerBound)
                for i in 0..<(2 * n) {
                    if part == 4 {
                        let v = bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                        out[i] = Float(bitPattern: swap ? v.byteSwapped : v)
                    } else {
                        let v = bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                        out[i] = Float(Double(bitPattern: swap ? v.byteSwapped : v))
                    }
                }
            }
            at += n
        }
    }
}

extension NPYHeader {
    /// The header of a `.npz` member, refusing Fortran order as ``NPYFile`` does.
    fileprivate func checkedInArchive(name: String, path: String) throws -> NPYHeader {
        guard !fortranOrder else {
            throw FormatError(.unsupported, file: path, dataset: name, problem: "array of shape \(shape) is stored in Fortran order",
                              fix: "save it in C order (numpy.ascontiguousarray)")
        }
        return self
    }
}
