/// One numeric array of a MAT v5 file: its name, shape (C order, see ``MATFile``), whether it
/// is complex, and where its real and imaginary parts are; values are read on demand.
public final class MATVariable: @unchecked Sendable {
    public let name: String
    /// C-order shape: MATLAB's size reversed.
    public let shape: [Int]
    public let isComplex: Bool
    /// The MATLAB class (`double`, `single`, `uint16`, …) for messages.
    public let className: String
    private let path: String
    private let order: MATByteOrder
    private let body: UnsafeRawBufferPointer
    private let compressed: Bool
    private let real: Part, imag: Part?
    /// Compressed parts keep one decoding position each, so reading slabs front to back
    /// decodes the stream about twice, not once per slab.
    private var realReader: InflatingReader?, imagReader: InflatingReader?
    /// Keeps the mapping `body` points into alive.
    private var owner: MappedFile?

    /// A stored part: element type and the offset of its first byte in the (decoded) body.
    struct Part { var type: UInt32; var offset: Int }

    static let classNames = [6: "double", 7: "single", 8: "int8", 9: "uint8", 10: "int16", 11: "uint16",
                             12: "int32", 13: "uint32", 14: "int64", 15: "uint64"]

    public var count: Int { shape.reduce(1, *) }

    private init(name: String, shape: [Int], isComplex: Bool, className: String, path: String, order: MATByteOrder,
                 body: UnsafeRawBufferPointer, compressed: Bool, real: Part, imag: Part?) {
        self.name = name; self.shape = shape; self.isComplex = isComplex; self.className = className
        self.path = path; self.order = order; self.body = body; self.compressed = compressed
        self.real = real; self.imag = imag
    }

    /// A `miMATRIX` element's body (after its tag) stored as is; nil for non-numeric arrays.
    static func parse(mapped body: UnsafeRawBufferPointer, order: MATByteOrder, path: String) throws -> MATVariable? {
        try parse(body: body, compressed: false, base: 0, order: order, path: path) { offset, count in
            guard offset >= 0, offset + count <= body.count else {
                throw FormatError(.truncated, file: path, problem: "MAT array header runs past its element")
            }
            return Array(body[offset..<(offset + count)])
        }
    }

    /// A `miCOMPRESSED` element's body (a zlib stream holding one `miMATRIX` element).
    static func parse(compressed body: UnsafeRawBufferPointer, order: MATByteOrder, path: String) throws -> MATVariable? {
        let reader = InflatingReader(compressed: body, framing: .zlib, file: path, what: "MAT compressed element")
        let read = { (offset: Int, count: Int) throws -> [UInt8] in
            var out = [UInt8](repeating: 0, count: count)
            try out.withUnsafeMutableBytes { try reader.read(at: offset, into: $0) }
            return out
        }
        let tag = try read(0, 8)
        guard tag.withUnsafeBytes({ order.u32($0, 0) }) == MATDataType.matrix else { return nil }
        return try parse(body: body, compressed: true, base: 8, order: order, path: path, read: read)
    }

