import Coordinator
import Foundation
import Kernels
@testable import Kinds
import Shared
import SliplineTestSupport
import XCTest

/// Kind detection from the content for the detector and BCDI formats, what `describe` says,
/// and the PyNX ensemble layouts through the BCDI planner.
final class InputRecognitionTests: XCTestCase {
    private func findings(_ path: String, _ kind: any Kind) -> String {
        Kinds.findings(kind, path: path, params: [:]).joined(separator: "\n")
    }

    func testDetectorFilesAreStem4DAndSayWhatTheyHold() throws {
        let dir = try TestFiles.temporaryDirectory("recognise4d")
        let cube = STEM4DFixtures.cube(scan: 4, det: 16).map(UInt32.init)
        try MIBWriter.writeRAW(path: dir + "/raw.mib", side: 8, counterDepth: 12, quad: true, pixels: cube, scan: MIBScanShape(width: 4, height: 4))
        XCTAssertEqual(try Kinds.detect(dir + "/raw.mib").name, "stem4d")
        let mib = findings(dir + "/raw.mib", STEM4DKind())
        XCTAssertTrue(mib.contains("raw.mib: Merlin MIB RAW 12-bit, 2×2 quad of 8² chips, 16 frames: scan 4x4 (x×y), detector 16×16 from the .hdr"), mib)

        var writer = DMWriter(version: 4)
        writer.sampleType = .uint16
        try writer.write4D(path: dir + "/cube.dm4", scanRows: 4, scanCols: 4, detRows: 16, detCols: 16, values: cube.map(Double.init),
                           scanStepNm: 0.5, detectorScale: 0.02, detectorUnit: "1/nm")
        XCTAssertEqual(try Kinds.detect(dir + "/cube.dm4").name, "stem4d", "a 4D DM4 is not a TEM stack")
        let dm = findings(dir + "/cube.dm4", STEM4DKind())
        XCTAssertTrue(dm.contains("cube.dm4: DM4 4D uint16, scan 4x4, detector 16×16, scan axes fastest (Gatan 4D-STEM layout), scan step 0.5 nm, detector 0.02 1/nm/px"), dm)

        // A .mib without a .hdr needs the scan: the finding says so.
        try MIBWriter.writeRAW(path: dir + "/noscan.mib", side: 64, counterDepth: 1, quad: false, pixels: [UInt32](repeating: 1, count: 4 * 4096), writeHeaderFile: false)
        XCTAssertTrue(findings(dir + "/noscan.mib", STEM4DKind()).contains("--param scan=WxH"))
        XCTAssertTrue(Kinds.findings(STEM4DKind(), path: dir + "/noscan.mib", params: ["scan": "2x2"])[0].contains("scan 2x2"))
    }

    /// Several 4D HDF5 files: a per-angle rocking scan when every file stores its angle,
    /// otherwise ambiguous, and the message names `--kind nanodiff`.
    func testPerAngleDirectoriesAreNanodiffOnlyWhenTheContentSaysSo() throws {
        for withAngles in [true, false] {
            let dir = try TestFiles.temporaryDirectory("perangle")
            for a in 0..<3 {
                let file = try HDF5File.create(path: "\(dir)/angle_\(a).h5")
                try file.write([UInt16](repeating: UInt16(a), count: 2 * 3 * 8 * 8), shape: [2, 3, 8, 8], to: "/entry/data/data")
                if withAngles { try file.write([Double(a) * 0.01], shape: [1], to: "/entry/data/angle") }
                try file.close()
            }
            if withAngles {
                XCTAssertEqual(try Kinds.detect(dir).name, "nanodiff")
                XCTAssertTrue(findings(dir, NanodiffKind()).contains("3 HDF5 files of one 4D dataset each, scan 3x2, detector 8×8, a rocking angle in each"))
            } else {
                XCTAssertThrowsError(try Kinds.detect(dir)) { error in
                    let text = "\(error)"
                    XCTAssertTrue(text.contains("ambiguous") && text.contains("--kind stem4d|nanodiff") && text.contains("no rocking angle stored"), text)
                    XCTAssertFalse(text.contains("bcdi"), "real 4D counts are not a BCDI volume: \(text)")
                }
            }
        }
    }

