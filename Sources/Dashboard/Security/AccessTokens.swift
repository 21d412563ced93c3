import Foundation

/// What a request may do: read every page and API, or also act on jobs (cancel, retry).
public enum Access: Int, Sendable, Comparable, Codable {
    case reader = 1
    case `operator` = 2

    public static func < (a: Access, b: Access) -> Bool { a.rawValue < b.rawValue }
}

/// The tokens `ctl serve --token-file F` accepts. One token a line: `reader TOKEN`,
/// `operator TOKEN`, or a bare `TOKEN` (a reader); blank lines and `#` comments are skipped.
public struct AccessTokens: Sendable {
    /// Shortest token accepted: a guessable token is no protection.
    public static let minimumLength = 16
    private let entries: [(token: [UInt8], access: Access)]

    public init(_ entries: [(token: String, access: Access)]) {
        self.entries = entries.map { (Array($0.token.utf8), $0.access) }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// Reads a token file; errors name the file and the line.
    public init(file path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DashboardSetupError("--token-file \(path): cannot read it (\(error.localizedDescription))")
        }
        try self.init(parsing: text, source: path)
    }

    public init(parsing text: String, source: String) throws {
        var found: [(String, Access)] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let access: Access
            let token: String
            switch (fields.count, fields.first) {
            case (1, _): (access, token) = (.reader, fields[0])
            case (2, "reader"): (access, token) = (.reader, fields[1])
            case (2, "operator"): (access, token) = (.operator, fields[1])
            default:
                throw DashboardSetupError(
                    "\(source) line \(number + 1): expected `reader TOKEN`, `operator TOKEN` or a bare TOKEN")
            }
            guard token.count >= Self.minimumLength, token.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != ";" && $0 != "," }) else {
                throw DashboardSetupError(
                    "\(source) line \(number + 1): a token must be at least \(Self.minimumLength) printable ASCII characters (try `openssl rand -hex 24`)")
            }
            found.append((token, access))
        }
        guard !found.isEmpty else {
            throw DashboardSetupError("\(source): holds no token (add a line `reader TOKEN` or `operator TOKEN`)")
        }
        self.init(found)
    }

    /// The access a presented token grants, or nil. Compares every entry in time independent
    /// of where the bytes differ, so response times do not leak a token's prefix.
    public func access(for presented: String) -> Access? {
        let bytes = Array(presented.utf8)
        var granted: Access?
        for entry in entries where Self.constantTimeEqual(entry.token, bytes) {
            granted = max(granted ?? entry.access, entry.access)
        }
        return granted
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }
}
