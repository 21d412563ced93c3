import Foundation
@testable import Kinds
import Shared
import XCTest

/// Reading a 5D scan stored one chunk per frame (or per few frames) by copying the stored
/// chunks gives exactly what the hyperslab read gives, and layouts that do not qualify fall back.
final class NanodiffChunkReaderTests: XCTestCase {
    /// [4 angles, 3 rows, 8 positions, 5×7 detector] of distinct uint16 values.
    let shape = [4, 3, 8, 5, 7]
    var values: [UInt16] { (0..<shape.reduce(1, *)).map { UInt16(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) } }

    func write(_ name: String, options: HDF5WriteOptions) throws -> String {
        let dir = try KindHarness<NanodiffKind>.temporaryDirectory("ndchunk")
        let path = (dir as NSString).appendingPathComponent(name)
        let file = try HDF5File.create(path: path)
        let data = try file.createDataset("/entry/data/data", of: UInt16.self, shape: shape, options: options)
        try values.withUnsafeBufferPointer { try data.write($0, ranges: shape.map { 0..<$0 }) }
        try file.close()
        return path
    }

    /// What a row's read must give: [angle, position, det_y, det_x] of `cols`.
    func expected(row: Int, cols: Range<Int>) -> [UInt16] {
        let frame = shape[3] * shape[4], v = values
        var out: [UInt16] = []
        for a in 0..<shape[0] {
            for c in cols {
                let start = (((a * shape[1] + row) * shape[2]) + c) * frame
                out += v[start..<(start + frame)]
            }
        }
        return out
    }

    func testStoredChunksGiveTheHyperslabOnAwkwardRanges() throws {
        for chunk in [[1, 1, 1, 5, 7], [1, 1, 3, 5, 7]] {
            let path = try write("chunked-\(chunk[2]).h5", options: HDF5WriteOptions(chunkShape: chunk))
            let source = try NanodiffScanSource(files: [path], dataset: nil)
            for (row, cols) in [(0, 0..<8), (1, 2..<7), (2, 7..<8), (1, 3..<4)] {
                var buffer = [UInt16](repeating: 0, count: shape[0] * cols.count * 35)
                let h5 = try HDF5File.open(path: path)
                let direct = try buffer.withUnsafeMutableBufferPointer { try NanodiffChunkReader.read(try h5.dataset("/entry/data/data"), row: row, cols: cols, into: $0) }
                try h5.close()
                XCTAssertTrue(direct, "chunks \(chunk) should be read directly")
                XCTAssertEqual(buffer, expected(row: row, cols: cols), "chunks \(chunk), row \(row), positions \(cols)")
                buffer = [UInt16](repeating: 0, count: buffer.count)
                try buffer.withUnsafeMutableBufferPointer { try source.read(row: row, cols: cols, into: $0) }
                XCTAssertEqual(buffer, expected(row: row, cols: cols))
            }
        }
    }

    func testLayoutsThatDoNotQualifyFallBackToTheHyperslab() throws {
        // Contiguous, compressed, and chunks that split a frame: the ordinary read, same values.
        for (name, options) in [("contiguous.h5", HDF5WriteOptions()),
                                ("gzip.h5", HDF5WriteOptions(chunkShape: [1, 1, 1, 5, 7], gzipLevel: 4)),
                                ("split.h5", HDF5WriteOptions(chunkShape: [1, 1, 2, 5, 4]))] {
            let path = try write(name, options: options)
            var buffer = [UInt16](repeating: 0, count: shape[0] * 5 * 35)
            let h5 = try HDF5File.open(path: path)
            let direct = try buffer.withUnsafeMutableBufferPointer { try NanodiffChunkReader.read(try h5.dataset("/entry/data/data"), row: 1, cols: 2..<7, into: $0) }
            try h5.close()
            XCTAssertFalse(direct, name)
            let source = try NanodiffScanSource(files: [path], dataset: nil)
            try buffer.withUnsafeMutableBufferPointer { try source.read(row: 1, cols: 2..<7, into: $0) }
            XCTAssertEqual(buffer, expected(row: 1, cols: 2..<7), name)
            // Float32 reads of uint16 data never take the raw path (the bytes differ).
            var floats = [Float](repeating: 0, count: buffer.count)
            let h5b = try HDF5File.open(path: path)
            XCTAssertFalse(try floats.withUnsafeMutableBufferPointer { try NanodiffChunkReader.read(try h5b.dataset("/entry/data/data"), row: 1, cols: 2..<7, into: $0) })
            try h5b.close()
        }
    }
}
