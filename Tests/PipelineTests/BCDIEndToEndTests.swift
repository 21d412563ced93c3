import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The real `ctl`: synth → run → SQL → eval → export, and a series with broken files.
final class BCDIEndToEndTests: XCTestCase {
    func ctl(_ args: [String], timeout: Double = 240) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, environment: ["SLIPLINE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("slipline-bcdi-home-\(getpid())").path], timeout: timeout)
    }

    func testSynthRunQueryEvalExport() throws {
        let url = try TestCluster.freshDatabase("bcdie2e")
        let data = try BCDIFixtures.temporaryDirectory("synth")
        let out = try BCDIFixtures.temporaryDirectory("results")
        let synth = try ctl(["synth", "bcdi", data, "--size", "40", "--volumes", "2", "--seed", "3"])
        XCTAssertEqual(synth.status, 0, synth.output)

        let run = try ctl(["run", data, "--database", url, "--workers", "2", "--param", "output_dir=\(out)", "--param", "slab_planes=16", "--param", "voxel_size_nm=5"])
        XCTAssertEqual(run.status, 0, run.output)
        let last = run.output.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("job ") && last.hasSuffix(" done"), run.output)
        let job = Int64(last.split(separator: " ")[1])!

        let conn = try PGConnection(url)
        let volumes = try conn.exec("SELECT volume_index, volume_file, psi_file, shape::text, n_unmasked, max_psi FROM bcdi_volumes WHERE job_id = $1 ORDER BY volume_index", [job])
        XCTAssertEqual(volumes.rowCount, 2)
        for row in 0..<volumes.rowCount {
            XCTAssertEqual(volumes.int(row, 0), row)
            XCTAssertTrue(volumes.string(row, 1)!.hasPrefix(data + "/vol-"), volumes.string(row, 1)!)
            XCTAssertEqual(volumes.string(row, 3), "[40, 40, 40]")
            XCTAssertGreaterThan(volumes.int64(row, 4) ?? 0, 10_000)
            XCTAssertGreaterThan(volumes.double(row, 5) ?? 0, 4)
            let psiFile = volumes.string(row, 2)!
            XCTAssertTrue(psiFile.hasPrefix("/") && FileManager.default.fileExists(atPath: psiFile), psiFile)
            let psi = try HDF5File.open(path: psiFile).dataset("/psi")
            XCTAssertEqual(psi.shape, [40, 40, 40])
            XCTAssertEqual(psi.elementType, .float32)
        }
        // The views start with exactly the columns INTERFACE.md lists.
        func columns(_ view: String) throws -> [String] {
            let r = try conn.exec("SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", [view])
            return (0..<r.rowCount).compactMap { r.string($0, 0) }
        }
        XCTAssertEqual(Array(try columns("bcdi_volumes").prefix(7)), [
            "job_id bigint", "volume_index integer", "volume_file text", "psi_file text", "shape jsonb",
            "n_unmasked bigint", "max_psi double precision"])
        XCTAssertEqual(Array(try columns("bcdi_lines").prefix(7)), [
            "job_id bigint", "volume_index integer", "volume_file text", "line_id integer", "track_id bigint",
            "points jsonb", "length_vox double precision"])
        let lines = try conn.exec("SELECT count(*), count(DISTINCT track_id), min(length_vox), bool_and(jsonb_array_length(points) >= 2), bool_and(length_nm = 5 * length_vox) FROM bcdi_lines WHERE job_id = $1", [job])
        XCTAssertGreaterThanOrEqual(lines.int(0, 0) ?? 0, 6)
        XCTAssertEqual(lines.int(0, 1), 3, "the three lines are tracked through both volumes")
        XCTAssertEqual(lines.bool(0, 3), true)
        XCTAssertEqual(lines.bool(0, 4), true)
        let tracks = try conn.exec("SELECT count(*) FROM bcdi_tracks WHERE job_id = $1 AND n_volumes = 2", [job])
        XCTAssertEqual(tracks.int(0, 0), 3)
        // Migration 13: a plain series has one member per volume and no ensemble confidence.
        let ensemble = try conn.exec("SELECT bool_and(n_members = 1), (SELECT bool_and(confidence IS NULL AND n_agreeing IS NULL) FROM bcdi_lines WHERE job_id = $1) FROM bcdi_volumes WHERE job_id = $1", [job])
        XCTAssertEqual(ensemble.bool(0, 0), true)
        XCTAssertEqual(ensemble.bool(0, 1), true)

        let eval = try ctl(["eval", "bcdi", "--truth", data, "--job", "\(job)", "--database", url])
        XCTAssertEqual(eval.status, 0, eval.output)
        func figure(_ name: String) -> Double {
            let line = eval.output.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            return line.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
        }
        XCTAssertGreaterThanOrEqual(figure("recall"), 0.95, eval.output)
        XCTAssertGreaterThanOrEqual(figure("precision"), 0.95, eval.output)

