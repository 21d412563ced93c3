/// Sequential reads through a DM file for the tag parser: a 64 KiB window over positioned
/// reads, big-endian structure integers (4 bytes in DM3, 8 in DM4), values in the file's
/// byte order, and skips over arrays without reading them.
struct DMReader {
    let handle: FrameFileHandle
    var wide = false
    var littleEndian = true
    private(set) var position = 0
    private var window: [UInt8] = []
    private var windowStart = 0

    init(handle: FrameFileHandle) { self.handle = handle }

    func corrupt(_ problem: String) -> FormatError {
        FormatError(.corrupt, file: handle.path, problem: "\(problem) (at byte \(position))", fix: "the DM file is damaged or truncated")
    }

    mutating func bytes(_ n: Int, what: String) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= handle.size - position else {
            throw FormatError(.truncated, file: handle.path, problem: "the file ends at byte \(handle.size) inside its \(what) (needs \(n) bytes at \(position))",
                              fix: "the file is incomplete; copy it again")
        }
        if position < windowStart || position + n > windowStart + window.count {
            let size = min(max(n, 65_536), handle.size - position)
            window = try handle.bytes(at: position, count: size, what: what)
            windowStart = position
        }
        let from = position - windowStart
        position += n
        return window[window.startIndex + from ..< window.startIndex + from + n]
    }

    mutating func skip(_ n: Int, what: String) throws {
        guard n >= 0, n <= handle.size - position else {
            throw FormatError(.truncated, file: handle.path, problem: "the file ends at byte \(handle.size) inside \(what) (needs \(n) bytes at \(position))",
                              fix: "the file is incomplete; copy it again")
        }
        position += n
    }

    mutating func u8(what: String) throws -> UInt8 { try bytes(1, what: what).first! }

    mutating func u16(what: String) throws -> UInt16 { UInt16(try bigEndian(2, what: what)) }

    mutating func u32(what: String) throws -> UInt32 { UInt32(try bigEndian(4, what: what)) }

    /// A structure count: 4 bytes in DM3, 8 in DM4; refused when absurd.
    mutating func count(what: String) throws -> Int {
        let v = try bigEndian(wide ? 8 : 4, what: what)
        guard v <= UInt64(Int.max / 16) else { throw corrupt("\(what) declares a count of \(v)") }
        return Int(v)
    }

    private mutating func bigEndian(_ n: Int, what: String) throws -> UInt64 {
        try bytes(n, what: what).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A value of `n` bytes in the file's byte order, as raw bits.
    mutating func valueBits(_ n: Int, what: String) throws -> UInt64 {
        let b = try bytes(n, what: what)
        return littleEndian ? b.reversed().reduce(0) { $0 << 8 | UInt64($1) } : b.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
