import Foundation

/// An EMPAD acquisition: a `.raw` file of little-endian float32 frames of 128 columns × 130
/// rows (the last two rows hold per-frame metadata and are dropped) and the `.xml` the
/// acquisition software writes beside it, which names the `.raw` (`<raw_file filename=…>`)
/// and gives the scan (`<pix_x>`, `<pix_y>`; else the `scan_xW_yH.raw` name). Memory-mapped;
/// frames are served by copying their 128 data rows.
public final class EMPADFile: @unchecked Sendable {
    public static let width = 128, rows = 130, dataRows = 128
    static let frameBytes = width * rows * 4

    public let path: String
    public let rawPath: String
    /// Scan shape from the XML or the file name, nil when neither gives it.
    public let scan: MIBScanShape?
    public let frameCount: Int
    private let mapping: MappedFile

    /// Opens `path`, the `.xml` or the `.raw` (whose `.xml`, if any, is found beside it).
    public static func open(path: String) throws -> EMPADFile {
        let dir = (path as NSString).deletingLastPathComponent
        var xml: String?
        var raw = path
        if (path as NSString).pathExtension.lowercased() == "xml" {
            let text = try text(of: path)
            guard let name = attribute("filename", of: "raw_file", in: text) else {
                throw FormatError(.corrupt, file: path, problem: "is not an EMPAD description (no <raw_file filename=…>)")
            }
            raw = (dir as NSString).appendingPathComponent(lastComponent(name))
            xml = text
        } else {
            let siblings = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
            let rawName = (path as NSString).lastPathComponent
            xml = siblings.filter { $0.lowercased().hasSuffix(".xml") }.lazy
                .compactMap { try? text(of: (dir as NSString).appendingPathComponent($0)) }
                .first { attribute("filename", of: "raw_file", in: $0).map(lastComponent) == rawName }
        }
        let mapping = try MappedFile(path: raw)
        guard mapping.count % frameBytes == 0, mapping.count > 0 else {
            throw FormatError(.truncated, file: raw,
                              problem: "is \(mapping.count) bytes, not a whole number of \(frameBytes)-byte EMPAD frames (128×130 float32): \(mapping.count / frameBytes) frames and \(mapping.count % frameBytes) bytes left over")
        }
        var scan: MIBScanShape?
        if let xml, let x = element("pix_x", in: xml).flatMap(Int.init), let y = element("pix_y", in: xml).flatMap(Int.init), x > 0, y > 0 {
            scan = MIBScanShape(width: x, height: y)
        } else if let count = xml.flatMap({ element("series_count", in: $0) }).flatMap(Int.init), count > 0 {
            scan = MIBScanShape(width: count, height: 1)
        } else {
            scan = scanFromName((raw as NSString).lastPathComponent)
        }
        return EMPADFile(path: path, rawPath: raw, scan: scan, frameCount: mapping.count / frameBytes, mapping: mapping)
    }

    private init(path: String, rawPath: String, scan: MIBScanShape?, frameCount: Int, mapping: MappedFile) {
        self.path = path; self.rawPath = rawPath; self.scan = scan; self.frameCount = frameCount; self.mapping = mapping
    }

    /// Copies the 128×128 data rows of frames `frames` into `buffer` (float32, host order).
    public func readFrames(_ frames: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        let dataBytes = Self.width * Self.dataRows * 4
        guard frames.lowerBound >= 0, frames.upperBound <= frameCount, buffer.count == frames.count * dataBytes else {
            throw FormatError(.invalidArgument, file: rawPath, problem: "frames \(frames) do not fit \(frameCount) frames or the buffer")
        }
        for (i, frame) in frames.enumerated() {
            let source = UnsafeRawBufferPointer(rebasing: mapping.bytes[(frame * Self.frameBytes)..<(frame * Self.frameBytes + dataBytes)])
            UnsafeMutableRawBufferPointer(rebasing: buffer[(i * dataBytes)..<((i + 1) * dataBytes)]).copyMemory(from: source)
        }
    }

    /// Largest description read (real ones are a few KiB).
    static let maxXMLBytes = 16 << 20

    /// The text of an XML description, invalid UTF-8 replaced (names and numbers are ASCII).
    static func text(of path: String) throws -> String {
        let mapping = try MappedFile(path: path)
        guard mapping.count <= maxXMLBytes else {
            throw FormatError(.tooLarge, file: path, problem: "is \(mapping.count) bytes; an EMPAD description is a few KiB")
        }
        return String(decoding: mapping.bytes, as: UTF8.self)
    }

    /// The name after the last `/`. Not NSString's path methods: corelibs Foundation traps on
    /// names like `scan.//\u{FFFD}` from a damaged description (found by fuzzing).
    static func lastComponent(_ name: String) -> String {
        name.split(separator: "/").last.map(String.init) ?? name
    }

    /// `scan_x256_y128.raw` → 256×128.
    static func scanFromName(_ name: String) -> MIBScanShape? {
        let last = lastComponent(name)
        let stem = last.lastIndex(of: ".").map { String(last[..<$0]) } ?? last
        let parts = stem.split(separator: "_")
        guard parts.count >= 3, parts[0] == "scan", parts[parts.count - 2].first == "x", parts[parts.count - 1].first == "y",
              let x = Int(parts[parts.count - 2].dropFirst()), let y = Int(parts[parts.count - 1].dropFirst()), x > 0, y > 0 else { return nil }
        return MIBScanShape(width: x, height: y)
    }

    /// The text of the first `<name>…</name>`, trimmed.
    static func element(_ name: String, in xml: String) -> String? {
        let bytes = Array(xml.utf8)
        guard let open = find(Array("<\(name)>".utf8), in: bytes, from: 0),
              let close = find(Array("</\(name)>".utf8), in: bytes, from: open.upperBound) else { return nil }
        return String(decoding: bytes[open.upperBound..<close.lowerBound], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The value of `attribute="…"` in the first `<tag …>`.
    static func attribute(_ attribute: String, of tag: String, in xml: String) -> String? {
        let bytes = Array(xml.utf8)
        guard let start = find(Array("<\(tag)".utf8), in: bytes, from: 0),
              let end = find([UInt8(ascii: ">")], in: bytes, from: start.upperBound) else { return nil }
        let inside = Array(bytes[start.upperBound..<end.lowerBound])
        guard let key = find(Array("\(attribute)=\"".utf8), in: inside, from: 0) ?? find(Array("\(attribute) = \"".utf8), in: inside, from: 0),
              let quote = find([UInt8(ascii: "\"")], in: inside, from: key.upperBound) else { return nil }
        return String(decoding: inside[key.upperBound..<quote.lowerBound], as: UTF8.self)
    }

    /// The first occurrence of `needle` in `haystack` at or after `from` (bytes: descriptions
    /// are ASCII, and Foundation's string search is slow on large garbage).
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Range<Int>? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var i = from
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i..<(i + needle.count) }
            i += 1
        }
        return nil
    }
}
