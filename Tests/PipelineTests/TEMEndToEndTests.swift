import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The real `ctl` on small synthetic videos: synth → run → SQL → eval → export, and a video
/// with a corrupt frame that fails only its own task.
final class TEMEndToEndTests: XCTestCase {
    func ctl(_ args: [String], timeout: Double = 240) throws -> (status: Int32, output: String) {
        try CtlProcess.run(args, environment: ["SLIPLINE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("slipline-tem-home-\(getpid())").path], timeout: timeout)
    }

    func jobId(_ output: String) -> Int64? { SliplineTestSupport.jobId(fromRunOutput: output) }

    func testSynthRunQueryEvalExport() throws {
        let url = try TestCluster.freshDatabase("teme2e")
        let data = try TestFiles.temporaryDirectory("video")
        let out = try TestFiles.temporaryDirectory("results")
        let synth = try ctl(["synth", "tem", data, "--frames", "30", "--seed", "3", "--difficulty", "easy"])
        XCTAssertEqual(synth.status, 0, synth.output)
        let params = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: data + "/params.json"))) as? [String: Any]
        XCTAssertEqual(params?["seed"] as? Int, 3)
        XCTAssertEqual(params?["width"] as? Int, 256)

        let run = try ctl(["run", data, "--database", url, "--workers", "2", "--param", "output_dir=\(out)",
                           "--param", "frames_per_task=8", "--param", "pixel_size_nm=0.5"])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.hasSuffix(" done\n"), run.output)
        XCTAssertTrue(run.output.contains("params.json, truth.json"), "stray files are reported: \(run.output)")
        let job = try XCTUnwrap(jobId(run.output))

        let conn = try PGConnection(url)
        let frames = try conn.exec("SELECT count(*), min(frame_index), max(frame_index), count(DISTINCT frame_index), bool_and(frame_file LIKE '/%frame-000__.png') FROM tem_frames WHERE job_id = $1", [job])
        XCTAssertEqual(frames.int(0, 0), 30)
        XCTAssertEqual(frames.int(0, 1), 0)
        XCTAssertEqual(frames.int(0, 2), 29)
        XCTAssertEqual(frames.int(0, 3), 30)
        XCTAssertEqual(frames.bool(0, 4), true)
        let d = try conn.exec(
            """
            SELECT count(*), bool_and(jsonb_array_length(points) = 50), bool_and(jsonb_array_length(points -> 0) = 2),
                   count(track_id), min(length_px), bool_and(abs(length_nm - 0.5 * length_px) < 1e-9),
                   (SELECT sum(n_dislocations) FROM tem_frames WHERE job_id = $1)
            FROM tem_dislocations WHERE job_id = $1
            """, [job])
        let n = d.int(0, 0) ?? 0
        XCTAssertGreaterThanOrEqual(n, 30)
        XCTAssertEqual(d.bool(0, 1), true, "50 points per dislocation")
        XCTAssertEqual(d.bool(0, 2), true, "[x, y] points")
        XCTAssertGreaterThanOrEqual(d.int(0, 3) ?? 0, n * 9 / 10, "most curves are tracked")
        XCTAssertGreaterThan(d.double(0, 4) ?? 0, 20)
        XCTAssertEqual(d.bool(0, 5), true)
        XCTAssertEqual(d.int(0, 6), n, "n_dislocations matches the rows")
        let tracks = try conn.exec("SELECT count(*), max(n_frames), min(first_frame) FROM tem_tracks WHERE job_id = $1", [job])
        XCTAssertGreaterThanOrEqual(tracks.int(0, 0) ?? 0, 1)
        XCTAssertGreaterThanOrEqual(tracks.int(0, 1) ?? 0, 25, "a dislocation is followed through the video")
        let v = try conn.exec("SELECT count(*) FROM tem_velocities WHERE job_id = $1", [job])
        XCTAssertEqual(v.int(0, 0), d.int(0, 3))

        let report = try conn.exec("SELECT plot_file, overlay_files::text FROM tem_report_results WHERE job_id = $1", [job])
        let plot = try XCTUnwrap(report.string(0, 0))
        XCTAssertTrue(try String(contentsOfFile: plot, encoding: .utf8).hasPrefix("<svg"))
        let overlays = try JSONDecoder().decode([String].self, from: Data((report.string(0, 1) ?? "[]").utf8))
        XCTAssertEqual(overlays.count, 4)
        for file in overlays { XCTAssertEqual(try PNGHeader.read(path: file).colorType, .rgb) }

        let eval = try ctl(["eval", "tem", "--truth", data, "--job", "\(job)", "--database", url])
        XCTAssertEqual(eval.status, 0, eval.output)
        func figure(_ name: String) -> Double {
            let line = eval.output.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            return line.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
        }
        XCTAssertGreaterThanOrEqual(figure("F1"), 0.9, eval.output)
        XCTAssertGreaterThanOrEqual(figure("precision"), 0.9, eval.output)
        XCTAssertGreaterThanOrEqual(figure("recall"), 0.9, eval.output)
        XCTAssertGreaterThanOrEqual(figure("length"), 0.8, eval.output)
        XCTAssertGreaterThanOrEqual(figure("IDF1"), 0.8, eval.output)

        // The job's rows written out as a detections file score exactly the same.
        let rows = try conn.exec("SELECT frame_index, track_id, points::text FROM tem_dislocations WHERE job_id = $1 ORDER BY frame_index, dislocation_id", [job])
        var byFrame: [Int: [String]] = [:]
        for i in 0..<rows.rowCount {
            byFrame[rows.int(i, 0)!, default: []].append("{\"track_id\":\(rows.int64(i, 1).map(String.init) ?? "null"),\"points\":\(rows.string(i, 2)!)}")
        }
        let frameList = (0..<30).map { "{\"frame_index\":\($0),\"curves\":[\((byFrame[$0] ?? []).joined(separator: ","))]}" }
        let file = out + "/job-detections.json"
        try "{\"format\":\"slipline-tem-detections/1\",\"frames\":[\(frameList.joined(separator: ","))]}".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try ctl(["eval", "tem", "--truth", data, "--detections", file])
        XCTAssertEqual(fromFile.status, 0, fromFile.output)
        XCTAssertEqual(fromFile.output.split(separator: "\n").dropFirst(), eval.output.split(separator: "\n").dropFirst(), fromFile.output)

        let csv = try ctl(["export", "\(job)", "--format", "csv", "--database", url])
        XCTAssertEqual(csv.status, 0, csv.output)
        XCTAssertTrue(csv.output.hasPrefix("job_id,frame_index,frame_file,dislocation_id,track_id,length_px"), csv.output)
        XCTAssertEqual(csv.output.split(separator: "\n").count, n + 1)
        let json = try ctl(["export", "\(job)", "--format", "json", "--database", url])
        XCTAssertEqual(json.status, 0, json.output)
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        XCTAssertEqual((doc["frames"] as? [Any])?.count, 30)
        XCTAssertEqual((doc["dislocations"] as? [Any])?.count, n)
    }

    func testCorruptFrameFailsOnlyItsTaskAndIsNamed() throws {
        let url = try TestCluster.freshDatabase("temcorrupt")
        let data = try TestFiles.temporaryDirectory("corrupt")
        let out = try TestFiles.temporaryDirectory("results")
        let synth = try ctl(["synth", "tem", data, "--frames", "12", "--seed", "5", "--difficulty", "easy"])
        XCTAssertEqual(synth.status, 0, synth.output)
        // Frame 5 keeps a valid header (the planner passes it) but loses its pixel data.
        let bad = data + "/frame-00005.png"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bad))
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: bad))

        let run = try ctl(["run", data, "--database", url, "--workers", "2", "--max-attempts", "1",
                           "--param", "output_dir=\(out)", "--param", "frames_per_task=4"])
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.output.hasSuffix(" failed\n"), run.output)
        let job = try XCTUnwrap(jobId(run.output))
        let conn = try PGConnection(url)
        let tasks = try conn.exec("SELECT kind, state, error FROM tasks_overview WHERE job_id = $1 ORDER BY task_id", [job])
        let states = (0..<tasks.rowCount).map { "\(tasks.string($0, 0)!):\(tasks.string($0, 1)!)" }
        // The partial merge (one: 12 frames < partial_frames) salvages the dead range, then the final merge links.
        XCTAssertEqual(states, ["tem:done", "tem:dead", "tem:done", "tem.partial:done", "tem.merge:done"])
        XCTAssertTrue(tasks.string(1, 2)?.contains("frame 5: cannot read frame-00005.png") ?? false, tasks.string(1, 2) ?? "")
        // Only the corrupt frame is missing: the merge analysed the rest of its range.
        let frames = try conn.exec("SELECT array_agg(frame_index ORDER BY frame_index)::text FROM tem_frames WHERE job_id = $1", [job])
        XCTAssertEqual(frames.string(0, 0), "{0,1,2,3,4,6,7,8,9,10,11}")
        let tracked = try conn.exec("SELECT count(*) FROM tem_dislocations WHERE job_id = $1 AND track_id IS NOT NULL", [job])
        XCTAssertGreaterThan(tracked.int(0, 0) ?? 0, 0)

        let status = try ctl(["status", "\(job)", "--database", url])
        XCTAssertTrue(status.output.contains("frame-00005.png"), status.output)
        XCTAssertTrue(status.output.contains("job \(job) failed"), status.output)
    }

    /// An output directory no worker can write fails the job when it is planned, with a
    /// message naming it (it used to run every shard and then fail the merge three times).
    func testUnwritableOutputDirectoryFailsAtPlanning() throws {
        let url = try TestCluster.freshDatabase("temoutguard")
        let data = try TestFiles.temporaryDirectory("guardvideo")
        let synth = try ctl(["synth", "tem", data, "--frames", "3", "--seed", "1", "--difficulty", "easy"])
        XCTAssertEqual(synth.status, 0, synth.output)
        let run = try ctl(["run", data, "--database", url, "--workers", "1", "--param", "output_dir=/proc/x"])
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.output.contains("the output directory /proc/x cannot be written"), run.output)
        XCTAssertTrue(run.output.contains("--param output_dir=DIR"), run.output)
        XCTAssertTrue(run.output.hasSuffix(" failed\n"), run.output)
        let job = try XCTUnwrap(jobId(run.output))
        let tasks = try PGConnection(url).exec("SELECT count(*) FROM tasks WHERE job_id = $1", [job])
        XCTAssertEqual(tasks.int(0, 0), 0, "no task ran")
    }
}
