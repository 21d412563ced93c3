import CHDF5

extension HDF5Dataset {
    /// Writes `values` (C order) into the block `ranges` of a dataset opened for writing.
    public func write<T: HDF5Scalar>(_ values: UnsafeBufferPointer<T>, ranges: [Range<Int>] = []) throws {
        try HDF5Library.locked {
            try file.requireOpen(.write, dataset: path)
            try file.requireWritable(path)
            guard elementType.isReal else {
                throw FormatError(.wrongShape, .write, file: file.path, dataset: path, problem: "holds \(elementType); cannot write \(T.self) values")
            }
            let count = try selectionShape(ranges).reduce(1, *)
            try checkBuffer(values.count, expected: count)
            guard count > 0 else { return }
            try withSelection(ranges) { memorySpace, fileSpace in
                guard H5Dwrite(id, T.hdf5ElementType.nativeType!, memorySpace, fileSpace, slipline_h5p_default(), values.baseAddress) >= 0 else {
                    throw HDF5Library.error(.writeFailed, .write, file: file.path, dataset: path, problem: "writing data failed")
                }
            }
        }
    }

    /// Writes interleaved complex float32 values into the block `ranges` of a complex dataset.
    public func writeComplex(interleaved values: UnsafeBufferPointer<Float>, ranges: [Range<Int>] = []) throws {
        try HDF5Library.locked {
            try file.requireOpen(.write, dataset: path)
            try file.requireWritable(path)
            let members = try requireComplex()
            let count = try selectionShape(ranges).reduce(1, *)
            try checkBuffer(values.count, expected: 2 * count, unit: "floats")
            guard count > 0 else { return }
            let memoryType = H5Tcreate(H5T_COMPOUND, 8)
            defer { _ = H5Tclose(memoryType) }
            _ = H5Tinsert(memoryType, members.real, 0, slipline_h5t_native_float())
            _ = H5Tinsert(memoryType, members.imag, 4, slipline_h5t_native_float())
            try withSelection(ranges) { memorySpace, fileSpace in
                guard H5Dwrite(id, memoryType, memorySpace, fileSpace, slipline_h5p_default(), values.baseAddress) >= 0 else {
                    throw HDF5Library.error(.writeFailed, .write, file: file.path, dataset: path, problem: "writing complex data failed")
                }
            }
        }
    }
}
