/// A `.npy` file opened for reading: the header is parsed and validated, the data is
/// memory-mapped read-only, so an 8 GiB cube costs address space, not RAM.
///
/// Only C-order arrays are accepted (Fortran order would change which axis is scan_y).
/// Big-endian files are read through the converting copies; the zero-copy typed view
/// requires host byte order.
public final class NPYFile: @unchecked Sendable {
    public let path: String
    public let header: NPYHeader
    private let mapping: MappedFile

    public var dtype: NPYDType { header.dtype }
    public var shape: [Int] { header.shape }
    /// Number of elements.
    public var count: Int { header.count }

    /// Opens and validates `path`: header syntax, supported dtype, C order, and that the file
    /// holds all the bytes the shape declares.
    public static func open(path: String) throws -> NPYFile {
        let mapping = try MappedFile(path: path)
        let header = try NPYHeader.parse(mapping.bytes, path: path)
        if header.fortranOrder {
            throw FormatError(
                .unsupported, file: path,
                problem: ".npy array of shape \(header.shape) is stored in Fortran order",
                fix: "re-save it in C order: np.save(path, np.ascontiguousarray(a))")
        }
        let available = mapping.count - header.dataOffset
        if available < header.dataByteCount {
            throw FormatError(
                .truncated, file: path,
                problem: ".npy header declares shape \(header.shape) of \(header.dtype) = \(header.dataByteCount) bytes but the file holds \(available) bytes of data")
        }
        return NPYFile(path: path, header: header, mapping: mapping)
    }

    private init(path: String, header: NPYHeader, mapping: MappedFile) {
        self.path = path
        self.header = header
        self.mapping = mapping
    }

