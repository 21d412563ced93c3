import XCTest

@testable import Shared

/// MATLAB `.mat` volumes written by scipy.io.savemat (v5, compressed or not) and hdf5storage
/// (v7.3, HDF5), read through ``BCDIVolumeSource``. A MATLAB array of size [n1 n2 n3] is the
/// C-order volume [n3, n2, n1] (the h5py view of a v7.3 file).
final class FormatsMATInteropTests: XCTestCase {
    private func expected(_ k: Int) -> (Float, Float) { (Float(k % 251) * 0.5 - 3, Float(k % 13) - 6) }

    /// Python defining `V`, the C-order volume of `shape` we expect to read; MATLAB gets `V.T`.
    private func volume(_ shape: [Int], dtype: String = "complex128") -> String {
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ",)"
        return """
            import numpy as np
            k = np.arange(int(np.prod(\(shapeText))))
            V = ((k % 251) * 0.5 - 3 + 1j * ((k % 13) - 6)).astype(np.\(dtype)).reshape(\(shapeText))
            """
    }

    private func check(_ source: BCDIVolumeSource, slabs: [Range<Int>], file: StaticString = #filePath, line: UInt = #line) throws {
        try checkPlanes(source, slabs: slabs, expected: expected, file: file, line: line)
    }

    func testReadsScipyV5CompressedAndPlainComplexDoubleAndSingle() throws {
        let dir = try FormatsTempDirectory()
        for (compress, dtype) in [(true, "complex128"), (false, "complex128"), (true, "complex64"), (false, "complex64")] {
            let path = dir.file("v5-\(compress)-\(dtype).mat")
            try FormatsPython.run(volume([6, 5, 7], dtype: dtype) + """

                import scipy.io
                scipy.io.savemat('\(path)', {'note': 'text', 'cfg': {'a': 1}, 'obj': V.T, 'support': (k % 2).reshape(V.shape).T},
                                 do_compression=\(compress ? "True" : "False"))
                """, requiring: ["numpy", "scipy"])
            let source = try BCDIVolumeSource(path: path)
            XCTAssertEqual(source.shape, [6, 5, 7], path)
            XCTAssertEqual(source.dataset, "obj")
            try check(source, slabs: [0..<6, 3..<4, 5..<6, 0..<2])
        }
    }

    func testReadsLargeCompressedV5BySlabsForwardAndBackward() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("big.mat")
        try FormatsPython.run(volume([23, 61, 59]) + """

            import scipy.io
            scipy.io.savemat('\(path)', {'obj': V.T}, do_compression=True)
            """, requiring: ["numpy", "scipy"])
        let source = try BCDIVolumeSource(path: path)
        XCTAssertEqual(source.shape, [23, 61, 59])
        try check(source, slabs: [0..<5, 5..<17, 17..<23, 8..<9, 0..<23])
    }

    func testReadsHdf5storageV73() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("v73.mat")
        try FormatsPython.run(volume([5, 4, 6]) + """

            import hdf5storage
            hdf5storage.savemat('\(path)', {'obj': V.T, 'support': (k % 2).reshape(V.shape).T.astype(np.uint8)},
                                format='7.3', matlab_compatible=True)
            """, requiring: ["numpy", "h5py", "hdf5storage"])
        XCTAssertTrue(MATFile.isHDF5(path: path))
        let source = try BCDIVolumeSource(path: path)
        XCTAssertEqual(source.shape, [5, 4, 6])
        XCTAssertEqual(source.dataset, "/obj")
        try check(source, slabs: [0..<5, 2..<3])
    }

    func testRealArraysAndGarbageFailClearly() throws {
        let dir = try FormatsTempDirectory()
        let real = dir.file("real.mat")
        try FormatsPython.run("""
            import numpy as np, scipy.io
            scipy.io.savemat('\(real)', {'amp': np.ones((3, 4, 5))})
            """, requiring: ["numpy", "scipy"])
        assertFormatError(.missing, containing: ["real.mat", "no complex 3D variable", "amp [5, 4, 3]"]) { try BCDIVolumeSource(path: real) }
        assertFormatError(.wrongShape, containing: ["real double values"]) { try BCDIVolumeSource(path: real, dataset: "amp") }

        let junk = dir.file("junk.mat")
        try Data(repeating: 0x41, count: 300).writeFixture(toPath: junk)
        assertFormatError(.corrupt, containing: ["junk.mat", "MATLAB"]) { try BCDIVolumeSource(path: junk) }

        // A compressed variable cut short: the stream ends before the data it declares.
        let whole = dir.file("whole.mat")
        try FormatsPython.run(volume([8, 9, 10]) + """

            import scipy.io
            scipy.io.savemat('\(whole)', {'obj': V.T}, do_compression=True)
            """, requiring: ["numpy", "scipy"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = dir.file("cut.mat")
        try bytes.prefix(bytes.count - 100).writeFixture(toPath: cut)
        assertFormatError(.truncated, containing: ["cut.mat"]) { try BCDIVolumeSource(path: cut) }
    }
}
