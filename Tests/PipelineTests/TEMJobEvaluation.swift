import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// What one TEM job stored and how it scored: `ctl eval tem`'s figures by name, the frames and
/// dislocation curves in `tem_frames` / `tem_dislocations` for the job.
struct TEMJobEvaluation {
    var figures: [String: Double]
    var frames: Int
    var curves: Int
}

/// Runs the frames under `data` as one TEM job through `ctl run` (two workers, `framesPerTask`
/// frames a shard, no overlays, results under a fresh directory named after `results`) on the
/// database at `url`, checks the job finished, then counts what it stored and scores it with
/// `ctl eval tem` against the synthetic truth beside the frames. `ctl` runs the real binary
/// with the calling test's environment.
func runAndEvaluateTEMJob(
    _ data: String, database url: String, framesPerTask: Int, params: [String], results: String,
    ctl: ([String]) throws -> (status: Int32, output: String),
    file: StaticString = #filePath, line: UInt = #line
) throws -> TEMJobEvaluation {
    let out = try TestFiles.temporaryDirectory(results)
    let run = try ctl(["run", data, "--database", url, "--workers", "2", "--param", "output_dir=\(out)",
                       "--param", "frames_per_task=\(framesPerTask)", "--param", "overlay_frames=0"]
                      + params.flatMap { ["--param", $0] })
    XCTAssertEqual(run.status, 0, run.output, file: file, line: line)
    XCTAssertTrue(run.output.hasSuffix(" done\n"), run.output, file: file, line: line)
    let job = try XCTUnwrap(SliplineTestSupport.jobId(fromRunOutput: run.output), file: file, line: line)
    let rows = try PGConnection(url).exec(
        "SELECT count(*), (SELECT count(*) FROM tem_dislocations WHERE job_id = $1) FROM tem_frames WHERE job_id = $1", [job])
    let eval = try ctl(["eval", "tem", "--truth", data, "--job", "\(job)", "--database", url])
    XCTAssertEqual(eval.status, 0, eval.output, file: file, line: line)
    return TEMJobEvaluation(figures: evalFigures(eval.output), frames: rows.int(0, 0) ?? -1, curves: rows.int(0, 1) ?? -1)
}
