#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scan (navigation) shape of a 4D-STEM acquisition: `width` frames per scan line, `height` lines.
public struct MIBScanShape: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses `WxH` (as in `--param scan=256x128`); nil unless both are positive integers.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0].mibTrimmed), let h = Int(parts[1].mibTrimmed), w > 0, h > 0 else {
            return nil
        }
        self.init(width: w, height: h)
    }

    public var frameCount: Int { width * height }
    public var description: String { "\(width)x\(height)" }
}

/// The companion `.hdr` file Merlin writes next to a `.mib`: `key:<TAB>value` lines between
/// `HDR,` and `End`.
public struct MIBAcquisitionHeader: Sendable, Equatable {
    /// All fields, keys without the trailing colon (e.g. `Frames per Trigger (Number)`).
    public var fields: [String: String]

    public init(fields: [String: String]) { self.fields = fields }

    /// Parses `.hdr` text. Lines that are not `key: value` are ignored.
    public static func parse(_ text: String) -> MIBAcquisitionHeader {
        var fields: [String: String] = [:]
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = String(rawLine)
            if line.hasPrefix("HDR") || line.hasPrefix("End") { continue }
            // Values may contain colons (times), keys never do.
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].mibTrimmed
            let value = line[line.index(after: colon)...].mibTrimmed
            if !key.isEmpty { fields[key] = value }
        }
        return MIBAcquisitionHeader(fields: fields)
    }

    /// Reads and parses the `.hdr` file at `path`.
    public static func read(path: String) throws -> MIBAcquisitionHeader {
        guard let file = fopen(path, "rb") else {
            throw FormatError(.unreadable, file: path, problem: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[..<n]
            if n < chunk.count { break }
            if bytes.count > 1 << 20 {
                throw FormatError(.corrupt, file: path, problem: ".hdr file is larger than 1 MiB; not a Merlin header")
            }
        }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// The value of the first field whose key starts with `prefix` (case-insensitive), so
    /// minor spelling differences between Merlin versions do not matter.
    public func value(forKeyPrefix prefix: String) -> String? {
        let lower = prefix.lowercased()
        return fields.keys.sorted().first { $0.lowercased().hasPrefix(lower) }.flatMap { fields[$0] }
    }

    public var framesInAcquisition: Int? { value(forKeyPrefix: "Frames in Acquisition").flatMap { Int($0) } }
    public var framesPerTrigger: Int? { value(forKeyPrefix: "Frames per Trigger").flatMap { Int($0) } }

    /// The scan shape implied by line triggering: `framesPerTrigger` frames per line and
    /// `framesInAcquisition / framesPerTrigger` lines. Nil when the header cannot tell (one
    /// frame per trigger, a single trigger, or counts that do not divide).
    public var scanShape: MIBScanShape? {
        guard let total = framesInAcquisition, let perLine = framesPerTrigger,
              perLine > 1, total > perLine, total % perLine == 0
        else { return nil }
        return MIBScanShape(width: perLine, height: total / perLine)
    }
}

extension Substring {
    fileprivate var mibTrimmed: String {
        let set: Set<Character> = [" ", "\t", "\0"]
        return String(self.drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
