/// A DigitalMicrograph DM3 or DM4 file's tag tree, parsed from the format's description
/// (version, root length and byte order in the header; then groups and `%%%%`-marked data
/// tags, DM3 with 4-byte and DM4 with 8-byte counts, big-endian; values in the header's byte
/// order). Streams: headers are read through a small window and arrays are skipped, so opening
/// a 50 GB stack reads a few kilobytes.
public struct DMFile {
    public let path: String
    public let version: Int
    /// Byte order of the values (tag structure is always big-endian).
    public let littleEndian: Bool
    public let root: DMTag

    /// Limits a damaged file cannot exceed (tags in all, nesting depth, struct fields).
    static let maxTags = 1_000_000
    static let maxDepth = 64
    static let maxInfo = 4096

    public init(path: String) throws {
        self.path = path
        let handle = try FrameFileHandle(path: path)
        var reader = DMReader(handle: handle)
        let version = Int(try reader.u32(what: "header"))
        guard version == 3 || version == 4 else {
            throw FormatError(.corrupt, file: path, problem: "a DM file starts with version 3 or 4, this one with \(version)",
                              fix: "the file is not a DigitalMicrograph image or is damaged")
        }
        reader.wide = version == 4
        _ = try reader.count(what: "header")  // root length: not needed, and often wrong in large files
        let order = try reader.u32(what: "header")
        guard order <= 1 else { throw FormatError(.corrupt, file: path, problem: "DM header byte-order flag is \(order) (expected 0 or 1)") }
        reader.littleEndian = order == 1
        _ = try reader.bytes(2, what: "root group")  // sorted, open
        var budget = Self.maxTags
        let root = try Self.group(&reader, depth: 0, budget: &budget)
        self.version = version
        littleEndian = reader.littleEndian
        self.root = root
    }

    /// Whether `head` (the first bytes) look like a DM3/DM4 header.
    public static func looksLikeDM(_ head: [UInt8]) -> Bool {
        guard head.count >= 16, head[0] == 0, head[1] == 0, head[2] == 0, head[3] == 3 || head[3] == 4 else { return false }
        let orderAt = head[3] == 3 ? 8 : 12
        return head[orderAt] == 0 && head[orderAt + 1] == 0 && head[orderAt + 2] == 0 && head[orderAt + 3] <= 1
    }

    private static func group(_ r: inout DMReader, depth: Int, budget: inout Int) throws -> DMTag {
        guard depth < maxDepth else { throw r.corrupt("tag groups nest deeper than \(maxDepth)") }
        let n = try r.count(what: "tag group")
        guard n <= budget else { throw r.corrupt("a tag group declares \(n) tags (limit \(maxTags) in all)") }
        var entries: [DMEntry] = []
        for _ in 0..<n {
            budget -= 1
            guard budget >= 0 else { throw r.corrupt("more than \(maxTags) tags") }
            let kind = try r.u8(what: "tag")
            if kind == 0 { break }  // end of file marker
            let labelLength = Int(try r.u16(what: "tag label"))
            let label = String(decoding: try r.bytes(labelLength, what: "tag label"), as: UTF8.self)
            if r.wide { _ = try r.count(what: "tag size") }
            switch kind {
            case 20:
                _ = try r.bytes(2, what: "tag group")
                entries.append(DMEntry(label: label, tag: try group(&r, depth: depth + 1, budget: &budget)))
            case 21:
                entries.append(DMEntry(label: label, tag: .value(try DMValueParser.value(&r, label: label))))
            default:
                throw r.corrupt("tag \"\(label)\" has type \(kind) (expected 20 for a group or 21 for data)")
            }
        }
        return .group(entries)
    }
}
