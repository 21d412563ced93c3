import XCTest

@testable import Shared

/// `.npz` volumes written by numpy (`savez`: stored members, `savez_compressed`: deflated),
/// read through ``BCDIVolumeSource``.
final class FormatsNPZInteropTests: XCTestCase {
    /// The value at flat C-order index `k` of the generated volumes.
    private func expected(_ k: Int) -> (Float, Float) { (Float(k % 251) * 0.5 - 3, -Float(k % 97) * 0.25) }

    private func writeNPZ(_ path: String, compressed: Bool, dtype: String, shape: [Int], extra: String = "") throws {
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ",)"
        try FormatsPython.run("""
            import numpy as np
            k = np.arange(int(np.prod(\(shapeText))))
            v = ((k % 251) * 0.5 - 3 - 1j * (k % 97) * 0.25).astype(np.\(dtype)).reshape(\(shapeText))
            arrays = dict(obj=v, support=(k % 3 == 0).reshape(\(shapeText)), llk=np.float64(0.5)\(extra))
            (np.savez_compressed if \(compressed ? "True" : "False") else np.savez)('\(path)', **arrays)
            """, requiring: ["numpy"])
    }

    private func check(_ source: BCDIVolumeSource, slabs: [Range<Int>], file: StaticString = #filePath, line: UInt = #line) throws {
        try checkPlanes(source, slabs: slabs, expected: expected, file: file, line: line)
    }

    func testReadsStoredAndDeflatedComplexVolumesOnAwkwardShapes() throws {
        let dir = try FormatsTempDirectory()
        for (compressed, dtype) in [(false, "complex64"), (true, "complex64"), (false, "complex128"), (true, "complex128")] {
            let path = dir.file("v-\(compressed)-\(dtype).npz")
            try writeNPZ(path, compressed: compressed, dtype: dtype, shape: [7, 5, 3])
            let source = try BCDIVolumeSource(path: path)
            XCTAssertEqual(source.shape, [7, 5, 3])
            XCTAssertEqual(source.dataset, "obj")
            XCTAssertFalse(source.hasModesAxis)
            try check(source, slabs: [0..<7, 2..<3, 6..<7, 0..<1])
        }
    }

    func testDeflatedMemberReadBySlabsForwardAndBackward() throws {
        // 2.4 MB decoded: several 1 MiB conversion blocks and 64 KiB skips per slab.
        let dir = try FormatsTempDirectory()
        let path = dir.file("big.npz")
        try writeNPZ(path, compressed: true, dtype: "complex128", shape: [2, 31, 67, 73])
        let source = try BCDIVolumeSource(path: path)
        XCTAssertEqual(source.shape, [31, 67, 73])
        XCTAssertTrue(source.hasModesAxis, "a leading axis is a stack of modes; mode 0 is read")
        try check(source, slabs: [0..<4, 4..<19, 19..<31, 10..<12, 0..<1, 30..<31])
    }

    func testNamedArrayAndClearErrors() throws {
        let dir = try FormatsTempDirectory()
        let two = dir.file("two.npz")
        try writeNPZ(two, compressed: true, dtype: "complex64", shape: [3, 4, 5], extra: ", obj2=v[::-1]")
        assertFormatError(.missing, containing: ["two.npz", "2 complex 3D arrays", "obj, obj2", "--param dataset="]) {
            try BCDIVolumeSource(path: two)
        }
        XCTAssertEqual(try BCDIVolumeSource(path: two, dataset: "obj").shape, [3, 4, 5])
        assertFormatError(.missing, containing: ["no such array", "support [3, 4, 5]"]) { try BCDIVolumeSource(path: two, dataset: "nope") }
        assertFormatError(.wrongShape, containing: ["support", "not complex"]) { try BCDIVolumeSource(path: two, dataset: "support") }

        let notZip = dir.file("junk.npz")
        try Data("not a zip at all".utf8).writeFixture(toPath: notZip)
        assertFormatError(.corrupt, containing: ["junk.npz", "not a zip archive"]) { try BCDIVolumeSource(path: notZip) }
    }

    func testTruncatedAndCorruptArchivesFailWithTheFileNamed() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("v.npz")
        try writeNPZ(path, compressed: true, dtype: "complex64", shape: [9, 16, 16])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Cut in the middle: the central directory is gone.
        let cut = dir.file("cut.npz")
        try bytes.prefix(bytes.count / 2).writeFixture(toPath: cut)
        assertFormatError(.corrupt, containing: ["cut.npz"]) { try BCDIVolumeSource(path: cut) }
        // Garbage inside the deflate stream of the first member (its data starts after the
        // local header): reading must fail with a message, not crash or hang.
        var garbled = bytes
        for i in 200..<600 { garbled[i] = UInt8(truncatingIfNeeded: i &* 131) }
        let bad = dir.file("bad.npz")
        try garbled.writeFixture(toPath: bad)
        do {
            let source = try BCDIVolumeSource(path: bad)
            _ = try source.readPlanes(0..<9)
            XCTFail("garbled deflate data was read without error")
        } catch let error as FormatError {
            XCTAssertTrue(error.description.contains("bad.npz"), "\(error)")
        }
    }
}
