import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// Issue 14, item 3: a worker restarted on the same host gives back its SIGKILLed
/// predecessor's leases at once, so the tasks do not wait out their (here 60 s) leases.
final class FastRecoveryTests: XCTestCase {
    func testARestartedWorkerRunsItsKilledPredecessorsTasksWithoutWaitingForTheLease() throws {
        let url = try TestCluster.freshDatabase("recover")
        let conn = try PGConnection(url)
        let job = try TaskQueue.submit(conn, kind: "bench", input: "recover",
                                       params: ["tasks": "2", "sleep_ms": "20000", "merge": "false"])
        let coordinator = try CtlProcess(["coordinator", "--database", url, "--log-level", "error"])
        let worker = ["worker", "--database", url, "--slots", "2", "--lease", "60", "--log-level", "error"]
        let first = try CtlProcess(worker)
        var second: CtlProcess?
        defer {
            for p in [coordinator, first] + (second.map { [$0] } ?? []) { p.signal(SIGKILL); _ = p.wait(timeout: 10) }
        }
        XCTAssertTrue(eventually(timeout: 60) {
            (try? conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND state = 'leased'", [job]).int(0, 0)) == 2
        }, "the first worker leased both tasks")
        first.signal(SIGKILL)
        XCTAssertNotNil(first.wait(timeout: 10))
        let killedAt = Date()
        second = try CtlProcess(worker)
        XCTAssertTrue(eventually(timeout: 15) {
            (try? conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND state = 'leased' AND attempts = 2", [job]).int(0, 0)) == 2
        }, "re-claimed by the new worker long before the 60 s leases expire")
        let waited = Date().timeIntervalSince(killedAt)
        let lost = try conn.exec("SELECT sum(lost_leases)::int, max(attempts) FROM tasks WHERE job_id = $1", [job])
        XCTAssertEqual(lost.allRows(), [["2", "2"]], "two lost leases, charged as such")
        XCTAssertEqual(try conn.exec("SELECT state FROM workers WHERE pid = $1", [Int(first.pid)]).string(0, 0), "lost")
        print("fast recovery: both tasks re-claimed \(String(format: "%.1f", waited)) s after the kill (lease 60 s)")
    }
}
