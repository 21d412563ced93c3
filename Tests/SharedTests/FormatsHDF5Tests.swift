import Foundation
import XCTest

@testable import Shared

final class FormatsHDF5Tests: XCTestCase {
    func testFloat32RoundTripWithGzipChunks() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("psi.h5")
        let shape = [7, 13, 5]
        let values = (0..<shape.reduce(1, *)).map { Float($0) * 0.25 - 3 }
        let file = try HDF5File.create(path: path)
        try file.write(values, shape: shape, to: "/psi", options: .gzip(level: 6))
        try file.close()

        let reader = try HDF5File.open(path: path)
        let dataset = try reader.dataset("/psi")
        XCTAssertEqual(dataset.shape, shape)
        XCTAssertEqual(dataset.elementType, .float32)
        XCTAssertNotNil(dataset.chunkShape)
        XCTAssertEqual(try dataset.read(Float.self), values)
        XCTAssertEqual(try dataset.read(Double.self), values.map(Double.init))
        XCTAssertEqual(try dataset.read(Float.self, ranges: [2..<4, 1..<2]), Array(values[(2 * 65 + 5)..<(2 * 65 + 10)] + values[(3 * 65 + 5)..<(3 * 65 + 10)]))
    }

    func testComplexCXILayoutWithModes() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("obj.cxi")
        let shape = [2, 3, 4, 5]
        let n = shape.reduce(1, *)
        let interleaved = (0..<n).flatMap { [Float($0), -Float($0) / 2] }
        let file = try HDF5File.create(path: path)
        try file.writeComplex(interleaved: interleaved, shape: shape, to: "entry_1/image_1/data", options: .gzip(chunkShape: [1, 3, 4, 5]))
        try file.write([UInt8](repeating: 1, count: 60), shape: [3, 4, 5], to: "/entry_1/image_1/mask")
        try file.close()

        let reader = try HDF5File.open(path: path)
        XCTAssertTrue(reader.containsDataset("/entry_1/image_1/data"))
        XCTAssertTrue(reader.containsGroup("/entry_1/image_1"))
        XCTAssertFalse(reader.containsDataset("/entry_1/image_1"))
        let dataset = try reader.dataset("/entry_1/image_1/data")
        XCTAssertEqual(dataset.elementType, .complex64)
        XCTAssertEqual(dataset.rank, 4)

        let firstMode = try dataset.readComplex(ranges: [0..<1])
        XCTAssertEqual(firstMode.shape, [1, 3, 4, 5])
        XCTAssertEqual(firstMode.interleaved, Array(interleaved[0..<120]))
        let secondMode = try dataset.readComplexSplit(ranges: [1..<2])
        XCTAssertEqual(secondMode.real, (60..<120).map(Float.init))
        XCTAssertEqual(secondMode.imag, (60..<120).map { -Float($0) / 2 })

        let mask = try reader.dataset("/entry_1/image_1/mask")
        XCTAssertEqual(mask.elementType, .uint8)
        XCTAssertEqual(try mask.read(UInt8.self).count, 60)
    }

    func testUInt16FourDimensionalRowBlocks() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("scan.h5")
        let shape = [6, 5, 7, 9]  // scan_y, scan_x, det_y, det_x
        let values = (0..<shape.reduce(1, *)).map { UInt16(truncatingIfNeeded: $0 &* 31) }
        let file = try HDF5File.create(path: path)
        let dataset = try file.createDataset("/data/frames", of: UInt16.self, shape: shape, options: .gzip(level: 1, chunkShape: [4, 5, 7, 9]))
        // Write in blocks of scan rows, as the synthetic generator does.
        let rowSize = 5 * 7 * 9
        for rows in [0..<2, 2..<3, 3..<6] {
            try Array(values[(rows.lowerBound * rowSize)..<(rows.upperBound * rowSize)]).withUnsafeBufferPointer {
                try dataset.write($0, ranges: [rows])
            }
        }
        try file.close()

        let reader = try HDF5File.open(path: path)
        let data = try reader.dataset("/data/frames")
        XCTAssertEqual(data.chunkShape, [4, 5, 7, 9])
        // Blocks that split chunks, read into one reused buffer.
        var buffer = [Float](repeating: 0, count: 2 * rowSize)
        for start in stride(from: 0, to: 6, by: 2) {
            try buffer.withUnsafeMutableBufferPointer { try data.read(ranges: [start..<(start + 2)], into: $0) }
            XCTAssertEqual(buffer, values[(start * rowSize)..<((start + 2) * rowSize)].map(Float.init))
        }
        XCTAssertEqual(try data.read(UInt16.self), values)
        XCTAssertEqual(try data.read(UInt16.self, ranges: [5..<6, 4..<5]), Array(values[(5 * rowSize + 4 * 63)..<(6 * rowSize)]))
        XCTAssertEqual(try data.read(UInt16.self, ranges: [3..<3]), [])
    }

    func testListingFindsTheOnly4DDataset() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("list.h5")
        let file = try HDF5File.create(path: path)
        try file.createGroups("/a/b/c")
        try file.createGroups("/a/b")  // idempotent
        try file.write([Float](repeating: 0, count: 16), shape: [1, 2, 2, 4], to: "/a/b/c/cube")
        try file.write([UInt32](repeating: 0, count: 4), shape: [2, 2], to: "/a/img")
        try file.write([Double(1)], shape: [], to: "/scalar")
        try file.close()

        let listed = try HDF5File.open(path: path).datasets()
        XCTAssertEqual(listed.map(\.path), ["/a/b/c/cube", "/a/img", "/scalar"])
        XCTAssertEqual(listed.map(\.rank), [4, 2, 0])
        XCTAssertEqual(listed.filter { $0.rank == 4 }.map(\.path), ["/a/b/c/cube"])
        XCTAssertEqual(listed[1].elementType, .uint32)
        XCTAssertEqual(try HDF5File.open(path: path).dataset("scalar").read(Double.self), [1])
    }

    func testExistenceChecksNeverThrow() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("exists.h5")
        let file = try HDF5File.create(path: path)
        try file.write([Float(1)], shape: [1], to: "/g/x")
        XCTAssertTrue(file.containsDataset("/g/x"))
        XCTAssertTrue(file.containsDataset("g/x"))
        XCTAssertFalse(file.containsDataset("/g"))
        XCTAssertFalse(file.containsDataset("/missing/deeper/x"))
        XCTAssertFalse(file.containsDataset("/g/x/below-a-dataset"))
        XCTAssertTrue(file.containsGroup("/"))
        XCTAssertFalse(file.containsGroup("/nope"))
    }

    func testMissingDatasetNamesTheAlternatives() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("vol.h5")
        let file = try HDF5File.create(path: path)
        try file.write([Float](repeating: 0, count: 8), shape: [2, 2, 2], to: "/other/data")
        try file.close()
        let reader = try HDF5File.open(path: path)
        let error = assertFormatError(.missing, containing: ["cannot read vol.h5 dataset /entry_1/image_1/data: no such dataset", "/other/data (2×2×2 float32)", "--param dataset="]) {
            try reader.dataset("/entry_1/image_1/data")
        }
        XCTAssertEqual(error?.dataset, "/entry_1/image_1/data")
    }

    func testWrongElementTypeAndRankMessages() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("types.h5")
        let file = try HDF5File.create(path: path)
        try file.write([Float](repeating: 0, count: 4), shape: [2, 2], to: "/real")
        try file.writeComplex(interleaved: [1, 2], shape: [1], to: "/complex")
        try file.close()
        let reader = try HDF5File.open(path: path)
        assertFormatError(.wrongShape, containing: ["dataset /real", "holds float32, not complex numbers", "compound {r, i}"]) {
            try reader.dataset("/real").readComplex()
        }
        assertFormatError(.wrongShape, containing: ["holds complex64", "read it as complex data"]) {
            try reader.dataset("/complex").read(Float.self)
        }
        assertFormatError(.invalidArgument, containing: ["3 ranges given for a 2D dataset"]) {
            try reader.dataset("/real").read(Float.self, ranges: [0..<1, 0..<1, 0..<1])
        }
        assertFormatError(.invalidArgument, containing: ["outside 0..<2"]) {
            try reader.dataset("/real").read(Float.self, ranges: [1..<3])
        }
        var small = [Float](repeating: 0, count: 3)
        assertFormatError(.invalidArgument, containing: ["buffer holds 3 elements but the selection needs 4"]) {
            try small.withUnsafeMutableBufferPointer { try reader.dataset("/real").read(into: $0) }
        }
    }

    func testFileLevelErrors() throws {
        let dir = try FormatsTempDirectory()
        assertFormatError(.unreadable, containing: ["cannot read none.h5: no such file"]) {
            try HDF5File.open(path: dir.file("none.h5"))
        }
        try Data("definitely not hdf5".utf8).writeFixture(toPath: dir.file("text.h5"))
        assertFormatError(.corrupt, containing: ["not an HDF5 file"]) { try HDF5File.open(path: dir.file("text.h5")) }

        let path = dir.file("ro.h5")
        try HDF5File.create(path: path).write([UInt8(1)], shape: [1], to: "/x")
        let readOnly = try HDF5File.open(path: path)
        assertFormatError(.invalidArgument, containing: ["read-only"]) { try readOnly.write([UInt8(1)], shape: [1], to: "/y") }
        // libhdf5 refuses to reopen a file for writing while it is open read-only in this process.
        assertFormatError(.unreadable, containing: ["already open for read-only"]) { try HDF5File.openForWriting(path: path) }
        try readOnly.close()

        let writable = try HDF5File.openForWriting(path: path)
        assertFormatError(.invalidArgument, containing: ["already exists"]) { try writable.write([UInt8(2)], shape: [1], to: "/x") }
        assertFormatError(.invalidArgument, containing: ["2 values given for shape [3]"]) { try writable.write([UInt8(2), 3], shape: [3], to: "/z") }
        assertFormatError(.invalidArgument, containing: ["chunk shape [5] does not fit"]) {
            try writable.write([UInt8(2), 3], shape: [2], to: "/z", options: HDF5WriteOptions(chunkShape: [5]))
        }
        assertFormatError(.invalidArgument, containing: ["exists and is not a group"]) { try writable.createGroups("/x/sub") }
        try writable.write([UInt16(7)], shape: [1], to: "/new/deep/y")
        try writable.close()
        try writable.close()
        assertFormatError(.invalidArgument, containing: ["file already closed"]) { try writable.dataset("/x") }
        XCTAssertEqual(try HDF5File.open(path: path).dataset("/new/deep/y").read(UInt16.self), [7])

        assertFormatError(.writeFailed, containing: ["cannot write x.h5", "HDF5 create failed"]) {
            try HDF5File.create(path: "/nonexistent-dir-slipline/x.h5")
        }
    }

    func testTruncatedFileFailsCleanly() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("cut.h5")
        let file = try HDF5File.create(path: path)
        try file.write((0..<100_000).map(Float.init), shape: [100, 1000], to: "/big")
        try file.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).writeFixture(toPath: path)
        do {
            let reader = try HDF5File.open(path: path)
            _ = try reader.dataset("/big").read(Float.self)
            XCTFail("reading a truncated file succeeded")
        } catch let error as FormatError {
            XCTAssertTrue(error.description.hasPrefix("cannot read cut.h5"), error.description)
        }
    }

    func testConcurrentReadsAreSerialisedSafely() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("shared.h5")
        let values = (0..<4096).map { UInt16($0) }
        try HDF5File.create(path: path).write(values, shape: [64, 64], to: "/d", options: .gzip(chunkShape: [8, 64]))
        let file = try HDF5File.open(path: path)
        let dataset = try file.dataset("/d")
        let failures = FormatsFailureCounter()
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let rows = (i * 4)..<(i * 4 + 4)
            let got = (try? dataset.read(UInt16.self, ranges: [rows])) ?? []
            if got != Array(values[(rows.lowerBound * 64)..<(rows.upperBound * 64)]) { failures.add() }
            if (try? HDF5File.open(path: path).datasets().count) != 1 { failures.add() }
        }
        XCTAssertEqual(failures.value, 0)
    }
}

/// A thread-safe counter for concurrent test bodies.
final class FormatsFailureCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
