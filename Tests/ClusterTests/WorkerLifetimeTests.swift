import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// `ctl worker --lifetime S` (what `ctl scale --slurm` relies on): the worker stops claiming
/// after S seconds even while every slot is busy, gives running tasks --shutdown-grace seconds,
/// releases what is left without using an attempt, and exits 0 before a batch system kills it.
final class WorkerLifetimeTests: XCTestCase {
    func testBusyWorkerReleasesItsTasksWhenItsLifetimeEnds() throws {
        let url = try TestCluster.freshDatabase("lifetime")
        let conn = try PGConnection(url)
        let job = try ClusterJobs.submitBench(conn, tasks: 4, sleepMs: 30_000, merge: false)
        let coordinator = try CtlProcess(["coordinator", "--database", url, "--log-level", "warning"])
        defer { coordinator.signal(SIGTERM); coordinator.wait(timeout: 10) }
        let start = Date()
        let worker = try CtlProcess(["worker", "--database", url, "--slots", "2", "--lifetime", "3", "--shutdown-grace", "1", "--poll", "0.3"])
        defer { worker.signal(SIGKILL) }
        XCTAssertTrue(try eventually(timeout: 30) {
            try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND state = 'leased'", [job]).int(0, 0) == 2
        }, worker.output)
        XCTAssertEqual(worker.wait(timeout: 30), 0, "the worker leaves on its own: \(worker.output)")
        XCTAssertLessThan(Date().timeIntervalSince(start), 15, "lifetime 3 s + grace 1 s, not the 30 s tasks")
        let states = try conn.exec("SELECT state, attempts FROM tasks WHERE job_id = $1 ORDER BY id", [job]).allRows()
        XCTAssertEqual(states, Array(repeating: ["queued", "0"], count: 4), "held tasks go back at once, attempts not used")
        XCTAssertEqual(try conn.exec("SELECT state FROM workers").allRows(), [["stopped"]])
        XCTAssertTrue(worker.output.contains("lifetime reached"), worker.output)
    }
}
