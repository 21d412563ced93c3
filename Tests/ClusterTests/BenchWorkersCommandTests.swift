import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// `ctl bench workers` (the 1,000-worker harness), small: 20 simulated workers with their own
/// connections against the test cluster; every task is run and recorded exactly once.
final class BenchWorkersCommandTests: XCTestCase {
    func testTwentySimulatedWorkersRunEveryTaskExactlyOnce() throws {
        let url = try TestCluster.freshDatabase("benchworkers")
        let (status, output) = try CtlProcess.run(
            ["bench", "workers", "--count", "20", "--task-seconds", "0.02", "--tasks", "300", "--stagger", "0.05",
             "--lease", "30", "--timeout", "60", "--database", url], timeout: 120)
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("lost 0, duplicated 0"), output)
        XCTAssertTrue(output.contains("300 tasks run"), output)

        // The same, asked independently of the harness.
        let conn = try PGConnection(url)
        XCTAssertEqual(try conn.exec("SELECT state, n_tasks, n_done FROM jobs").allRows(), [["done", "300", "300"]])
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks WHERE state = 'done' AND attempts = 1").int(0, 0), 300)
        XCTAssertEqual(try conn.exec("SELECT count(*), count(DISTINCT task_id), count(DISTINCT worker_id) > 1 FROM bench_results").allRows(),
                       [["300", "300", "t"]], "one results row per task, from more than one worker")
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM workers WHERE id LIKE 'sim-%' AND state = 'stopped'").int(0, 0), 20)
    }

    func testALeaseShorterThanTwoTasksIsRefused() throws {
        let (status, output) = try CtlProcess.run(["bench", "workers", "--count", "2", "--task-seconds", "1", "--lease", "1.5",
                                                   "--database", "host=/nonexistent dbname=x"])
        XCTAssertEqual(status, 64, output)
        XCTAssertTrue(output.contains("--lease must exceed twice --task-seconds"), output)
    }
}
