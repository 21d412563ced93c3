/// A zip archive read through its central directory (with Zip64), memory-mapped: the members'
/// bytes are served from the mapping (stored) or decoded on demand (deflated), never all at
/// once. Enough for `.npz` files as numpy writes them; encrypted and other compression
/// methods are refused with a message.
final class ZipArchive: @unchecked Sendable {
    /// One member as the central directory lists it.
    struct Member: Sendable, Equatable {
        enum Method: Sendable, Equatable { case stored, deflated }
        var name: String
        var method: Method
        var compressedSize: Int
        var size: Int
        /// Offset of the member's local header.
        var headerOffset: Int
    }

    let path: String
    let members: [Member]
    private let mapping: MappedFile

    /// Largest member count read (a corrupt count must not make us loop for long).
    static let maxMembers = 1 << 16

    init(path: String) throws {
        let mapping = try MappedFile(path: path)
        self.mapping = mapping
        self.path = path
        members = try Self.centralDirectory(mapping.bytes, path: path)
    }

    /// A reader of `member`'s decoded bytes (each reader keeps its own decoding position).
    func reader(for member: Member) throws -> ZipMemberReader {
        let bytes = mapping.bytes
        let at = member.headerOffset
        // Offsets and sizes come from the file: compare by subtraction so none can overflow.
        guard at >= 0, at <= bytes.count - 30, Self.u32(bytes, at) == 0x0403_4b50 else {
            throw FormatError(.corrupt, file: path, problem: "zip member \(member.name): no local header at offset \(at)")
        }
        let start = at + 30 + Int(Self.u16(bytes, at + 26)) + Int(Self.u16(bytes, at + 28))
        guard member.compressedSize >= 0, member.compressedSize <= bytes.count - start else {
            throw FormatError(.truncated, file: path,
                              problem: "zip member \(member.name) declares \(member.compressedSize) bytes but the file ends first")
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + member.compressedSize)])
        switch member.method {
        case .stored:
            return ZipMemberReader(member: member, stored: data, inflating: nil, path: path, owner: mapping)
        case .deflated:
            let inflater = InflatingReader(compressed: data, framing: .raw, file: path, what: "zip member \(member.name)")
            return ZipMemberReader(member: member, stored: nil, inflating: inflater, path: path, owner: mapping)
        }
    }

    private static func centralDirectory(_ bytes: UnsafeRawBufferPointer, path: String) throws -> [Member] {
        // The end-of-central-directory record is the last 22 bytes plus a comment of ≤ 65535.
        var end = -1
        var at = bytes.count - 22
        while at >= max(0, bytes.count - 22 - 65535) {
            if u32(bytes, at) == 0x0605_4b50 { end = at; break }
            at -= 1
        }
        guard end >= 0 else {
            throw FormatError(.corrupt, file: path, problem: "not a zip archive (no end-of-central-directory record)",
                              fix: "write it with numpy.savez or numpy.savez_compressed")
        }
        var count = Int(u16(bytes, end + 10))
        var directorySize = Int(u32(bytes, end + 12))
        var directoryOffset = Int(u32(bytes, end + 16))
        // Zip64: a locator just before the record points to the 64-bit record.
        if end >= 20, u32(bytes, end - 20) == 0x0706_4b50 {
            let record = Int(clamping: u64(bytes, end - 12))
            guard record >= 0, record <= bytes.count - 56, u32(bytes, record) == 0x0606_4b50 else {
                throw FormatError(.corrupt, file: path, problem: "zip64 end-of-central-directory record is missing")
            }
            count = Int(clamping: u64(bytes, record + 32))
            directorySize = Int(clamping: u64(bytes, record + 40))
            directoryOffset = Int(clamping: u64(bytes, record + 48))
        }
        guard count <= maxMembers, directoryOffset >= 0, directorySize >= 0,
              directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw FormatError(.corrupt, file: path,
                              problem: "zip central directory of \(count) members at offset \(directoryOffset) lies outside the file (truncated?)")
        }
        var members: [Member] = []
        var p = directoryOffset
        for _ in 0..<count {
            guard p + 46 <= bytes.count, u32(bytes, p) == 0x0201_4b50 else {
                throw FormatError(.corrupt, file: path, problem: "zip central directory entry \(members.count) is corrupt")
            }
            members.append(try entry(bytes, at: p, path: path))
            p += 46 + Int(u16(bytes, p + 28)) + Int(u16(bytes, p + 30)) + Int(u16(bytes, p + 32))
        }
        return members
    }

    private static func entry(_ bytes: UnsafeRawBufferPointer, at p: Int, path: String) throws -> Member {
        let flags = u16(bytes, p + 8), methodCode = u16(bytes, p + 10)
        let nameLength = Int(u16(bytes, p + 28)), extraLength = Int(u16(bytes, p + 30))
        guard p + 46 + nameLength + extraLength <= bytes.count else {
            throw FormatError(.truncated, file: path, problem: "zip central directory ends inside an entry")
        }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(p + 46)..<(p + 46 + nameLength)]), as: UTF8.self)
        var compressed = Int(u32(bytes, p + 20)), size = Int(u32(bytes, p + 24)), offset = Int(u32(bytes, p + 42))
        // Zip64 extra field: the 64-bit values of the fields saturated at 0xFFFFFFFF, in order.
        var e = p + 46 + nameLength
        let extraEnd = e + extraLength
        while e + 4 <= extraEnd {
            let id = u16(bytes, e), length = Int(u16(bytes, e + 2))
            if id == 0x0001 {
                var q = e + 4
                for field in [0, 1, 2] {
                    let saturated = [size, compressed, offset][field] == 0xFFFF_FFFF
                    guard saturated, q + 8 <= e + 4 + length else { continue }
                    let value = Int(clamping: u64(bytes, q))
                    switch field { case 0: size = value; case 1: compressed = value; default: offset = value }
                    q += 8
                }
            }
            e += 4 + length
        }
        guard flags & 1 == 0 else {
            throw FormatError(.unsupported, file: path, problem: "zip member \(name) is encrypted", fix: "save it without a password")
        }
        let method: Member.Method
        switch methodCode {
        case 0: method = .stored
        case 8: method = .deflated
        default:
            throw FormatError(.unsupported, file: path, problem: "zip member \(name) uses compression method \(methodCode) (stored and deflate are read)",
                              fix: "write it with numpy.savez or numpy.savez_compressed")
        }
        guard method == .deflated || compressed == size else {
            throw FormatError(.corrupt, file: path, problem: "stored zip member \(name) declares \(compressed) bytes stored for \(size)")
        }
        return Member(name: name, method: method, compressedSize: compressed, size: size, headerOffset: offset)
    }

    static func u16(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= b.count else { return 0 }
        return UInt16(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    static func u32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= b.count else { return 0 }
        return UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    static func u64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        guard at >= 0, at + 8 <= b.count else { return 0 }
        return UInt64(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
}

/// The decoded bytes of one zip member, read at any offset (see ``InflatingReader`` for the
/// cost of going backwards in a deflated member).
final class ZipMemberReader {
    let member: ZipArchive.Member
    private let stored: UnsafeRawBufferPointer?
    private let inflating: InflatingReader?
    private let path: String
    /// Keeps the mapping the member's bytes point into alive.
    private let owner: MappedFile

    init(member: ZipArchive.Member, stored: UnsafeRawBufferPointer?, inflating: InflatingReader?, path: String, owner: MappedFile) {
        self.owner = owner
        self.member = member
        self.stored = stored
        self.inflating = inflating
        self.path = path
    }

    /// Fills `buffer` with the member's bytes at `offset...`.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard offset >= 0, offset + buffer.count <= member.size else {
            throw FormatError(.truncated, file: path,
                              problem: "zip member \(member.name) holds \(member.size) bytes; bytes \(offset)..<\(offset + buffer.count) were asked for")
        }
        if let stored {
            if buffer.count > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: stored[offset..<(offset + buffer.count)])) }
        } else if let inflating {
            try inflating.read(at: offset, into: buffer)
        }
    }
}
