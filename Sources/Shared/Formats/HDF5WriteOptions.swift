/// Storage layout for a new HDF5 dataset.
public struct HDF5WriteOptions: Sendable, Equatable {
    /// Chunk shape (same rank as the dataset); nil means contiguous, or an automatic ≈1 MiB
    /// chunk when compression is requested.
    public var chunkShape: [Int]?
    /// gzip (deflate) level 0…9; nil for no compression.
    public var gzipLevel: Int?
    /// Byte-shuffle before gzip: much better ratios for uint16 detector counts and floats.
    public var shuffle: Bool

    public init(chunkShape: [Int]? = nil, gzipLevel: Int? = nil, shuffle: Bool = true) {
        self.chunkShape = chunkShape
        self.gzipLevel = gzipLevel
        self.shuffle = shuffle
    }

    /// Contiguous, uncompressed.
    public static let contiguous = HDF5WriteOptions()

    /// Chunked and gzip-compressed (shuffle on).
    public static func gzip(level: Int = 4, chunkShape: [Int]? = nil) -> HDF5WriteOptions {
        HDF5WriteOptions(chunkShape: chunkShape, gzipLevel: level)
    }

    /// A chunk of about `targetBytes`, halving leading axes first so each chunk covers whole
    /// trailing rows/frames (the natural read unit for detector data).
    static func automaticChunk(shape: [Int], elementSize: Int, targetBytes: Int = 1 << 20) -> [Int] {
        var chunk = shape.map { max($0, 1) }
        var axis = 0
        while axis < chunk.count, chunk.reduce(elementSize, *) > targetBytes {
            if chunk[axis] > 1 {
                chunk[axis] = (chunk[axis] + 1) / 2
            } else {
                axis += 1
            }
        }
        return chunk
    }
}
