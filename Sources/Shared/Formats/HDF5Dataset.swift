import CHDF5

/// An open HDF5 dataset: shape, element type, chunk layout, and reads/writes of whole
/// datasets or of blocks along the leading axes (hyperslabs).
///
/// A block is given as `ranges`: one range per leading axis, the remaining axes taken whole.
/// For a 4D-STEM cube (scan_y, scan_x, det_y, det_x), `[rows]` selects a block of scan rows;
/// for a BCDI stack of modes (mode, z, y, x), `[0..<1]` selects the first mode.
///
/// Chunked datasets are opened with a chunk cache large enough for one slab of chunks along
/// the first axis, so consecutive row blocks that split a chunk decompress it only once.
public final class HDF5Dataset: @unchecked Sendable {
    /// The file this dataset lives in (kept alive by the dataset).
    public let file: HDF5File
    /// Absolute path inside the file.
    public let path: String
    /// Shape in C order (the first axis varies slowest).
    public let shape: [Int]
    public let elementType: HDF5ElementType
    /// Chunk shape when the dataset is chunked (compressed datasets always are).
    public let chunkShape: [Int]?
    let complexMembers: HDF5ComplexMembers?
    let id: hid_t

    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Opens an existing dataset.
    init(file: HDF5File, path: String) throws {
        self.file = file
        self.path = path
        (id, shape, elementType, complexMembers, chunkShape) = try HDF5Library.locked {
            try file.requireOpen(dataset: path)
            guard file.containsDataset(path) else {
                throw Self.missingError(file: file, path: path)
            }
            var id = H5Dopen2(file.id, path, slipline_h5p_default())
            guard id >= 0 else { throw HDF5Library.error(.corrupt, file: file.path, dataset: path, problem: "cannot open dataset") }
            let (shape, type, members, chunks) = try Self.describe(id, file: file.path, dataset: path)
            if let chunks, let access = Self.chunkCacheAccessList(shape: shape, chunks: chunks, elementSize: type.byteSize) {
                defer { _ = H5Pclose(access) }
                let reopened = H5Dopen2(file.id, path, access)
                if reopened >= 0 {
                    _ = H5Dclose(id)
                    id = reopened
                } else {
                    _ = HDF5Library.takeErrorStack()
                }
            }
            return (id, shape, type, members, chunks)
        }
    }

    /// Wraps a dataset just created by `HDF5File.createDataset`.
    init(file: HDF5File, path: String, id: hid_t) throws {
        self.file = file
        self.path = path
        self.id = id
        (shape, elementType, complexMembers, chunkShape) = try Self.describe(id, file: file.path, dataset: path)
    }

    deinit {
        HDF5Library.locked { _ = H5Dclose(id) }
    }

    private static func missingError(file: HDF5File, path: String) -> FormatError {
        let available = (try? file.datasets()) ?? []
        let listing = available.prefix(8).map { "\($0.path) (\($0.shape.map(String.init).joined(separator: "×")) \($0.elementType))" }
        let fix: String
        if available.isEmpty {
            fix = "the file holds no datasets"
        } else {
            fix = "the file holds " + listing.joined(separator: ", ") + (available.count > 8 ? ", …" : "")
                + "; pass the right one with --param dataset=/path"
        }
        return FormatError(.missing, file: file.path, dataset: path, problem: "no such dataset", fix: fix)
    }

