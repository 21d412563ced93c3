import CHDF5

extension HDF5File {
    /// Creates an empty dataset of `T` (missing parent groups are created) to fill block by
    /// block with ``HDF5Dataset/write(_:ranges:)``.
    public func createDataset<T: HDF5Scalar>(
        _ datasetPath: String, of type: T.Type, shape: [Int], options: HDF5WriteOptions = .contiguous
    ) throws -> HDF5Dataset {
        let elementType = T.hdf5ElementType
        return try createDataset(datasetPath, shape: shape, elementSize: elementType.byteSize, options: options) {
            (H5Tcopy(elementType.fileType!), elementType.description)
        }
    }

    /// Creates an empty complex64 dataset stored as the h5py compound {r, i} of float32.
    public func createComplexDataset(
        _ datasetPath: String, shape: [Int], options: HDF5WriteOptions = .contiguous
    ) throws -> HDF5Dataset {
        try createDataset(datasetPath, shape: shape, elementSize: 8, options: options) {
            let type = H5Tcreate(H5T_COMPOUND, 8)
            _ = H5Tinsert(type, "r", 0, slipline_h5t_ieee_f32le())
            _ = H5Tinsert(type, "i", 4, slipline_h5t_ieee_f32le())
            return (type, "complex64")
        }
    }

    /// Writes a whole real dataset in one call (e.g. `/psi` float32, `/image` float32, masks as uint8).
    public func write<T: HDF5Scalar>(
        _ values: [T], shape: [Int], to datasetPath: String, options: HDF5WriteOptions = .contiguous
    ) throws {
        try checkCount(values.count, shape: shape, perElement: 1, datasetPath)
        let dataset = try createDataset(datasetPath, of: T.self, shape: shape, options: options)
        try values.withUnsafeBufferPointer { try dataset.write($0) }
    }

    /// Writes a whole complex64 dataset from interleaved (re, im) floats.
    public func writeComplex(
        interleaved values: [Float], shape: [Int], to datasetPath: String, options: HDF5WriteOptions = .contiguous
    ) throws {
        try checkCount(values.count, shape: shape, perElement: 2, datasetPath)
        let dataset = try createComplexDataset(datasetPath, shape: shape, options: options)
        try values.withUnsafeBufferPointer { try dataset.writeComplex(interleaved: $0) }
    }

    /// Writes a whole complex64 dataset.
    public func writeComplex(_ array: ComplexArray, to datasetPath: String, options: HDF5WriteOptions = .contiguous) throws {
        try writeComplex(interleaved: array.interleaved, shape: array.shape, to: datasetPath, options: options)
    }

    private func checkCount(_ count: Int, shape: [Int], perElement: Int, _ datasetPath: String) throws {
        guard shape.allSatisfy({ $0 >= 0 }), count == perElement * shape.reduce(1, *) else {
            throw FormatError(
                .invalidArgument, .write, file: path, dataset: HDF5Library.normalize(datasetPath),
                problem: "\(count) values given for shape \(shape)" + (perElement == 2 ? " (need 2 floats per complex element)" : ""))
        }
    }

    /// Shared creation path: validates, builds the creation property lists, creates parents.
    /// `makeType` returns a file type the caller owns (closed here) and its name for messages.
    private func createDataset(
        _ rawPath: String, shape: [Int], elementSize: Int, options: HDF5WriteOptions,
        makeType: () -> (hid_t, String)
    ) throws -> HDF5Dataset {
        let datasetPath = HDF5Library.normalize(rawPath)
        return try HDF5Library.locked {
            try requireOpen(.write, dataset: datasetPath)
            try requireWritable(datasetPath)
            guard shape.allSatisfy({ $0 >= 0 }), shape.count <= 32 else {
                throw FormatError(.invalidArgument, .write, file: path, dataset: datasetPath, problem: "invalid shape \(shape)")
            }
            if containsDataset(datasetPath) || containsGroup(datasetPath) {
                throw FormatError(
                    .invalidArgument, .write, file: path, dataset: datasetPath, problem: "already exists",
                    fix: "write to a new file or another dataset path")
            }
            let creation = try creationList(shape: shape, elementSize: elementSize, options: options, datasetPath)
            defer { _ = H5Pclose(creation) }
            let links = H5Pcreate(slipline_h5p_link_create())
            defer { _ = H5Pclose(links) }
            _ = H5Pset_create_intermediate_group(links, 1)
            let dims = shape.map { hsize_t($0) }
            let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), dims, nil)
            defer { _ = H5Sclose(space) }
            let (type, typeName) = makeType()
            defer { _ = H5Tclose(type) }
            let id = H5Dcreate2(self.id, datasetPath, type, space, links, creation, slipline_h5p_default())
            guard id >= 0 else {
                throw HDF5Library.error(
                    .writeFailed, .write, file: path, dataset: datasetPath,
                    problem: "cannot create \(typeName) dataset of shape \(shape)")
            }
            return try HDF5Dataset(file: self, path: datasetPath, id: id)
        }
    }

    private func creationList(shape: [Int], elementSize: Int, options: HDF5WriteOptions, _ datasetPath: String) throws -> hid_t {
        let list = H5Pcreate(slipline_h5p_dataset_create())
        guard list >= 0 else { throw HDF5Library.error(.writeFailed, .write, file: path, dataset: datasetPath, problem: "cannot create property list") }
        // HDF5 cannot chunk scalars or datasets with an empty axis; those stay contiguous.
        let chunkable = !shape.isEmpty && !shape.contains(0)
        guard chunkable, options.chunkShape != nil || options.gzipLevel != nil else { return list }
        let chunk = options.chunkShape ?? HDF5WriteOptions.automaticChunk(shape: shape, elementSize: elementSize)
        guard chunk.count == shape.count, chunk.allSatisfy({ $0 > 0 }), zip(chunk, shape).allSatisfy({ $0 <= $1 }) else {
            _ = H5Pclose(list)
            throw FormatError(
                .invalidArgument, .write, file: path, dataset: datasetPath,
                problem: "chunk shape \(chunk) does not fit dataset shape \(shape)",
                fix: "use one positive chunk length per axis, each at most the axis length")
        }
        _ = H5Pset_chunk(list, Int32(chunk.count), chunk.map { hsize_t($0) })
        if let level = options.gzipLevel {
            guard (0...9).contains(level) else {
                _ = H5Pclose(list)
                throw FormatError(.invalidArgument, .write, file: path, dataset: datasetPath, problem: "gzip level \(level) is not in 0…9")
            }
            guard H5Zfilter_avail(slipline_h5z_filter_deflate()) > 0 else {
                _ = H5Pclose(list)
                throw FormatError(.unsupported, .write, file: path, dataset: datasetPath, problem: "this libhdf5 was built without gzip (deflate)")
            }
            if options.shuffle { _ = H5Pset_shuffle(list) }
            _ = H5Pset_deflate(list, UInt32(level))
        }
        return list
    }
}
