import CLZ4

/// Decodes one chunk written by the bitshuffle HDF5 filter (id 32008) with LZ4 compression,
/// as Dectris EIGER/Arina detectors store frames; the filter plugin is not packaged by
/// Debian, so the chunk is read raw (`H5Dread_chunk`) and decoded here.
///
/// Layout: total decoded bytes (uint64, big-endian), block size in bytes (uint32, big-endian),
/// then per block a big-endian uint32 compressed size and an LZ4 block that decodes to
/// bit-transposed elements (``Bitshuffle``). The last block holds the remaining elements
/// rounded down to a multiple of 8; the final `count % 8` elements follow verbatim.
public enum BitshuffleLZ4 {
    /// The filter's registered HDF5 id.
    public static let filterID = 32008

    /// Decodes `chunk` into `output`, which must hold exactly the chunk's decoded bytes;
    /// `scratch` (any size; grown as needed) holds one transposed block. `what` names the
    /// chunk in messages.
    public static func decode(_ chunk: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, elementSize: Int,
                              scratch: inout [UInt8], file: String, what: String) throws {
        func corrupt(_ problem: String) -> FormatError {
            FormatError(.corrupt, file: file, problem: "\(what): bitshuffle/LZ4 \(problem)")
        }
        guard chunk.count >= 12 else { throw corrupt("chunk of \(chunk.count) bytes is shorter than its 12-byte header") }
        let total = Int(clamping: UInt64(bigEndian: chunk.loadUnaligned(as: UInt64.self)))
        let blockBytes = Int(UInt32(bigEndian: chunk.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        guard total == output.count else { throw corrupt("chunk declares \(total) decoded bytes, expected \(output.count)") }
        guard elementSize > 0, total % elementSize == 0, blockBytes > 0, blockBytes % (8 * elementSize) == 0, blockBytes <= 1 << 30 else {
            throw corrupt("chunk declares a block of \(blockBytes) bytes for \(elementSize)-byte elements")
        }
        let count = total / elementSize, blockCount = blockBytes / elementSize
        // A block never decodes to more than the chunk (a declared block may be larger).
        let largestBlock = min(blockBytes, total)
        if scratch.count < largestBlock { scratch = [UInt8](repeating: 0, count: largestBlock) }
        var at = 12, done = 0
        try scratch.withUnsafeMutableBytes { tmp in
            while count - done >= 8 {
                let n = min(blockCount, (count - done) / 8 * 8)
                let bytes = n * elementSize
                guard at + 4 <= chunk.count else { throw corrupt("chunk ends before block \(done / blockCount)") }
                let size = Int(UInt32(bigEndian: chunk.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                at += 4
                guard size <= chunk.count - at else { throw corrupt("block \(done / blockCount) declares \(size) bytes past the chunk's end") }
                let decoded = LZ4_decompress_safe(
                    (chunk.baseAddress! + at).assumingMemoryBound(to: CChar.self), tmp.baseAddress!.assumingMemoryBound(to: CChar.self),
                    Int32(size), Int32(bytes))
                guard decoded == Int32(bytes) else {
                    throw corrupt("block \(done / blockCount) does not decode (LZ4 returned \(decoded), expected \(bytes) bytes)")
                }
                Bitshuffle.unshuffle(UnsafeRawBufferPointer(tmp), into: UnsafeMutableRawBufferPointer(rebasing: output[(done * elementSize)...]),
                                     count: n, elementSize: elementSize)
                at += size
                done += n
            }
        }
        let leftover = (count - done) * elementSize
        guard chunk.count - at >= leftover else { throw corrupt("chunk ends before its last \(count - done) verbatim elements") }
        if leftover > 0 {
            UnsafeMutableRawBufferPointer(rebasing: output[(done * elementSize)...]).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: chunk[at..<(at + leftover)]))
        }
    }
}
