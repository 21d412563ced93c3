import Foundation
import XCTest

@testable import Shared

/// PyNX CXI files written with h5py in PyNX's layout (`entry_1/image_1/data` with a modes axis,
/// `mask`, `process_1`, `data_1` link; several `entry_N`; `…Run000N…` names), read through
/// ``BCDIVolumeSource`` and ``BCDIPyNXLayout``.
final class FormatsPyNXInteropTests: XCTestCase {
    /// Writes a PyNX-like CXI at `path` with `modes` modes of a random complex volume (mode 0
    /// the strongest) in `entries` entries; the expected mode 0 of entry `e` goes to `path.e.npy`.
    private func writePyNX(_ path: String, shape: [Int], modes: Int, entries: Int = 1, seed: Int) throws {
        try FormatsPython.run("""
            import numpy as np, h5py
            rng = np.random.default_rng(\(seed))
            shape = tuple(\(shape))
            with h5py.File('\(path)', 'w') as f:
                f.attrs['creator'] = 'PyNX'
                f.create_dataset('cxi_version', data=150)
                for e in range(1, \(entries) + 1):
                    weights = np.sort(rng.uniform(0.05, 1, \(modes)))[::-1]
                    obj = np.stack([w * (rng.normal(size=shape) + 1j * rng.normal(size=shape)) for w in weights]).astype(np.complex64)
                    g = f.create_group('entry_%d' % e)
                    g.attrs['NX_class'] = 'NXentry'
                    g.create_dataset('program_name', data='PyNX 2024.1')
                    im = g.create_group('image_1')
                    im.create_dataset('data', data=obj if \(modes) > 1 else obj[0], compression='gzip')
                    im.create_dataset('mask', data=(np.abs(obj[0]) > 0.5).astype(np.int8))
                    im.create_dataset('is_fft_shifted', data=0)
                    p = im.create_group('process_1')
                    p.create_dataset('command', data='pynx-cdi-id01 data=scan.npz nb_run=3')
                    r = p.create_group('results')
                    r.create_dataset('llk_poisson', data=rng.uniform(1, 2))
                    r.create_dataset('mode_weights', data=weights)
                    g['data_1'] = h5py.SoftLink('/entry_%d/image_1' % e)
                    np.save('\(path).%d.npy' % e, obj[0])
            """)
    }

    private func expected(_ path: String, entry: Int) throws -> (re: [Float], im: [Float]) {
        let npy = try NPYFile.open(path: "\(path).\(entry).npy")
        let values = withExtendedLifetime(npy) { Array(npy.dataBytes.bindMemory(to: Float.self)) }
        return (stride(from: 0, to: values.count, by: 2).map { values[$0] }, stride(from: 1, to: values.count, by: 2).map { values[$0] })
    }

    func testModesStackReadsModeZeroAndSaysSo() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("S0012_pynx_Run0001_LLK001.234.cxi")
        try writePyNX(path, shape: [6, 5, 7], modes: 3, seed: 1)
        let source = try BCDIVolumeSource(path: path)
        XCTAssertEqual(source.shape, [6, 5, 7])
        XCTAssertTrue(source.hasModesAxis)
        XCTAssertEqual(source.modeCount, 3)
        XCTAssertEqual(source.maskDataset, "/entry_1/image_1/mask")
        let (re, im) = try source.readPlanes(0..<6)
        let want = try expected(path, entry: 1)
        XCTAssertEqual(re, want.re)
        XCTAssertEqual(im, want.im)
        XCTAssertEqual(source.modeNote, "3 modes: mode 0 (the dominant; PyNX orders modes by weight) is used")
        XCTAssertTrue(source.summary.contains("CXI complex volume 7×5×6 (x×y×z) at /entry_1/image_1/data"), source.summary)
        XCTAssertTrue(source.summary.contains("3 modes: mode 0"), source.summary)
        XCTAssertEqual(BCDIPyNXLayout.reconstructions(in: path), [], "one entry: not an ensemble file")
    }

    func testSeveralReconstructionsInOneFileAreEntries() throws {
        let dir = try FormatsTempDirectory()
        let path = dir.file("ensemble.cxi")
        try writePyNX(path, shape: [4, 4, 4], modes: 1, entries: 3, seed: 2)
        let entries = BCDIPyNXLayout.reconstructions(in: path)
        XCTAssertEqual(entries, ["/entry_1/image_1/data", "/entry_2/image_1/data", "/entry_3/image_1/data"])
        for (e, dataset) in entries.enumerated() {
            let source = try BCDIVolumeSource(path: path, dataset: dataset)
            XCTAssertFalse(source.hasModesAxis)
            XCTAssertEqual(try source.readPlanes(0..<4).re, try expected(path, entry: e + 1).re, dataset)
        }
    }

    func testRunFilesGroupIntoEnsembles() {
        let names = ["S12_pynx_Run0002_LLK1.1.cxi", "S12_pynx_Run0010_LLK1.0.cxi", "S13_pynx_Run0001_LLK2.cxi", "S12_pynx_Run0001_LLK1.3.cxi"]
        XCTAssertEqual(BCDIPyNXLayout.runGroups(names), [
            .init(prefix: "S12_pynx_", members: ["S12_pynx_Run0001_LLK1.3.cxi", "S12_pynx_Run0002_LLK1.1.cxi", "S12_pynx_Run0010_LLK1.0.cxi"]),
            .init(prefix: "S13_pynx_", members: ["S13_pynx_Run0001_LLK2.cxi"]),
        ])
        XCTAssertNil(BCDIPyNXLayout.runGroups(["t1.cxi", "t2.cxi"]), "no run numbers: a plain series")
        XCTAssertNil(BCDIPyNXLayout.runGroups(["S1_Run01.cxi", "S2_Run01.cxi"]), "one run per scan: a plain series")
        XCTAssertNil(BCDIPyNXLayout.runGroups(["S1_Run01.cxi", "S1_Run02.cxi", "other.cxi"]), "a file without a run number")
    }
}
