import Foundation
import Kernels
import Shared
import SliplineTestSupport
import XCTest

/// The real `ctl`: synth → run → SQL views → `/image` against a naive sum → eval → export;
/// and a cube with a NaN that fails its shard with the file name in `ctl status`.
final class STEM4DEndToEndTests: XCTestCase {
    func ctl(_ args: [String], timeout: Double = 300) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, environment: ["SLIPLINE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("slipline-stem4d-home-\(getpid())").path], timeout: timeout)
    }

    func jobId(_ output: String) -> Int64? { SliplineTestSupport.jobId(fromRunOutput: output) }

    func testParticlesJobEndToEnd() throws {
        let url = try TestCluster.freshDatabase("stem4de2e")
        let data = try STEM4DFixtures.temporaryDirectory("synth")
        let out = try STEM4DFixtures.temporaryDirectory("results")
        let synth = try ctl(["synth", "stem4d", data, "--scan", "32", "--count", "3", "--seed", "2"])
        XCTAssertEqual(synth.status, 0, synth.output)
        let cube = data + "/cube.h5"

        let run = try ctl(["run", cube, "--database", url, "--workers", "2", "--param", "output_dir=\(out)",
                           "--param", "mode=particles", "--param", "convergence_mrad=100", "--param", "rows_per_task=8"])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.hasSuffix(" done\n") || run.output.split(separator: "\n").last?.hasSuffix(" done") == true, run.output)
        let job = try XCTUnwrap(jobId(run.output), run.output)

        let conn = try PGConnection(url)
        func columns(_ view: String) throws -> [String] {
            let r = try conn.exec("SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", [view])
            return (0..<r.rowCount).compactMap { r.string($0, 0) }
        }
        XCTAssertEqual(Array(try columns("stem4d_virtual_images").prefix(4)), ["job_id bigint", "name text", "file text", "detector jsonb"])
        XCTAssertEqual(Array(try columns("stem4d_lines3d").prefix(3)), ["job_id bigint", "line_id integer", "points jsonb"])
        XCTAssertEqual(Array(try columns("stem4d_particles").prefix(6)), [
            "job_id bigint", "particle_id integer", "x double precision", "y double precision", "z double precision",
            "radius double precision"])
        XCTAssertEqual(Array(try columns("stem4d_rdf").prefix(3)), ["job_id bigint", "r double precision", "g double precision"])

        // Every virtual image: absolute paths, float32 /image (32, 32) equal to the naive sum.
        let images = try conn.exec("SELECT name, file, detector::text FROM stem4d_virtual_images WHERE job_id = $1 ORDER BY name", [job])
        // bf, adf, 4 quadrants and two stereo pairs (particles default to four views).
        XCTAssertEqual(images.rowCount, 10)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM stem4d_virtual_images WHERE job_id = $1 AND name LIKE 'stereo1_%'", [job]).int(0, 0), 2)
        let source = try HDF5File.open(path: cube)
        let raw = try source.dataset("/data").read(UInt16.self)
        let det = STEM4DDetectorShape(rows: 32, cols: 32)
        for row in 0..<images.rowCount {
            let name = images.string(row, 0)!, file = images.string(row, 1)!
            XCTAssertTrue(file.hasPrefix("/") && FileManager.default.fileExists(atPath: file), file)
            XCTAssertTrue(FileManager.default.fileExists(atPath: file.replacingOccurrences(of: ".h5", with: ".png")))
            let geometry = try JSONDecoder().decode(STEM4DDetectorGeometry.self, from: Data(images.string(row, 2)!.utf8))
            let mask = geometry.rasterise(det)
            let dataset = try HDF5File.open(path: file).dataset("/image")
            XCTAssertEqual(dataset.shape, [32, 32])
            XCTAssertEqual(dataset.elementType, .float32)
            let image = try dataset.read(Float.self)
            for f in stride(from: 0, to: 32 * 32, by: 7) {
                var sum = 0.0
                for p in 0..<det.pixels { sum += Double(mask[p]) * Double(raw[f * det.pixels + p]) }
                XCTAssertEqual(Double(image[f]), sum, accuracy: 1e-4 * max(1, sum), "\(name) frame \(f)")
            }
        }
        let bf = try conn.exec("SELECT detector->>'shape', (detector->>'r')::float FROM stem4d_virtual_images WHERE job_id = $1 AND name = 'bf'", [job])
        XCTAssertEqual(bf.string(0, 0), "circle")
        XCTAssertEqual(bf.double(0, 1) ?? 0, 12, accuracy: 0.5)

