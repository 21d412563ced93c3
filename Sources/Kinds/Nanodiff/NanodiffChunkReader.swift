import Foundation
import Shared

/// Reads a 5D rocking scan stored one chunk per detector frame (what area-detector writers
/// produce) by copying the stored chunks themselves, skipping libhdf5's hyperslab selection
/// (0–15 % faster reads in release, about twice as fast in debug; docs/nanodiff.md, Measured).
///
/// Only unfiltered chunks that cover whole frames ([1, 1, c, det_y, det_x]) of the type the
/// caller reads qualify; the first chunk is checked against the ordinary read (byte order, fill
/// values), and anything else returns false so the caller reads the hyperslab.
enum NanodiffChunkReader {
    /// Reads positions `cols` of scan `row` across every angle into `buffer`
    /// ([angle, position, det_y, det_x]); false when the layout does not qualify (nothing read).
    static func read<T: HDF5Scalar>(_ data: HDF5Dataset, row: Int, cols: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>) throws -> Bool {
        let s = data.shape
        guard s.count == 5, !cols.isEmpty, let c = data.chunkShape, c.count == 5, c[0] == 1, c[1] == 1, c[3] == s[3], c[4] == s[4],
              data.elementType == T.hdf5ElementType, data.elementType.byteSize == MemoryLayout<T>.size,
              try data.filters().isEmpty else { return false }
        let frame = s[3] * s[4], frameBytes = frame * MemoryLayout<T>.size, perChunk = c[2]
        guard buffer.count >= s[0] * cols.count * frame else { return false }
        var raw: [UInt8] = []
        // The first frame both ways: equal bytes mean native byte order and stored chunks.
        let check = UnsafeMutableBufferPointer<T>.allocate(capacity: frame)
        defer { check.deallocate() }
        try data.read(ranges: [0..<1, row..<(row + 1), cols.lowerBound..<(cols.lowerBound + 1), 0..<s[3], 0..<s[4]], into: check)
        guard (try? data.readRawChunk(at: [0, row, cols.lowerBound / perChunk * perChunk, 0, 0], into: &raw)) == perChunk * frameBytes else { return false }
        let offsetInChunk = (cols.lowerBound % perChunk) * frameBytes
        let same = raw.withUnsafeBytes { b in memcmp(UnsafeRawPointer(check.baseAddress!), b.baseAddress! + offsetInChunk, frameBytes) == 0 }
        guard same else { return false }
        let base = UnsafeMutableRawPointer(buffer.baseAddress!)
        for a in 0..<s[0] {
            var start = cols.lowerBound / perChunk * perChunk
            while start < cols.upperBound {
                guard try data.readRawChunk(at: [a, row, start, 0, 0], into: &raw) == perChunk * frameBytes else { return false }
                let lo = max(start, cols.lowerBound), hi = min(start + perChunk, cols.upperBound)
                raw.withUnsafeBytes { chunk in
                    let target = base + ((a * cols.count + lo - cols.lowerBound) * frameBytes)
                    target.copyMemory(from: chunk.baseAddress! + (lo - start) * frameBytes, byteCount: (hi - lo) * frameBytes)
                }
                start += perChunk
            }
        }
        return true
    }
}
