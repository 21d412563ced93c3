import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The real `ctl`: synth a two-scan series → run (kind detected) → views → eval.
final class NanodiffEndToEndTests: XCTestCase {
    func ctl(_ args: [String], timeout: Double = 300) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, environment: ["SLIPLINE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("slipline-nanodiff-home-\(getpid())").path], timeout: timeout)
    }

    func testSynthSeriesRunViewsEval() throws {
        let url = try TestCluster.freshDatabase("nanodiffe2e")
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-nanodiff-\(UUID().uuidString.prefix(8))").path
        let data = base + "/synth", out = base + "/results"
        let synth = try ctl(["synth", "nanodiff", data, "--rows", "12", "--cols", "12", "--detector", "24", "--scans", "2", "--seed", "5"])
        XCTAssertEqual(synth.status, 0, synth.output)

        let run = try ctl(["run", data, "--database", url, "--workers", "2", "--param", "output_dir=\(out)", "--param", "rows_per_shard=6"])
        XCTAssertEqual(run.status, 0, run.output)
        let last = run.output.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("job ") && last.hasSuffix(" done"), run.output)
        let job = Int64(last.split(separator: " ")[1])!

        let conn = try PGConnection(url)
        func columns(_ view: String) throws -> [String] {
            let r = try conn.exec("SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", [view])
            return (0..<r.rowCount).compactMap { r.string($0, 0) }
        }
        XCTAssertEqual(Array(try columns("nanodiff_maps").prefix(4)), ["job_id", "scan_index", "name", "file"])
        XCTAssertEqual(Array(try columns("nanodiff_points").prefix(8)), ["job_id", "scan_index", "x", "y", "strain", "tilt_x", "tilt_y", "cluster"])
        XCTAssertEqual(Array(try columns("nanodiff_defects").prefix(7)), ["job_id", "scan_index", "defect_id", "kind", "x", "y", "track_id"])
        let points = try conn.exec("SELECT scan_index, count(*), count(strain), count(DISTINCT cluster) FROM nanodiff_points WHERE job_id = $1 GROUP BY scan_index ORDER BY scan_index", [job])
        XCTAssertEqual(points.rowCount, 2)
        XCTAssertEqual(points.int(0, 1), 144)
        XCTAssertEqual(points.int(0, 2), 144)
        XCTAssertGreaterThanOrEqual(points.int(0, 3) ?? 0, 2)
        let maps = try conn.exec("SELECT file, png_file FROM nanodiff_maps WHERE job_id = $1 AND name = 'strain'", [job])
        XCTAssertEqual(maps.rowCount, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: maps.string(0, 0)!) && FileManager.default.fileExists(atPath: maps.string(0, 1)!))
        // The dislocations glide between the scans and keep their tracks.
        let tracks = try conn.exec("SELECT count(*) FROM (SELECT track_id FROM nanodiff_defects WHERE job_id = $1 AND kind = 'dislocation' GROUP BY track_id HAVING count(DISTINCT scan_index) = 2) t", [job])
        XCTAssertEqual(tracks.int(0, 0), 3, "three dislocations tracked through both scans")
        let reader = try ctl(["sql", "SELECT count(*) FROM nanodiff_defects WHERE job_id = \(job)", "--database", url])
        XCTAssertEqual(reader.status, 0, reader.output)

        let eval = try ctl(["eval", "nanodiff", "--truth", data, "--job", "\(job)", "--database", url])
        XCTAssertEqual(eval.status, 0, eval.output)
        func figure(_ name: String) -> Double {
            let line = eval.output.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            return line.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
        }
        XCTAssertEqual(figure("recall"), 1, eval.output)
        XCTAssertGreaterThanOrEqual(figure("strain_rms"), 0, eval.output)
        XCTAssertLessThan(figure("strain_rms"), 1e-4, eval.output)
        XCTAssertLessThan(figure("tilt_rms"), 1e-4, eval.output)
    }
}
