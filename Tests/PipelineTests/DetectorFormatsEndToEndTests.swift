import Foundation
import Kernels
import Shared
import SliplineTestSupport
import XCTest

/// The real `ctl` on detector and BCDI instrument layouts: it detects the kind from the
/// content, says what it found, and runs the job (Merlin RAW quad, Gatan 4D DM4), or asks for
/// `--kind` when the content does not settle it.
final class DetectorFormatsEndToEndTests: XCTestCase {
    func ctl(_ args: [String], timeout: Double = 300) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, environment: ["SLIPLINE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("slipline-detfmt-home-\(getpid())").path], timeout: timeout)
    }

    func testRawQuadMIBAndGatanDM4RunAndSayWhatTheyAre() throws {
        let url = try TestCluster.freshDatabase("detfmt")
        let dir = try STEM4DFixtures.temporaryDirectory("detfmt")
        let (scan, det) = (8, 32)
        let cube = STEM4DFixtures.cube(scan: scan, det: det)
        try MIBWriter.writeRAW(path: dir + "/scan.mib", side: det / 2, counterDepth: 12, quad: true, pixels: cube.map(UInt32.init),
                               scan: MIBScanShape(width: scan, height: scan))
        var writer = DMWriter(version: 4)
        writer.sampleType = .uint16
        try writer.write4D(path: dir + "/scan.dm4", scanRows: scan, scanCols: scan, detRows: det, detCols: det, values: cube.map(Double.init),
                           scanStepNm: 1.5, detectorScale: 0.1, detectorUnit: "mrad")
        let expected = [
            "scan.mib": "found scan.mib: Merlin MIB RAW 12-bit, 2×2 quad of 16² chips, 64 frames: scan 8x8 (x×y), detector 32×32 from the .hdr, counts widened to uint32",
            "scan.dm4": "found scan.dm4: DM4 4D uint16, scan 8x8, detector 32×32, scan axes fastest (Gatan 4D-STEM layout), scan step 1.5 nm, detector 0.1 mrad/px",
        ]
        for (name, found) in expected.sorted(by: { $0.key < $1.key }) {
            let out = try STEM4DFixtures.temporaryDirectory("detfmt-out")
            let run = try ctl(["run", dir + "/" + name, "--database", url, "--workers", "2", "--param", "output_dir=\(out)", "--param", "mode=images"])
            XCTAssertEqual(run.status, 0, run.output)
            let lines = run.output.split(separator: "\n").map(String.init)
            XCTAssertTrue(lines.contains("detected kind stem4d from the content of \(dir)/\(name)"), run.output)
            XCTAssertTrue(lines.contains(found), run.output)
            XCTAssertTrue(run.output.contains("note: found \(found.dropFirst(6 + name.count + 2))"), "the job's note repeats it: \(run.output)")
            XCTAssertTrue(lines.last?.hasSuffix(" done") == true, run.output)
        }
    }

    func testEnsemblesAreDescribedAndAmbiguousDirectoriesAskForTheKind() throws {
        let url = try TestCluster.freshDatabase("detfmtsubmit")
        let runs = try BCDIFixtures.temporaryDirectory("pynx")
        let v = BCDIFixtures.volume(BCDIShape(nz: 8, ny: 8, nx: 8))
        for run in 1...3 { try BCDIFixtures.writeCXI(v, to: "\(runs)/S3_pynx_Run000\(run)_LLK1.\(run).cxi", modes: 3) }
        let submit = try ctl(["submit", runs, "--database", url])
        XCTAssertEqual(submit.status, 0, submit.output)
        XCTAssertTrue(submit.output.contains("detected kind bcdi from the content of \(runs)"), submit.output)
        XCTAssertTrue(submit.output.contains("found S3_pynx_Run0001_LLK1.1.cxi: CXI complex volume 8×8×8 (x×y×z) at /entry_1/image_1/data"), submit.output)
        XCTAssertTrue(submit.output.contains("3 modes: mode 0 (the dominant; PyNX orders modes by weight) is used"), submit.output)
        XCTAssertTrue(submit.output.contains("1 time step(s), ensembles of reconstructions (members: 3 each)"), submit.output)
        XCTAssertTrue(submit.output.contains("found PyNX runs: 1 ensemble(s) of 3 run(s) (S3_pynx_Run*)"), submit.output)
        XCTAssertEqual(submit.output.split(separator: "\n").last, "job 1 queued")

        let angles = try BCDIFixtures.temporaryDirectory("angles")
        for a in 0..<2 {
            let file = try HDF5File.create(path: "\(angles)/a\(a).h5")
            try file.write([UInt16](repeating: 1, count: 2 * 2 * 4 * 4), shape: [2, 2, 4, 4], to: "/entry/data/data")
            try file.close()
        }
        let ambiguous = try ctl(["submit", angles, "--database", url])
        XCTAssertNotEqual(ambiguous.status, 0, ambiguous.output)
        XCTAssertTrue(ambiguous.output.contains("--kind stem4d|nanodiff") && ambiguous.output.contains("pass --kind nanodiff (with --param angles=…)"), ambiguous.output)
    }
}
