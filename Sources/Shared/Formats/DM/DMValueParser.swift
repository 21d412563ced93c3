/// The data part of a DM tag: `%%%%`, the type description (`ninfo` integers), the value.
enum DMValueParser {
    /// Bytes of DM's simple encoded types (2 int16, 3 int32, 4 uint16, 5 uint32, 6 float32,
    /// 7 float64, 8 bool, 9 char, 10 int8, 11 int64, 12 uint64).
    static func size(ofType type: Int) -> Int? {
        switch type {
        case 2, 4: 2
        case 3, 5, 6: 4
        case 7, 11, 12: 8
        case 8, 9, 10: 1
        default: nil
        }
    }

    /// Arrays up to this many elements are read (units, names); longer ones are skipped.
    static let inlineArray = 256

    static func value(_ r: inout DMReader, label: String) throws -> DMValue {
        guard try r.bytes(4, what: "tag \"\(label)\"").elementsEqual("%%%%".utf8) else {
            throw r.corrupt("tag \"\(label)\" lacks its %%%% marker")
        }
        let n = try r.count(what: "tag \"\(label)\" type")
        guard n >= 1, n <= DMFile.maxInfo else { throw r.corrupt("tag \"\(label)\" declares \(n) type entries") }
        var info: [Int] = []
        for _ in 0..<n { info.append(try r.count(what: "tag \"\(label)\" type")) }
        switch info[0] {
        case let t where size(ofType: t) != nil:
            return .number(try number(&r, type: t, label: label))
        case 15:  // struct: [15, nameLength, fields, (nameLength, type) × fields]
            guard info.count >= 3, info.count == 3 + 2 * info[2] else { throw r.corrupt("tag \"\(label)\": malformed struct description") }
            var fields: [Double] = []
            for f in 0..<info[2] { fields.append(try number(&r, type: info[4 + 2 * f], label: label)) }
            return .structure(fields)
        case 18:  // string: [18, length]
            guard info.count == 2, info[1] <= 1 << 20 else { throw r.corrupt("tag \"\(label)\": malformed string") }
            return .text(String(decoding: try r.bytes(info[1], what: "tag \"\(label)\""), as: UTF8.self))
        case 20:
            return try array(&r, info: info, label: label)
        default:
            throw r.corrupt("tag \"\(label)\" has data type \(info[0])")
        }
    }

    private static func array(_ r: inout DMReader, info: [Int], label: String) throws -> DMValue {
        guard info.count >= 3 else { throw r.corrupt("tag \"\(label)\": malformed array description") }
        let element = info[1], count = info[info.count - 1]
        let elementSize: Int
        if element == 15 {  // array of structs: [20, 15, nameLength, fields, (nameLength, type) × fields, count]
            guard info.count >= 5, info.count == 5 + 2 * info[3] else { throw r.corrupt("tag \"\(label)\": malformed struct array") }
            elementSize = try (0..<info[3]).reduce(0) { total, f in
                guard let s = size(ofType: info[5 + 2 * f]) else { throw r.corrupt("tag \"\(label)\": struct field type \(info[5 + 2 * f])") }
                return total + s
            }
        } else {
            guard info.count == 3, let s = size(ofType: element) else { throw r.corrupt("tag \"\(label)\": array of type \(element)") }
            elementSize = s
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw r.corrupt("tag \"\(label)\": array of \(count) elements") }
        let offset = r.position
        if element == 4, count <= inlineArray, label != "Data" {  // 16-bit characters: units, names
            var units: [UInt16] = []
            for _ in 0..<count { units.append(UInt16(try r.valueBits(2, what: "tag \"\(label)\""))) }
            return .text(String(decoding: units.prefix { $0 != 0 }, as: UTF16.self))
        }
        try r.skip(bytes, what: "the array of tag \"\(label)\"")
        return .array(elementType: element, count: count, offset: offset)
    }

    private static func number(_ r: inout DMReader, type: Int, label: String) throws -> Double {
        guard let n = size(ofType: type) else { throw r.corrupt("tag \"\(label)\": field type \(type)") }
        let bits = try r.valueBits(n, what: "tag \"\(label)\"")
        switch type {
        case 2: return Double(Int16(truncatingIfNeeded: bits))
        case 3: return Double(Int32(truncatingIfNeeded: bits))
        case 10: return Double(Int8(truncatingIfNeeded: bits))
        case 11: return Double(Int64(bitPattern: bits))
        case 6: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case 7: return Double(bitPattern: bits)
        default: return Double(bits)
        }
    }
}
