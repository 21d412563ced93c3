import Foundation
import Shared
import SliplineTestSupport
import Worker
import XCTest

final class RetryAndDependencyTests: XCTestCase {
    func testAlwaysFailingTaskEndsDeadWithItsErrorAndTheJobGoesOn() throws {
        let url = try TestCluster.freshDatabase("dead")
        let conn = try PGConnection(url)
        let cluster = InProcessCluster(conninfo: url, workers: 2)
        cluster.start()
        defer { cluster.stop() }
        let failing = try submitBench(conn, tasks: 2, fail: "always", merge: false, maxAttempts: 3, retryBase: 0.05)
        let fine = try submitBench(conn, tasks: 20)
        let record = try waitForJob(conn, failing)
        XCTAssertEqual(record.state, .failed)
        XCTAssertEqual(record.nDead, 2)
        let tasks = try conn.exec("SELECT state, attempts, error FROM tasks WHERE job_id = $1", [failing]).allRows()
        for row in tasks {
            XCTAssertEqual(row[0], "dead")
            XCTAssertEqual(row[1], "3")
            XCTAssertTrue(row[2]?.contains("failing as asked") == true, "\(row)")
        }
        XCTAssertEqual(try waitForJob(conn, fine).state, .done, "other jobs are not held up")
        // Backoff: the three attempts of a task are spread out, not immediate.
        let overview = try conn.exec("SELECT count(*) FROM tasks_overview WHERE job_id = $1 AND state = 'dead' AND error IS NOT NULL", [failing])
        XCTAssertEqual(overview.int(0, 0), 2)
    }

    func testFirstAttemptFailuresAreRetriedAndSucceed() throws {
        let url = try TestCluster.freshDatabase("retry")
        let conn = try PGConnection(url)
        let cluster = InProcessCluster(conninfo: url, workers: 2)
        cluster.start()
        defer { cluster.stop() }
        let job = try submitBench(conn, tasks: 10, fail: "first", retryBase: 0.02)
        XCTAssertEqual(try waitForJob(conn, job).state, .done)
        let r = try conn.exec("SELECT min(attempt), max(attempt), count(*) FROM bench_results WHERE job_id = $1", [job])
        XCTAssertEqual(r.allRows(), [["2", "2", "10"]])
    }

    func testMergeRunsOnceAfterAllShards() throws {
        let url = try TestCluster.freshDatabase("merge")
        let conn = try PGConnection(url)
        let cluster = InProcessCluster(conninfo: url, workers: 3, slots: 2)
        cluster.start()
        defer { cluster.stop() }
        let job = try submitBench(conn, tasks: 60, sleepMs: 5)
        XCTAssertEqual(try waitForJob(conn, job).state, .done)
        let merge = try conn.exec(
            """
            SELECT m.n_results, m.n_expected, t.attempts,
                   t.started_at >= (SELECT max(finished_at) FROM tasks WHERE job_id = $1 AND role = 'shard')
            FROM bench_merges m JOIN tasks t ON t.id = m.task_id WHERE m.job_id = $1
            """, [job]).allRows()
        XCTAssertEqual(merge, [["60", "60", "1", "t"]], "one merge row, run once, after every shard, seeing all 60 results")
    }

    func testDeadShardsStillLetTheMergeRunAndRetryRequeuesBoth() throws {
        let url = try TestCluster.freshDatabase("deadmerge")
        let conn = try PGConnection(url)
        let job = try submitBench(conn, tasks: 3, fail: "always", maxAttempts: 1)
        try planAll(conn)
        let shards = try TaskQueue.claim(conn, worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(shards.count, 3, "the merge must not be claimable before its shards end")
        for task in shards { XCTAssertEqual(try TaskQueue.fail(conn, worker: "w", task: task, message: "boom"), .dead) }
        let merge = try TaskQueue.claim(conn, worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(merge.map(\.kind), ["bench.merge"])
        try TaskQueue.complete(conn, worker: "w", [(merge[0], .none)])
        XCTAssertEqual(try TaskQueue.job(conn, id: job)?.state, .failed)

        XCTAssertEqual(try TaskQueue.retry(conn, job: job), 4, "3 dead shards and the merge that depended on them")
        let again = try TaskQueue.job(conn, id: job)
        XCTAssertEqual(again?.state, .running)
        XCTAssertEqual(again?.nDead, 0)
        let claimable = try TaskQueue.claim(conn, worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(claimable.map(\.kind).sorted(), ["bench", "bench", "bench"], "merge waits for the shards again")
    }

    func testCancelStopsAJobAndDiscardsRunningResults() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("cancel"))
        let job = try submitBench(conn, tasks: 5)
        try planAll(conn)
        let held = try TaskQueue.claim(conn, worker: "w", limit: 2, leaseSeconds: 60)
        XCTAssertTrue(try TaskQueue.cancel(conn, job: job))
        XCTAssertFalse(try TaskQueue.cancel(conn, job: job), "cancelling twice is a no-op")
        let output = TaskOutput(results: [ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                                                     rows: [[0, "w", 1]])])
        XCTAssertEqual(try TaskQueue.complete(conn, worker: "w", [(held[0], output)]), [])
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM bench_results").int(0, 0), 0)
        XCTAssertEqual(try TaskQueue.taskCounts(conn, job: job), [.cancelled: 6])
        XCTAssertEqual(try TaskQueue.claim(conn, worker: "w", limit: 10, leaseSeconds: 60).count, 0)
        XCTAssertEqual(try TaskQueue.job(conn, id: job)?.state, .cancelled)
    }
}
