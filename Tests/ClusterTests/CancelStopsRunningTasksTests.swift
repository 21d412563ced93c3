import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// A cancelled job's running tasks stop early (issue 14, the next step after item 3): the lease
/// renewal tells the worker which of its tasks are no longer its own, the worker cancels them
/// (the bench kind's sleep checks `KindContext.cancelled`, as TEM shards do between frames) and
/// frees the slots, nothing of them is recorded, and another job's tasks run at once instead of
/// after the cancelled ones' two-minute runs.
final class CancelStopsRunningTasksTests: XCTestCase {
    func testACancelledJobsRunningTasksStopAndTheirSlotsGoToAnotherJob() throws {
        let url = try TestCluster.freshDatabase("cancelstop")
        let conn = try PGConnection(url)
        let lease = 6.0  // renewed every 2 s
        let long = try TaskQueue.submit(conn, kind: "bench", input: "long",
                                        params: ["tasks": "4", "sleep_ms": "120000", "merge": "false"])
        let coordinator = try CtlProcess(["coordinator", "--database", url, "--log-level", "error"])
        let worker = try CtlProcess(["worker", "--database", url, "--slots", "2", "--lease", "\(Int(lease))", "--log-level", "info"])
        defer {
            for p in [coordinator, worker] { p.signal(SIGKILL); _ = p.wait(timeout: 10) }
        }
        XCTAssertTrue(eventually(timeout: 60) {
            (try? conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND state = 'leased'", [long]).int(0, 0)) == 2
        }, "the worker runs two of the long tasks")
        let other = try TaskQueue.submit(conn, kind: "bench", input: "short",
                                         params: ["tasks": "2", "sleep_ms": "200", "merge": "true"])
        XCTAssertTrue(eventually(timeout: 30) {
            (try? conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1", [other]).int(0, 0)) == 3
        }, "the other job is planned and waits for a slot")
        Thread.sleep(forTimeInterval: lease / 3)  // at least one renewal with both tasks running
        XCTAssertTrue(try TaskQueue.cancel(conn, job: long))
        let cancelledAt = try XCTUnwrap(conn.exec("SELECT extract(epoch FROM clock_timestamp())::float8").double(0, 0))

        XCTAssertTrue(eventually(timeout: 60) { (try? TaskQueue.job(conn, id: other))?.state == .done },
                      "the other job ran on the freed slots: \(worker.output.suffix(2000))")
        let started = try conn.exec(
            "SELECT extract(epoch FROM max(started_at))::float8 FROM tasks WHERE job_id = $1 AND role = 'shard'", [other])
        let waited = try XCTUnwrap(started.double(0, 0)) - cancelledAt
        XCTAssertLessThan(waited, lease / 3 + 2, "both slots freed within a renewal interval + 2 s of the cancel")
        print(String(format: "cancel → both slots running the other job's shards: %.2f s (renewal every %.0f s)", waited, lease / 3))

        // Nothing of the cancelled job was recorded: no results, no error, no second attempt.
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM bench_results WHERE job_id = $1", [long]).int(0, 0), 0)
        XCTAssertEqual(try conn.exec(
            "SELECT state, count(*), max(attempts), count(error) FROM tasks WHERE job_id = $1 GROUP BY state", [long]).allRows(),
            [["cancelled", "4", "1", "0"]])
        XCTAssertEqual(try TaskQueue.job(conn, id: long)?.state, .cancelled)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM bench_results WHERE job_id = $1", [other]).int(0, 0), 2)
        XCTAssertEqual(try conn.exec("SELECT n_results FROM bench_merges WHERE job_id = $1", [other]).int(0, 0), 2)
        XCTAssertTrue(worker.output.contains("task stopped"), "the worker says why: \(worker.output.suffix(2000))")
        XCTAssertFalse(worker.output.contains("results discarded"), "nothing ran to its end to be refused")
        XCTAssertNil(worker.wait(timeout: 0), "the worker keeps running")
    }
}
