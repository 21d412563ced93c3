/// Just enough of Python's literal syntax for `.npy` headers: a dict of string keys whose
/// values are strings, booleans, integer tuples, or something else (reported as `.other`).
struct PythonLiteralParser {
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case int(Int)
        /// A tuple of integers.
        case ints([Int])
        case other
    }

    struct SyntaxError: Error {}

    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDictionary() throws -> [String: Value] {
        try expect(UInt8(ascii: "{"))
        var result: [String: Value] = [:]
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "}") { index += 1; break }
            guard case .string(let key) = try parseValue() else { throw SyntaxError() }
            try expect(UInt8(ascii: ":"))
            result[key] = try parseValue()
            skipSpace()
            if peek() == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "}"))
            break
        }
        return result
    }

    private mutating func parseValue() throws -> Value {
        skipSpace()
        guard let c = peek() else { throw SyntaxError() }
        switch c {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            index += 1
            let start = index
            while let d = peek(), d != c { index += 1 }
            guard peek() == c else { throw SyntaxError() }
            defer { index += 1 }
            return .string(String(decoding: bytes[start..<index], as: UTF8.self))
        case UInt8(ascii: "("):
            index += 1
            var values: [Int] = []
            var allInts = true
            while true {
                skipSpace()
                if peek() == UInt8(ascii: ")") { index += 1; break }
                if case .int(let v) = try parseValue() { values.append(v) } else { allInts = false }
                skipSpace()
                if peek() == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: ")"))
                break
            }
            return allInts ? .ints(values) : .other
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            // Structured dtype descriptions: skip the balanced brackets, report as `.other`.
            var depth = 0
            repeat {
                guard let d = peek() else { throw SyntaxError() }
                if d == UInt8(ascii: "[") || d == UInt8(ascii: "{") || d == UInt8(ascii: "(") { depth += 1 }
                if d == UInt8(ascii: "]") || d == UInt8(ascii: "}") || d == UInt8(ascii: ")") { depth -= 1 }
                if d == UInt8(ascii: "'") || d == UInt8(ascii: "\"") {
                    index += 1
                    while let e = peek(), e != d { index += 1 }
                }
                index += 1
            } while depth > 0
            return .other
        default:
            let start = index
            while let d = peek(), isWordByte(d) { index += 1 }
            let word = String(decoding: bytes[start..<index], as: UTF8.self)
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "": throw SyntaxError()
            default:
                // Python 2 wrote longs as `3L`.
                let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                guard let value = Int(digits) else { return .other }
                return .int(value)
            }
        }
    }

    private func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
            || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let c = peek(), c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D { index += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard peek() == c else { throw SyntaxError() }
        index += 1
    }
}