        let particles = try conn.exec("SELECT count(*) FROM stem4d_particles WHERE job_id = $1", [job])
        XCTAssertGreaterThanOrEqual(particles.int(0, 0) ?? 0, 2)
        let summary = try conn.exec("SELECT report_file, stereo_angle_deg FROM stem4d_summary WHERE job_id = $1", [job])
        XCTAssertTrue(FileManager.default.fileExists(atPath: summary.string(0, 0) ?? "/nonexistent"))
        XCTAssertEqual(summary.double(0, 1) ?? 0, 8, accuracy: 1e-6)

        let eval = try ctl(["eval", "stem4d", "--truth", data, "--job", "\(job)", "--database", url])
        XCTAssertEqual(eval.status, 0, eval.output)
        XCTAssertTrue(eval.output.contains("recall "), eval.output)
        let json = try ctl(["export", "\(job)", "--database", url])
        XCTAssertEqual(json.status, 0, json.output)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(json.output.utf8)))
    }

    func testDislocationsJobFromMIB() throws {
        let url = try TestCluster.freshDatabase("stem4dlines")
        let data = try STEM4DFixtures.temporaryDirectory("lines")
        let out = try STEM4DFixtures.temporaryDirectory("linesout")
        let synth = try ctl(["synth", "stem4d", data, "--mode", "dislocations", "--format", "mib", "--scan", "64", "--seed", "3"])
        XCTAssertEqual(synth.status, 0, synth.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/cube.hdr"))
        let run = try ctl(["run", data + "/cube.mib", "--database", url, "--workers", "2", "--param", "output_dir=\(out)",
                           "--param", "mode=dislocations", "--param", "rows_per_task=16"])
        XCTAssertEqual(run.status, 0, run.output)
        let job = try XCTUnwrap(jobId(run.output), run.output)
        let conn = try PGConnection(url)
        let lines = try conn.exec("SELECT count(*), bool_and(jsonb_array_length(points) >= 2), bool_and(jsonb_array_length(points->0) = 3), max(reprojection_rms) FROM stem4d_lines3d WHERE job_id = $1", [job])
        XCTAssertGreaterThanOrEqual(lines.int(0, 0) ?? 0, 2)
        XCTAssertEqual(lines.bool(0, 1), true)
        XCTAssertEqual(lines.bool(0, 2), true)
        XCTAssertLessThan(lines.double(0, 3) ?? 99, 2)
        let eval = try ctl(["eval", "stem4d", "--truth", data, "--job", "\(job)", "--database", url])
        XCTAssertEqual(eval.status, 0, eval.output)
        let depth = eval.output.split(separator: "\n").first { $0.hasPrefix("median depth error ") }
            .flatMap { Double($0.split(separator: " ")[3]) } ?? 99
        XCTAssertLessThanOrEqual(depth, 2, eval.output)
    }

    func testNaNInOneBlockFailsItsShardWithTheFileName() throws {
        let url = try TestCluster.freshDatabase("stem4dnan")
        let data = try STEM4DFixtures.temporaryDirectory("nan")
        let out = try STEM4DFixtures.temporaryDirectory("nanout")
        let scan = 16, det = 16
        var cube = STEM4DFixtures.cube(scan: scan, det: det).map { Float($0) }
        // Row 5 is not in the planner's calibration sample (rows 0, 2, 4, 6, 8, 10, 12, 15).
        cube[(5 * scan + 3) * det * det + 17] = .nan
        try NPYWriter.write(cube, shape: [scan, scan, det, det], to: "\(data)/broken.npy")
        let run = try ctl(["run", "\(data)/broken.npy", "--database", url, "--workers", "2", "--param", "output_dir=\(out)",
                           "--param", "rows_per_task=4"])
        XCTAssertEqual(run.status, 1, run.output)
        let job = try XCTUnwrap(jobId(run.output), run.output)
        let status = try ctl(["status", String(job), "--database", url])
        XCTAssertTrue(status.output.contains("broken.npy") && status.output.contains("nan"), status.output)
        XCTAssertTrue(status.output.contains("job \(job) failed"), status.output)
    }
}