    /// A flat directory of PyNX run files: one ensemble per scan prefix, a member per run;
    /// modes are noted.
    func testPyNXRunDirectoryIsAnEnsembleSeries() throws {
        let dir = try TestFiles.temporaryDirectory("pynxruns")
        let v = BCDIFixtures.volume(BCDIShape(nz: 8, ny: 8, nx: 8))
        let names = ["S7_pynx_Run0002_LLK1.2.cxi", "S7_pynx_Run0001_LLK1.1.cxi", "S8_pynx_Run0001_LLK1.0.cxi", "S8_pynx_Run0003_LLK1.4.cxi"]
        for name in names { try BCDIFixtures.writeCXI(v, to: "\(dir)/\(name)", modes: 2) }
        XCTAssertEqual(try Kinds.detect(dir).name, "bcdi")
        let plan = try KindHarness(BCDIKind(), input: dir, params: [:]).plan()
        XCTAssertEqual(plan.shards.map { ($0.file as NSString).lastPathComponent },
                       ["S7_pynx_Run0001_LLK1.1.cxi", "S7_pynx_Run0002_LLK1.2.cxi", "S8_pynx_Run0001_LLK1.0.cxi", "S8_pynx_Run0003_LLK1.4.cxi"])
        XCTAssertEqual(plan.shards.map(\.volumeIndex), [0, 0, 1, 1])
        XCTAssertEqual(plan.shards.map(\.member), [0, 1, 0, 1])
        XCTAssertTrue(plan.notes[0].contains("PyNX runs: 2 ensemble(s) of 2/2 run(s)"), plan.notes[0])
        XCTAssertTrue(plan.notes[0].contains("2 modes: mode 0 (the dominant"), plan.notes[0])
        let found = findings(dir, BCDIKind())
        XCTAssertTrue(found.contains("2 time step(s), ensembles of reconstructions (members: 2 each)"), found)
        XCTAssertTrue(found.contains("CXI complex volume 8×8×8 (x×y×z) at /entry_1/image_1/data"), found)
    }

    /// One CXI holding several reconstructions (`/entry_N/image_1/data`): one step, a member each.
    func testOneFileWithSeveralReconstructionsIsOneEnsemble() throws {
        let dir = try TestFiles.temporaryDirectory("pynxentries")
        let path = "\(dir)/modes.cxi"
        let file = try HDF5File.create(path: path)
        for e in 1...3 {
            let v = BCDIFixtures.volume(BCDIShape(nz: 6, ny: 6, nx: 6), seed: UInt64(e))
            try file.writeComplex(interleaved: BCDIFixtures.interleaved(v), shape: [6, 6, 6], to: "/entry_\(e)/image_1/data")
        }
        try file.close()
        let plan = try KindHarness(BCDIKind(), input: path, params: [:]).plan()
        XCTAssertEqual(plan.shards.map(\.member), [0, 1, 2])
        XCTAssertEqual(plan.shards.map(\.volumeIndex), [0, 0, 0])
        XCTAssertEqual(plan.shards.map(\.dataset), ["/entry_1/image_1/data", "/entry_2/image_1/data", "/entry_3/image_1/data"])
        XCTAssertTrue(findings(path, BCDIKind()).contains("3 reconstructions (/entry_N/image_1/data): one ensemble of 3 members"))
        // --param dataset= picks one of them: a single volume.
        XCTAssertEqual(try KindHarness(BCDIKind(), input: path, params: ["dataset": "/entry_2/image_1/data"]).plan().shards.map(\.member), [nil])
    }
}
