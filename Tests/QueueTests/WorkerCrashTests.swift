import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// Real worker processes, really killed.
final class WorkerCrashTests: XCTestCase {
    func testKilledWorkersTasksAreFinishedElsewhereExactlyOnce() throws {
        let url = try TestCluster.freshDatabase("kill")
        let conn = try PGConnection(url)
        let job = try submitBench(conn, tasks: 8, sleepMs: 1500)
        let coordinator = try CtlProcess(["coordinator", "--database", url, "--log-level", "warning"])
        defer { coordinator.signal(SIGTERM); coordinator.wait(timeout: 10) }
        let victim = try CtlProcess(["worker", "--database", url, "--slots", "2", "--lease", "2", "--poll", "0.2"])
        // Wait until the victim is mid-task, then kill it without warning.
        XCTAssertTrue(try eventually(timeout: 30) {
            try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND state = 'leased'", [job]).int(0, 0) == 2
        }, victim.output)
        let killedTasks = try conn.exec("SELECT id FROM tasks WHERE job_id = $1 AND state = 'leased'", [job]).allRows()
        victim.signal(SIGKILL)
        XCTAssertNotNil(victim.wait(timeout: 10))

        let rescuer = try CtlProcess(["worker", "--database", url, "--slots", "2", "--lease", "2", "--poll", "0.2"])
        defer { rescuer.signal(SIGTERM); rescuer.wait(timeout: 15) }
        let record = try waitForJob(conn, job, timeout: 90)
        XCTAssertEqual(record.state, .done, rescuer.output + coordinator.output)
        let r = try conn.exec("SELECT count(*), count(DISTINCT item) FROM bench_results WHERE job_id = $1", [job])
        XCTAssertEqual(r.int(0, 0), 8, "every item has a result …")
        XCTAssertEqual(r.int(0, 1), 8, "… exactly once")
        for row in killedTasks {
            let attempts = try conn.exec("SELECT t.attempts, b.attempt FROM tasks t JOIN bench_results b ON b.task_id = t.id WHERE t.id = $1::bigint", [row[0]!])
            XCTAssertEqual(attempts.int(0, 0), 2, "the killed attempt counts, the second one finished it")
            XCTAssertEqual(attempts.int(0, 1), 2)
        }
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks WHERE state = 'leased'").int(0, 0), 0)
    }

    func testSigtermReleasesHeldTasksAndStopsPromptly() throws {
        let url = try TestCluster.freshDatabase("term")
        let conn = try PGConnection(url)
        let job = try submitBench(conn, tasks: 4, sleepMs: 20_000, merge: false)
        try planAll(conn)
        let worker = try CtlProcess(["worker", "--database", url, "--slots", "2", "--shutdown-grace", "0.5", "--poll", "0.2"])
        XCTAssertTrue(try eventually(timeout: 30) {
            try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND state = 'leased'", [job]).int(0, 0) == 2
        }, worker.output)
        let start = Date()
        worker.signal(SIGTERM)
        XCTAssertEqual(worker.wait(timeout: 15), 0, worker.output)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "shutdown must honour the grace period, not the 20 s tasks")
        let states = try conn.exec("SELECT state, attempts FROM tasks WHERE job_id = $1 ORDER BY id", [job]).allRows()
        XCTAssertEqual(states, Array(repeating: ["queued", "0"], count: 4), "held tasks go back without using an attempt")
        XCTAssertEqual(try conn.exec("SELECT state FROM workers").allRows(), [["stopped"]])
    }
}