        let vtkPath = out + "/all.vtk"
        let export = try ctl(["export", "\(job)", "--format", "vtk", "--out", vtkPath, "--database", url])
        XCTAssertEqual(export.status, 0, export.output)
        let vtk = try String(contentsOfFile: vtkPath, encoding: .utf8)
        XCTAssertTrue(vtk.hasPrefix("# vtk DataFile Version 3.0\n") && vtk.contains("DATASET POLYDATA") && vtk.contains("SCALARS track_id int 1"))
        let csv = try ctl(["export", "\(job)", "--format", "csv", "--database", url])
        XCTAssertEqual(csv.status, 0, csv.output)
        XCTAssertTrue(csv.output.hasPrefix("job_id,volume_index,volume_file,line_id,track_id"), csv.output)
        let json = try ctl(["export", "\(job)", "--database", url])
        XCTAssertEqual(json.status, 0, json.output)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(json.output.utf8)))
    }

    /// A directory per time step, two reconstructions in each: one volume row per step with
    /// `n_members` 2, lines with their confidence.
    func testEnsembleSeriesThroughCtl() throws {
        let url = try TestCluster.freshDatabase("bcdiensemble")
        let data = try BCDIFixtures.temporaryDirectory("ensemble")
        let out = try BCDIFixtures.temporaryDirectory("results")
        for step in ["step1", "step2"] {
            try FileManager.default.createDirectory(atPath: "\(data)/\(step)", withIntermediateDirectories: true)
            try BCDIFixtures.writeCXI(BCDIFixtures.volume(.init(nz: 28, ny: 28, nx: 28), seed: 1), to: "\(data)/\(step)/a.cxi")
            try BCDIFixtures.writeCXI(BCDIFixtures.volume(.init(nz: 28, ny: 28, nx: 28), seed: 2), to: "\(data)/\(step)/b.cxi")
        }
        // No --kind: an ensemble directory is recognised by its step directories.
        let run = try ctl(["run", data, "--database", url, "--workers", "2", "--param", "output_dir=\(out)"])
        XCTAssertEqual(run.status, 0, run.output)
        let job = Int64(run.output.split(separator: "\n").last!.split(separator: " ")[1])!
        let conn = try PGConnection(url)
        let volumes = try conn.exec("SELECT volume_index, n_members, volume_file FROM bcdi_volumes WHERE job_id = $1 ORDER BY volume_index", [job])
        XCTAssertEqual(volumes.rowCount, 2)
        XCTAssertEqual(volumes.int(0, 1), 2)
        XCTAssertEqual(volumes.string(1, 2), data + "/step2")
        let lines = try conn.exec("SELECT count(*), min(confidence), max(n_agreeing) FROM bcdi_lines WHERE job_id = $1", [job])
        XCTAssertGreaterThanOrEqual(lines.int(0, 0) ?? 0, 4)
        XCTAssertGreaterThan(lines.double(0, 1) ?? 0, 0.9, "both noisy copies hold every line")
        XCTAssertEqual(lines.int(0, 2), 2)
    }

    func testBrokenFilesInASeriesFailOnlyTheirTasks() throws {
        let url = try TestCluster.freshDatabase("bcdibroken")
        let data = try BCDIFixtures.temporaryDirectory("broken")
        let out = try BCDIFixtures.temporaryDirectory("results")
        var v = BCDIFixtures.volume(.init(nz: 24, ny: 24, nx: 24))
        try BCDIFixtures.writeCXI(v, to: data + "/t0.cxi")
        try BCDIFixtures.writeCXI(v, to: data + "/t3.cxi")
        v.im[100] = .infinity
        try BCDIFixtures.writeCXI(v, to: data + "/t1.cxi")
        try Data("this is not HDF5".utf8).write(to: URL(fileURLWithPath: data + "/t2.cxi"))

        let run = try ctl(["run", data, "--kind", "bcdi", "--database", url, "--workers", "2", "--max-attempts", "1", "--param", "output_dir=\(out)"])
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.output.hasSuffix(" failed\n"), run.output)
        let job = run.output.split(separator: "\n").last!.split(separator: " ")[1]
        let conn = try PGConnection(url)
        let volumes = try conn.exec("SELECT array_agg(volume_index ORDER BY volume_index)::text FROM bcdi_volumes WHERE job_id = $1", [Int64(job)!])
        XCTAssertEqual(volumes.string(0, 0), "{0,3}")

        let status = try ctl(["status", String(job), "--database", url])
        XCTAssertTrue(status.output.contains("t1.cxi dataset /entry_1/image_1/data: holds Inf"), status.output)
        XCTAssertTrue(status.output.contains("t2.cxi"), status.output)
        XCTAssertTrue(status.output.contains("job \(job) failed"), status.output)
    }
}
