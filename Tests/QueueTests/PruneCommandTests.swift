import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// `ctl db prune` and `ctl status JOB`'s attempts line, through the real binary.
final class PruneCommandTests: XCTestCase {
    func testPruneDeletesAnEndedJobsTasksKeepsItsResultsAndRefusesABadAge() throws {
        let url = try TestCluster.freshDatabase("prune")
        let (status, output) = try CtlProcess.run(["run", "demo", "--kind", "bench", "--param", "tasks=20", "--workers", "1", "--database", url])
        XCTAssertEqual(status, 0, output)
        let (s1, st) = try CtlProcess.run(["status", "1", "--database", url])
        XCTAssertEqual(s1, 0, st)
        XCTAssertTrue(st.contains("attempts: 0 error(s); 0 lost lease(s) (at most 0 on one task, budget 10 per task)"), st)

        let (s2, kept) = try CtlProcess.run(["db", "prune", "--older-than", "1h", "--database", url])
        XCTAssertEqual(s2, 0, kept)
        XCTAssertTrue(kept.contains("pruned 0 task(s)"), kept)
        let (s3, pruned) = try CtlProcess.run(["db", "prune", "--older-than", "0", "--batch", "7", "--database", url])
        XCTAssertEqual(s3, 0, pruned)
        XCTAssertTrue(pruned.contains("pruned 21 task(s)"), pruned)
        let conn = try PGConnection(url)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks").int(0, 0), 0)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM bench_results WHERE job_id = 1").int(0, 0), 20, "results stay")
        XCTAssertEqual(try conn.exec("SELECT state, n_done, pruned_at IS NOT NULL FROM jobs WHERE id = 1").allRows(), [["done", "21", "t"]])

        // A retry of a pruned job says so (it used to say "still running").
        let (s5, retry) = try CtlProcess.run(["retry", "1", "--database", url])
        XCTAssertNotEqual(s5, 0, retry)
        XCTAssertTrue(retry.contains("job 1 cannot be retried: its finished tasks were pruned on"), retry)
        XCTAssertFalse(retry.contains("still"), retry)

        let (s4, bad) = try CtlProcess.run(["db", "prune", "--older-than", "3x", "--database", url])
        XCTAssertEqual(s4, 64, bad)
        XCTAssertTrue(bad.contains("--older-than 3x is not an age: give seconds or a number with s, m, h or d"), bad)
    }
}
