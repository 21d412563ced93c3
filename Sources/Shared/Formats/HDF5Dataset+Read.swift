import CHDF5

extension HDF5Dataset {
    /// Reads the block `ranges` (default: everything), converting to `T` (e.g. uint16 → Float).
    public func read<T: HDF5Scalar>(_ type: T.Type = T.self, ranges: [Range<Int>] = []) throws -> [T] {
        let count = try selectionShape(ranges).reduce(1, *)
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(ranges: ranges, into: buffer)
            initialized = count
        }
    }

    /// Reads the block `ranges` into `buffer`, which must hold exactly the block's element count
    /// (C order). Use this to reuse one buffer across 4D-STEM row blocks.
    public func read<T: HDF5Scalar>(ranges: [Range<Int>] = [], into buffer: UnsafeMutableBufferPointer<T>) throws {
        try HDF5Library.locked {
            try file.requireOpen(dataset: path)
            guard elementType.isReal else {
                throw FormatError(
                    .wrongShape, file: file.path, dataset: path,
                    problem: "holds \(elementType), not real numbers",
                    fix: elementType.isComplex ? "read it as complex data" : nil)
            }
            let count = try selectionShape(ranges).reduce(1, *)
            try checkBuffer(buffer.count, expected: count)
            guard count > 0 else { return }
            try withSelection(ranges) { memorySpace, fileSpace in
                guard H5Dread(id, T.hdf5ElementType.nativeType!, memorySpace, fileSpace, slipline_h5p_default(), buffer.baseAddress) >= 0 else {
                    throw HDF5Library.error(.corrupt, file: file.path, dataset: path, problem: "reading \(elementType) data as \(T.self) failed")
                }
            }
        }
    }

    func checkBuffer(_ actual: Int, expected: Int, unit: String = "elements") throws {
        guard actual == expected else {
            throw FormatError(
                .invalidArgument, file: file.path, dataset: path,
                problem: "buffer holds \(actual) \(unit) but the selection needs \(expected)")
        }
    }

    /// Reads the block `ranges` of a complex dataset as interleaved float32 (re, im, …);
    /// complex128 is narrowed to float32.
    public func readComplex(ranges: [Range<Int>] = []) throws -> ComplexArray {
        let block = try selectionShape(ranges)
        let count = block.reduce(1, *)
        let values = try [Float](unsafeUninitializedCapacity: 2 * count) { buffer, initialized in
            try readComplex(ranges: ranges, interleavedInto: buffer)
            initialized = 2 * count
        }
        return ComplexArray(shape: block, interleaved: values)
    }

    /// Reads the block `ranges` of a complex dataset into `buffer` as interleaved float32;
    /// `buffer` must hold 2 floats per selected element.
    public func readComplex(ranges: [Range<Int>] = [], interleavedInto buffer: UnsafeMutableBufferPointer<Float>) throws {
        try HDF5Library.locked {
            let members = try requireComplex()
            let count = try selectionShape(ranges).reduce(1, *)
            try checkBuffer(buffer.count, expected: 2 * count, unit: "floats")
            guard count > 0 else { return }
            try readMembers([(members.real, 0), (members.imag, 4)], size: 8, ranges: ranges, into: UnsafeMutableRawPointer(buffer.baseAddress!))
        }
    }

    /// Reads the block `ranges` of a complex dataset as separate real and imaginary planes,
    /// without an interleaved intermediate copy.
    public func readComplexSplit(ranges: [Range<Int>] = []) throws -> SplitComplexArray {
        let block = try selectionShape(ranges)
        let count = block.reduce(1, *)
        let members = try HDF5Library.locked { try requireComplex() }
        func plane(_ member: String) throws -> [Float] {
            try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 {
                    try HDF5Library.locked {
                        try readMembers([(member, 0)], size: 4, ranges: ranges, into: UnsafeMutableRawPointer(buffer.baseAddress!))
                    }
                }
                initialized = count
            }
        }
        return SplitComplexArray(shape: block, real: try plane(members.real), imag: try plane(members.imag))
    }

    func requireComplex() throws -> HDF5ComplexMembers {
        try file.requireOpen(dataset: path)
        guard let complexMembers else {
            throw FormatError(
                .wrongShape, file: file.path, dataset: path,
                problem: "holds \(elementType), not complex numbers (expected an HDF5 compound {r, i} of float32/float64, as h5py writes complex arrays)")
        }
        return complexMembers
    }

    /// Reads the named compound members as native floats at the given byte offsets of a
    /// memory element of `size` bytes; HDF5 matches members by name and converts float64.
    private func readMembers(_ members: [(String, Int)], size: Int, ranges: [Range<Int>], into pointer: UnsafeMutableRawPointer) throws {
        let memoryType = H5Tcreate(H5T_COMPOUND, size)
        guard memoryType >= 0 else { throw HDF5Library.error(.corrupt, file: file.path, dataset: path, problem: "cannot build memory type") }
        defer { _ = H5Tclose(memoryType) }
        for (name, offset) in members {
            _ = H5Tinsert(memoryType, name, offset, slipline_h5t_native_float())
        }
        try withSelection(ranges) { memorySpace, fileSpace in
            guard H5Dread(id, memoryType, memorySpace, fileSpace, slipline_h5p_default(), pointer) >= 0 else {
                throw HDF5Library.error(.corrupt, file: file.path, dataset: path, problem: "reading complex data failed")
            }
        }
    }
}