    private static func parse(body: UnsafeRawBufferPointer, compressed: Bool, base: Int, order: MATByteOrder, path: String,
                              read: (Int, Int) throws -> [UInt8]) throws -> MATVariable? {
        // A sub-element: its type, size, where its data starts and where the next one starts.
        func sub(_ at: Int) throws -> (type: UInt32, size: Int, data: Int, next: Int) {
            let tag = try read(at, 8)
            let (t, s) = tag.withUnsafeBytes { (order.u32($0, 0), order.u32($0, 4)) }
            if t >> 16 != 0 { return (t & 0xFFFF, Int(t >> 16), at + 4, at + 8) }  // small element
            return (t, Int(s), at + 8, at + 8 + (Int(s) + 7) / 8 * 8)
        }
        let flags = try sub(base)
        guard flags.type == MATDataType.uint32, flags.size == 8 else {
            throw FormatError(.corrupt, file: path, problem: "MAT array has no array-flags sub-element")
        }
        let word = try read(flags.data, 4).withUnsafeBytes { order.u32($0, 0) }
        guard let className = classNames[Int(word & 0xFF)] else { return nil }
        let complex = word & 0x800 != 0
        let dims = try sub(flags.next)
        guard dims.type == MATDataType.int32, dims.size % 4 == 0, (8...128).contains(dims.size) else {
            throw FormatError(.corrupt, file: path, problem: "MAT array has a dimensions sub-element of \(dims.size) bytes")
        }
        let size = try read(dims.data, dims.size).withUnsafeBytes { b in (0..<(dims.size / 4)).map { Int(order.i32(b, 4 * $0)) } }
        let nameElement = try sub(dims.next)
        guard nameElement.size <= 4096 else { throw FormatError(.corrupt, file: path, problem: "MAT array name of \(nameElement.size) bytes") }
        let name = String(decoding: try read(nameElement.data, nameElement.size), as: UTF8.self)
        guard size.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else {
            throw FormatError(.corrupt, file: path, dataset: name, problem: "MAT array declares size \(size)")
        }
        let (count, overflow) = size.reduce((1, false)) { acc, d in let m = acc.0.multipliedReportingOverflow(by: d); return (m.partialValue, acc.1 || m.overflow) }
        let realElement = try sub(nameElement.next)
        func part(_ e: (type: UInt32, size: Int, data: Int, next: Int), _ which: String) throws -> Part {
            guard let itemSize = MATDataType.size(e.type) else {
                throw FormatError(.unsupported, file: path, dataset: name, problem: "MAT \(which) part has data type \(e.type)")
            }
            // A corrupt size must not trap on overflow, in the check or in its message.
            let needed = count.multipliedReportingOverflow(by: itemSize)
            guard !overflow, !needed.overflow, e.size == needed.partialValue else {
                throw FormatError(.corrupt, file: path, dataset: name,
                                  problem: "MAT \(which) part holds \(e.size) bytes, but size \(size) of \(itemSize)-byte values needs "
                                    + (overflow || needed.overflow ? "more than fits in memory" : "\(needed.partialValue)"))
            }
            guard compressed || e.data + e.size <= body.count else {
                throw FormatError(.truncated, file: path, dataset: name, problem: "MAT \(which) part runs past the end of the file")
            }
            return Part(type: e.type, offset: e.data)
        }
        let real = try part(realElement, "real")
        let imag = complex ? try part(try sub(realElement.next), "imaginary") : nil
        return MATVariable(name: name, shape: size.reversed(), isComplex: complex, className: className, path: path, order: order,
                           body: body, compressed: compressed, real: real, imag: imag)
    }

    func keepAlive(_ mapping: MappedFile) { owner = mapping }

    /// Flat elements `elements` (C order of ``shape``) as Float: real parts and imaginary
    /// parts (zeros for a real array).
    public func readSplit(elements: Range<Int>) throws -> (re: [Float], im: [Float]) {
        guard elements.lowerBound >= 0, elements.upperBound <= count else {
            throw FormatError(.invalidArgument, file: path, dataset: name, problem: "elements \(elements) are outside 0..<\(count)")
        }
        let re = try values(real, elements, reader: &realReader)
        let im = try imag.map { try values($0, elements, reader: &imagReader) } ?? [Float](repeating: 0, count: elements.count)
        return (re, im)
    }

    private func values(_ part: Part, _ elements: Range<Int>, reader: inout InflatingReader?) throws -> [Float] {
        let itemSize = MATDataType.size(part.type)!
        var raw = [UInt8](repeating: 0, count: elements.count * itemSize)
        let start = part.offset + elements.lowerBound * itemSize
        if compressed {
            if reader == nil { reader = InflatingReader(compressed: body, framing: .zlib, file: path, what: "MAT variable \(name)") }
            try raw.withUnsafeMutableBytes { try reader!.read(at: start, into: $0) }
        } else {
            let end = start + raw.count
            raw.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: body[start..<end])) }
        }
        return raw.withUnsafeBytes { MATValueConversion.floats($0, type: part.type, bigEndian: order.bigEndian) }
    }
}

/// MAT numeric data as Float.
enum MATValueConversion {
    static func floats(_ b: UnsafeRawBufferPointer, type: UInt32, bigEndian swap: Bool) -> [Float] {
        func load<I: FixedWidthInteger>(_: I.Type) -> [I] {
            (0..<(b.count / MemoryLayout<I>.size)).map { i in
                let v = b.loadUnaligned(fromByteOffset: i * MemoryLayout<I>.size, as: I.self)
                return swap ? I(bigEndian: v) : I(littleEndian: v)
            }
        }
        switch type {
        case MATDataType.int8: return b.map { Float(Int8(bitPattern: $0)) }
        case MATDataType.uint8: return b.map { Float($0) }
        case MATDataType.int16: return load(Int16.self).map(Float.init)
        case MATDataType.uint16: return load(UInt16.self).map(Float.init)
        case MATDataType.int32: return load(Int32.self).map(Float.init)
        case MATDataType.uint32: return load(UInt32.self).map(Float.init)
        case MATDataType.int64: return load(Int64.self).map(Float.init)
        case MATDataType.uint64: return load(UInt64.self).map(Float.init)
        case MATDataType.single: return load(UInt32.self).map { Float(bitPattern: $0) }
        default: return load(UInt64.self).map { Float(Double(bitPattern: $0)) }
        }
    }
}