    /// Shape, element type, complex member names and chunk shape of an open dataset.
    static func describe(_ id: hid_t, file: String, dataset: String) throws
        -> (shape: [Int], type: HDF5ElementType, members: HDF5ComplexMembers?, chunks: [Int]?)
    {
        let space = H5Dget_space(id)
        guard space >= 0 else { throw HDF5Library.error(.corrupt, file: file, dataset: dataset, problem: "cannot read dataspace") }
        defer { _ = H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 0 else { throw HDF5Library.error(.corrupt, file: file, dataset: dataset, problem: "cannot read rank") }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        _ = H5Sget_simple_extent_dims(space, &dims, nil)
        let shape = dims.prefix(rank).map { Int($0) }

        let type = H5Dget_type(id)
        guard type >= 0 else { throw HDF5Library.error(.corrupt, file: file, dataset: dataset, problem: "cannot read datatype") }
        defer { _ = H5Tclose(type) }
        let (elementType, members) = HDF5ElementType.classify(type)

        var chunks: [Int]?
        let create = H5Dget_create_plist(id)
        if create >= 0 {
            defer { _ = H5Pclose(create) }
            if H5Pget_layout(create) == H5D_CHUNKED {
                var chunkDims = [hsize_t](repeating: 0, count: max(rank, 1))
                if H5Pget_chunk(create, Int32(rank), &chunkDims) == Int32(rank) {
                    chunks = chunkDims.prefix(rank).map { Int($0) }
                }
            }
        }
        _ = HDF5Library.takeErrorStack()
        return (shape, elementType, members, chunks)
    }

    /// A dataset-access property list whose chunk cache holds one slab of chunks along the
    /// first axis (capped at 128 MiB), or nil when the default 1 MiB cache is enough.
    private static func chunkCacheAccessList(shape: [Int], chunks: [Int], elementSize: Int) -> hid_t? {
        guard !shape.isEmpty, shape.count == chunks.count, elementSize > 0, chunks.allSatisfy({ $0 > 0 }) else { return nil }
        var chunksInSlab = 1
        for axis in 1..<shape.count { chunksInSlab *= max(1, (shape[axis] + chunks[axis] - 1) / chunks[axis]) }
        let chunkBytes = chunks.reduce(elementSize, *)
        let slabBytes = chunksInSlab * chunkBytes
        let bytes = min(max(slabBytes + chunkBytes, 1 << 20), 128 << 20)
        guard bytes > 1 << 20 else { return nil }
        let access = H5Pcreate(slipline_h5p_dataset_access())
        guard access >= 0 else { return nil }
        // HDF5 suggests ~100 hash slots per cached chunk, prime to spread the hashing.
        let slots = nextPrime(min(max(100 * (bytes / max(chunkBytes, 1)), 521), 1 << 20))
        _ = H5Pset_chunk_cache(access, slots, bytes, 1.0)
        return access
    }

    private static func nextPrime(_ n: Int) -> Int {
        func isPrime(_ x: Int) -> Bool {
            var divisor = 3
            while divisor * divisor <= x {
                if x % divisor == 0 { return false }
                divisor += 2
            }
            return true
        }
        var candidate = max(n, 3) | 1
        while !isPrime(candidate) { candidate += 2 }
        return candidate
    }

    // MARK: - Selections

    /// Shape of the block `ranges` selects: the ranges' lengths, then the remaining axes whole.
    public func selectionShape(_ ranges: [Range<Int>]) throws -> [Int] {
        guard ranges.count <= rank else {
            throw FormatError(
                .invalidArgument, file: file.path, dataset: path,
                problem: "\(ranges.count) ranges given for a \(rank)D dataset")
        }
        for (axis, range) in ranges.enumerated() where range.lowerBound < 0 || range.upperBound > shape[axis] {
            throw FormatError(
                .invalidArgument, file: file.path, dataset: path,
                problem: "range \(range.lowerBound)..<\(range.upperBound) on axis \(axis) is outside 0..<\(shape[axis])")
        }
        return ranges.map(\.count) + shape.dropFirst(ranges.count)
    }

    /// Runs `body` with (memory space, file space) selecting `ranges`; both are closed after.
    func withSelection(_ ranges: [Range<Int>], _ body: (hid_t, hid_t) throws -> Void) throws {
        if rank == 0 {
            try body(slipline_h5s_all(), slipline_h5s_all())
            return
        }
        let block = try selectionShape(ranges)
        let fileSpace = H5Dget_space(id)
        guard fileSpace >= 0 else { throw HDF5Library.error(.corrupt, file: file.path, dataset: path, problem: "cannot read dataspace") }
        defer { _ = H5Sclose(fileSpace) }
        let start = (0..<rank).map { hsize_t($0 < ranges.count ? ranges[$0].lowerBound : 0) }
        let count = block.map { hsize_t($0) }
        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, count, nil) >= 0 else {
            throw HDF5Library.error(.invalidArgument, file: file.path, dataset: path, problem: "cannot select block")
        }
        let memorySpace = H5Screate_simple(Int32(rank), count, nil)
        guard memorySpace >= 0 else { throw HDF5Library.error(.invalidArgument, file: file.path, dataset: path, problem: "cannot create memory space") }
        defer { _ = H5Sclose(memorySpace) }
        try body(memorySpace, fileSpace)
    }
}
