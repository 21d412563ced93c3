import Foundation

/// A value sent as a text-format statement parameter.
public protocol PGValue: Sendable {
    /// PostgreSQL's text input form of this value.
    var pgText: String { get }
}

extension String: PGValue { public var pgText: String { self } }
extension Int: PGValue { public var pgText: String { String(self) } }
extension Int32: PGValue { public var pgText: String { String(self) } }
extension Int64: PGValue { public var pgText: String { String(self) } }
extension Bool: PGValue { public var pgText: String { self ? "t" : "f" } }

extension Double: PGValue {
    public var pgText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
}

extension Float: PGValue { public var pgText: String { Double(self).pgText } }

/// A PostgreSQL array parameter, e.g. for `= ANY($1::bigint[])` or `unnest(...)`.
public struct PGArray: PGValue {
    public let elements: [String?]

    public init(_ elements: [(any PGValue)?]) {
        self.elements = elements.map { $0?.pgText }
    }

    public init<T: PGValue>(_ elements: [T]) {
        self.elements = elements.map(\.pgText)
    }

    public var pgText: String {
        var out = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { out += "," }
            guard let element else {
                out += "NULL"
                continue
            }
            out += "\""
            for ch in element.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }
}

/// A JSON document parameter (for `jsonb` columns).
public struct PGJSON: PGValue {
    public let pgText: String

    public init(raw: String) {
        pgText = raw
    }

    public init<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        pgText = String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
