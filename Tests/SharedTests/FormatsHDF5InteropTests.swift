import XCTest

@testable import Shared

/// Files written by h5py are read here, and files written here are checked by h5py.
/// Skipped when python3 with numpy and h5py is not installed (a failure under CI=true).
final class FormatsHDF5InteropTests: XCTestCase {
    func testReadsH5pyComplexCompounds() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("complex.h5")
        try FormatsPython.run("""
            import h5py, numpy as np
            n = 3 * 4 * 5
            k = np.arange(n).reshape(3, 4, 5)
            with h5py.File('\(path)', 'w') as f:
                f['c64'] = (k * 0.5 - 1j * k).astype(np.complex64)
                f['c128'] = (k * 0.25 + 1j * (k + 1)).astype(np.complex128)
            """)
        let file = try HDF5File.open(path: path)
        let c64 = try file.dataset("/c64")
        XCTAssertEqual(c64.elementType, .complex64)
        XCTAssertEqual(c64.shape, [3, 4, 5])
        let values = try c64.readComplex()
        XCTAssertEqual(values.interleaved, (0..<60).flatMap { [Float($0) * 0.5, -Float($0)] })

        let c128 = try file.dataset("/c128")
        XCTAssertEqual(c128.elementType, .complex128)
        let split = try c128.readComplexSplit(ranges: [1..<2])
        XCTAssertEqual(split.shape, [1, 4, 5])
        XCTAssertEqual(split.real, (20..<40).map { Float($0) * 0.25 })
        XCTAssertEqual(split.imag, (20..<40).map { Float($0 + 1) })
    }

    func testReadsH5pyGzipChunked4DUInt16InRowBlocks() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("stem.h5")
        try FormatsPython.run("""
            import h5py, numpy as np
            a = (np.arange(7 * 6 * 16 * 12, dtype=np.uint64) * 7919 % 65536).astype(np.uint16).reshape(7, 6, 16, 12)
            with h5py.File('\(path)', 'w') as f:
                f.create_dataset('meta/notes', data='not numbers')
                f.create_dataset('scan/preview', data=np.zeros((7, 6), np.float32))
                f.create_dataset('scan/frames', data=a, chunks=(2, 3, 16, 12), compression='gzip', compression_opts=4, shuffle=True)
            """)
        let count = 7 * 6 * 16 * 12
        let expected: [UInt16] = (0..<count).map { (i: Int) -> UInt16 in UInt16((i * 7919) % 65536) }
        let file = try HDF5File.open(path: path)
        let listing = try file.datasets()
        XCTAssertEqual(listing.filter { $0.rank == 4 }.map(\.path), ["/scan/frames"])
        XCTAssertEqual(listing.first { $0.path == "/meta/notes" }?.elementType, .other("string"))

        let frames = try file.dataset("/scan/frames")
        XCTAssertEqual(frames.elementType, .uint16)
        XCTAssertEqual(frames.chunkShape, [2, 3, 16, 12])
        let rowSize = 6 * 16 * 12
        for rows in [0..<3, 3..<4, 4..<7] {
            let block = try frames.read(Float.self, ranges: [rows])
            XCTAssertEqual(block, expected[(rows.lowerBound * rowSize)..<(rows.upperBound * rowSize)].map(Float.init), "rows \(rows)")
        }
    }

    func testReadsPyNXLikeCXIFile() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("pynx.cxi")
        try FormatsPython.run("""
            import h5py, numpy as np
            z, y, x = 4, 5, 6
            k = np.arange(z * y * x).reshape(z, y, x)
            obj = np.stack([k + 1j * k, -k - 1j * k]).astype(np.complex64)   # 2 modes
            with h5py.File('\(path)', 'w') as f:
                f.attrs['creator'] = 'PyNX'
                f.attrs['HDF5_Version'] = h5py.version.hdf5_version
                e = f.create_group('entry_1')
                e['program_name'] = 'PyNX 2024.1'
                img = e.create_group('image_1')
                img.create_dataset('data', data=obj, chunks=True, compression='gzip')
                img['data'].attrs['interpretation'] = 'image'
                img.create_dataset('mask', data=(k % 3 != 0).astype(np.int8))
                img['process_1/command'] = 'pynx-cdi-id01 ...'
                e['data_1'] = h5py.SoftLink('/entry_1/image_1')
            """)
        let file = try HDF5File.open(path: path)
        XCTAssertTrue(file.containsDataset("/entry_1/image_1/data"))
        XCTAssertTrue(file.containsDataset("/entry_1/data_1/data"), "soft link to the image group resolves")
        let listing = try file.datasets()
        XCTAssertEqual(listing.filter { $0.path.hasSuffix("/data") }.map(\.path), ["/entry_1/image_1/data"], "soft links are not listed twice")

        let data = try file.dataset("/entry_1/image_1/data")
        XCTAssertEqual(data.shape, [2, 4, 5, 6])
        let mode0 = try data.readComplex(ranges: [0..<1])
        XCTAssertEqual(mode0.shape, [1, 4, 5, 6])
        XCTAssertEqual(mode0.interleaved, (0..<120).flatMap { [Float($0), Float($0)] })

        let mask = try file.dataset("/entry_1/image_1/mask")
        XCTAssertEqual(mask.elementType, .int8)
        XCTAssertEqual(try mask.read(UInt8.self), (0..<120).map { $0 % 3 != 0 ? 1 : 0 })
    }

    func testH5pyReadsFilesWrittenHere() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("ours.h5")
        let file = try HDF5File.create(path: path)
        try file.write((0..<24).map { Float($0) / 4 }, shape: [2, 3, 4], to: "/psi", options: .gzip(level: 5))
        try file.writeComplex(interleaved: (0..<6).flatMap { [Float($0), 1 - Float($0)] }, shape: [1, 2, 3], to: "/entry_1/image_1/data")
        try file.write((0..<6).map { UInt16($0 * 1000) }, shape: [6], to: "/u16", options: HDF5WriteOptions(chunkShape: [4]))
        try file.write([UInt8](repeating: 1, count: 4), shape: [2, 2], to: "/mask")
        try file.close()
        try FormatsPython.run("""
            import h5py, numpy as np
            with h5py.File('\(path)', 'r') as f:
                psi = f['psi']
                assert psi.dtype == np.float32 and psi.shape == (2, 3, 4), (psi.dtype, psi.shape)
                assert psi.compression == 'gzip', psi.compression
                assert np.array_equal(psi[...], np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 4)
                c = f['entry_1/image_1/data']
                assert c.dtype == np.complex64, c.dtype
                k = np.arange(6).reshape(1, 2, 3)
                assert np.array_equal(c[...], (k + 1j * (1 - k)).astype(np.complex64))
                assert f['u16'].dtype == np.uint16 and list(f['u16'][...]) == [0, 1000, 2000, 3000, 4000, 5000]
                assert f['mask'].dtype == np.uint8 and f['mask'][...].sum() == 4
            """)
    }
}
