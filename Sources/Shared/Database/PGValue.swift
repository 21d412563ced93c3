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

    /// `{"a","b\\"c",NULL}`: written as UTF-8 bytes into one buffer (a result batch's arrays hold
    /// every row's value as text, and appending scalar by scalar cost a task a few per cent of
    /// its time); the same text as `referenceText` (an ASCII `"` or `\` byte never occurs inside
    /// a multi-byte UTF-8 sequence).
    public var pgText: String {
        var count = 2 + max(0, elements.count - 1)
        for element in elements {
            guard let element else { count += 4; continue }
            count += 2 + element.utf8.count
            for b in element.utf8 where b == 0x22 || b == 0x5C { count += 1 }
        }
        return String(unsafeUninitializedCapacity: count) { out in
            var k = 0
            @inline(__always) func put(_ b: UInt8) { out[k] = b; k += 1 }
            put(0x7B)  // {
            for (index, element) in elements.enumerated() {
                if index > 0 { put(0x2C) }  // ,
                guard let element else {
                    for b in "NULL".utf8 { put(b) }
                    continue
                }
                put(0x22)
                for b in element.utf8 {
                    if b == 0x22 || b == 0x5C { put(0x5C) }  // \ before " and \
                    put(b)
                }
                put(0x22)
            }
            put(0x7D)  // }
            return k
        }
    }

    /// The plain twin of `pgText` (scalar by scalar), for tests.
    public var referenceText: String {
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
