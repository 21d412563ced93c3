import CHDF5

/// Stored chunks as bytes, for filters libhdf5 cannot apply itself (bitshuffle/LZ4, whose
/// plugin Debian does not package).
extension HDF5Dataset {
    /// One filter of the dataset's pipeline: its registered id and parameters.
    public struct Filter: Sendable, Equatable {
        public var id: Int
        public var parameters: [UInt32]
    }

    /// The dataset's filter pipeline, in the order the writer applied it.
    public func filters() throws -> [Filter] {
        try HDF5Library.locked {
            let create = H5Dget_create_plist(id)
            guard create >= 0 else { throw HDF5Library.error(.corrupt, file: file.path, dataset: path, problem: "cannot read the creation properties") }
            defer { _ = H5Pclose(create) }
            let n = H5Pget_nfilters(create)
            guard n >= 0 else { return [] }
            return (0..<n).map { index in
                var flags: UInt32 = 0, count = 16
                var values = [UInt32](repeating: 0, count: 16)
                var name = [CChar](repeating: 0, count: 64)
                var config: UInt32 = 0
                let filter = H5Pget_filter2(create, UInt32(index), &flags, &count, &values, name.count, &name, &config)
                return Filter(id: Int(filter), parameters: Array(values.prefix(min(count, 16))))
            }
        }
    }

    /// The stored (still filtered) bytes of the chunk whose first element is at `offset`
    /// (multiples of ``chunkShape``), into `buffer` (grown as needed); returns the byte count.
    public func readRawChunk(at offset: [Int], into buffer: inout [UInt8]) throws -> Int {
        try HDF5Library.locked {
            var start = offset.map { hsize_t($0) }
            var bytes: hsize_t = 0
            guard H5Dget_chunk_storage_size(id, &start, &bytes) >= 0 else {
                throw HDF5Library.error(.corrupt, file: file.path, dataset: path, problem: "cannot find the stored chunk at \(offset)")
            }
            guard bytes > 0, bytes < 1 << 31 else {
                throw FormatError(.corrupt, file: file.path, dataset: path, problem: "the chunk at \(offset) is missing or declares \(bytes) bytes")
            }
            if buffer.count < Int(bytes) { buffer = [UInt8](repeating: 0, count: Int(bytes)) }
            var filterMask: UInt32 = 0
            let status = buffer.withUnsafeMutableBytes { H5Dread_chunk(id, slipline_h5p_default(), &start, &filterMask, $0.baseAddress) }
            guard status >= 0 else {
                throw HDF5Library.error(.corrupt, file: file.path, dataset: path, problem: "cannot read the stored chunk at \(offset)")
            }
            guard filterMask == 0 else {
                throw FormatError(.unsupported, file: file.path, dataset: path, problem: "the chunk at \(offset) skips filters (mask \(filterMask))")
            }
            return Int(bytes)
        }
    }
}