    /// The array's bytes as stored (dtype byte order), valid while this object is alive.
    public var dataBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping.bytes[header.dataOffset..<(header.dataOffset + header.dataByteCount)])
    }

    /// Flat element range covering `range` along the first axis (e.g. a block of scan rows).
    public func elementRange(leading range: Range<Int>) throws -> Range<Int> {
        guard let first = shape.first, range.lowerBound >= 0, range.upperBound <= first else {
            throw FormatError(
                .invalidArgument, file: path,
                problem: "range \(range.lowerBound)..<\(range.upperBound) is outside the first axis of shape \(shape)")
        }
        let stride = shape.dropFirst().reduce(1, *)
        return (range.lowerBound * stride)..<(range.upperBound * stride)
    }

    /// Zero-copy typed access to all elements. `T` must match the dtype exactly (e.g. `Float`
    /// for `<f4`) in host byte order; otherwise use the converting copies.
    public func withUnsafeElements<T: NPYElement, R>(
        of type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) throws -> R {
        guard T.npyDType == dtype else {
            throw FormatError(
                .wrongShape, file: path,
                problem: "holds \(dtype), not \(T.npyDType)" + (dtype.isHostOrder ? "" : " (byte order differs from this machine)"))
        }
        let bytes = dataBytes
        guard count == 0 || Int(bitPattern: bytes.baseAddress) % MemoryLayout<T>.alignment == 0 else {
            throw FormatError(.unsupported, file: path, problem: ".npy data offset \(header.dataOffset) is not aligned for \(T.self)")
        }
        return try body(bytes.bindMemory(to: T.self))
    }

    // MARK: - Converting copies

    /// Copies flat elements `elements` of a real dtype into `buffer` as Float (byte-swapping
    /// big-endian data). Complex data is refused: use ``copyComplex(elements:interleavedInto:)``.
    public func copyReal(elements: Range<Int>, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        try checkRange(elements, buffer: buffer.count, perElement: 1)
        guard dtype.kind != .complex else {
            throw FormatError(.wrongShape, file: path, problem: "holds complex values (\(dtype)); read it as complex data")
        }
        guard let out = buffer.baseAddress, !elements.isEmpty else { return }
        let size = dtype.itemSize
        let source = dataBytes.baseAddress! + elements.lowerBound * size
        let swap = !dtype.isHostOrder
        let n = elements.count
        switch (dtype.kind, size) {
        case (.bool, 1), (.uint, 1): widen(source, n, out) { Float($0.load(as: UInt8.self)) }
        case (.int, 1): widen(source, n, out) { Float($0.load(as: Int8.self)) }
        case (.uint, 2): widen(source, n, out) { Float(Self.integer(UInt16.self, $0, swap)) }
        case (.int, 2): widen(source, n, out) { Float(Self.integer(Int16.self, $0, swap)) }
        case (.uint, 4): widen(source, n, out) { Float(Self.integer(UInt32.self, $0, swap)) }
        case (.int, 4): widen(source, n, out) { Float(Self.integer(Int32.self, $0, swap)) }
        case (.uint, 8): widen(source, n, out) { Float(Self.integer(UInt64.self, $0, swap)) }
        case (.int, 8): widen(source, n, out) { Float(Self.integer(Int64.self, $0, swap)) }
        case (.float, 4): widen(source, n, out) { Float(bitPattern: Self.integer(UInt32.self, $0, swap)) }
        case (.float, 8): widen(source, n, out) { Float(Double(bitPattern: Self.integer(UInt64.self, $0, swap))) }
        default:
            throw FormatError(.unsupported, file: path, problem: ".npy dtype \(dtype) cannot be converted to float32")
        }
    }

    /// Copies flat elements `elements` of a complex dtype into `buffer` as interleaved Float
    /// (re, im); complex128 is narrowed.
    public func copyComplex(elements: Range<Int>, interleavedInto buffer: UnsafeMutableBufferPointer<Float>) throws {
        try checkRange(elements, buffer: buffer.count, perElement: 2)
        guard dtype.kind == .complex else {
            throw FormatError(
                .wrongShape, file: path,
                problem: "holds \(dtype), not complex values",
                fix: "save the array as complex64 (<c8) or complex128 (<c16)")
        }
        guard let out = buffer.baseAddress, !elements.isEmpty else { return }
        let swap = !dtype.isHostOrder
        let source = dataBytes.baseAddress! + elements.lowerBound * dtype.itemSize
        // A complex number is two consecutive floats of half the item size.
        if dtype.itemSize == 8 {
            widen(source, 2 * elements.count, out) { Float(bitPattern: Self.integer(UInt32.self, $0, swap)) }
        } else {
            widen(source, 2 * elements.count, out) { Float(Double(bitPattern: Self.integer(UInt64.self, $0, swap))) }
        }
    }

    /// All elements of a real dtype as Float.
    public func readReal() throws -> ShapedArray<Float> {
        let values = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try copyReal(elements: 0..<count, into: buffer)
            initialized = count
        }
        return ShapedArray(shape: shape, values: values)
    }

    /// All elements of a complex dtype as interleaved complex64.
    public func readComplex() throws -> ComplexArray {
        let values = try [Float](unsafeUninitializedCapacity: 2 * count) { buffer, initialized in
            try copyComplex(elements: 0..<count, interleavedInto: buffer)
            initialized = 2 * count
        }
        return ComplexArray(shape: shape, interleaved: values)
    }

    private func checkRange(_ elements: Range<Int>, buffer: Int, perElement: Int) throws {
        guard elements.lowerBound >= 0, elements.upperBound <= count else {
            throw FormatError(
                .invalidArgument, file: path,
                problem: "elements \(elements.lowerBound)..<\(elements.upperBound) are outside 0..<\(count)")
        }
        guard buffer == perElement * elements.count else {
            throw FormatError(
                .invalidArgument, file: path,
                problem: "buffer holds \(buffer) floats but \(elements.count) elements need \(perElement * elements.count)")
        }
    }

    @inline(__always)
    private static func integer<I: FixedWidthInteger>(_ type: I.Type, _ pointer: UnsafeRawPointer, _ swap: Bool) -> I {
        let value = pointer.loadUnaligned(as: I.self)
        return swap ? value.byteSwapped : value
    }

    /// Converts `n` source values spaced one dtype item apart (half an item for complex,
    /// whose real and imaginary parts are converted as separate values).
    @inline(__always)
    private func widen(
        _ source: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ load: (UnsafeRawPointer) -> Float
    ) {
        let stride = dtype.kind == .complex ? dtype.itemSize / 2 : dtype.itemSize
        for i in 0..<n { out[i] = load(source + i * stride) }
    }
}
