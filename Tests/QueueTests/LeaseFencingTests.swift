import Foundation
import Shared
import SliplineTestSupport
import Worker
import XCTest

/// A worker whose lease was reaped cannot record its (late) result: the new holder's stands,
/// exactly once.
final class LeaseFencingTests: XCTestCase {
    func testLateCompletionAfterReapIsRefused() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("fence"))
        let job = try submitBench(conn, tasks: 1, merge: false)
        try planAll(conn)
        let first = try TaskQueue.claim(conn, worker: "slow", limit: 1, leaseSeconds: 60)
        XCTAssertEqual(first.count, 1)
        // The lease runs out (as if "slow" had lost its network) and the reaper requeues it.
        try conn.exec("UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [first[0].id])
        let reaped = try TaskQueue.reapExpired(conn)
        XCTAssertEqual(reaped.requeued, 1)
        let second = try TaskQueue.claim(conn, worker: "fast", limit: 1, leaseSeconds: 60)
        XCTAssertEqual(second.first?.attempt, 2)

        func output(_ worker: String, _ attempt: Int) -> TaskOutput {
            TaskOutput(results: [ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                                            rows: [[0, worker, attempt]])])
        }
        XCTAssertEqual(try TaskQueue.complete(conn, worker: "fast", [(second[0], output("fast", 2))]), [second[0].id])
        XCTAssertEqual(try TaskQueue.complete(conn, worker: "slow", [(first[0], output("slow", 1))]), [], "the stale lease must be refused")
        XCTAssertNil(try TaskQueue.fail(conn, worker: "slow", task: first[0], message: "late"))
        let rows = try conn.exec("SELECT worker_id, attempt FROM bench_results WHERE job_id = $1", [job]).allRows()
        XCTAssertEqual(rows, [["fast", "2"]])
        XCTAssertEqual(try TaskQueue.job(conn, id: job)?.state, .done)
    }

    func testRerunReplacesEarlierResultsInsteadOfAddingToThem() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("replace"))
        _ = try submitBench(conn, tasks: 1, merge: false)
        try planAll(conn)
        let task = try TaskQueue.claim(conn, worker: "w", limit: 1, leaseSeconds: 60)[0]
        // An earlier attempt's rows are already there (say, written before a crash at commit).
        try conn.exec("INSERT INTO bench_results (task_id, job_id, item, worker_id, attempt) VALUES ($1, $2, 0, 'old', 0)",
                      [task.id, task.jobId])
        let output = TaskOutput(results: [ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                                                     rows: [[0, "w", task.attempt]])])
        try TaskQueue.complete(conn, worker: "w", [(task, output)])
        XCTAssertEqual(try conn.exec("SELECT worker_id FROM bench_results").allRows(), [["w"]])
    }

    func testHeartbeatExtendsKnownLeasesAndReleasesOrphans() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("beat"))
        _ = try submitBench(conn, tasks: 6, merge: false)
        try planAll(conn)
        try TaskQueue.registerWorker(conn, id: "a", host: "h", pid: 1, slots: 1)
        let mine = try TaskQueue.claim(conn, worker: "a", limit: 2, leaseSeconds: 1)
        // A claim for "a" whose reply never arrived: leased to "a", unknown to it.
        let lost = try TaskQueue.claim(conn, worker: "a", limit: 1, leaseSeconds: 1)
        _ = try TaskQueue.claim(conn, worker: "b", limit: 2, leaseSeconds: 1)
        let released = try TaskQueue.heartbeat(conn, worker: "a", leaseSeconds: 120, holding: mine.map(\.id))
        XCTAssertEqual(released, 1)
        let renewed = try conn.exec("SELECT id FROM tasks WHERE lease_expires_at > now() + interval '60 seconds' ORDER BY id").allRows()
        XCTAssertEqual(renewed, mine.map { [String($0.id)] })
        let orphan = try conn.exec("SELECT state, attempts FROM tasks WHERE id = $1", [lost[0].id]).allRows()
        XCTAssertEqual(orphan, [["queued", "0"]])
    }
}

/// Booking a task's end on its job and dependants happens once, however often it is asked.
final class BookkeepingTests: XCTestCase {
    func testRepeatedBookkeepingCountsEachTaskOnce() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("book"))
        let job = try submitBench(conn, tasks: 3)
        try planAll(conn)
        let shards = try TaskQueue.claim(conn, worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(shards.count, 3)
        try TaskQueue.complete(conn, worker: "w", [(shards[0], .none)])
        for _ in 0..<5 {
            try conn.exec("SELECT slipline_after_terminal($1::bigint[])", [PGArray([shards[0].id])])
        }
        let record = try TaskQueue.job(conn, id: job)
        XCTAssertEqual(record?.nDone, 1)
        XCTAssertEqual(record?.state, .running)
        XCTAssertEqual(try TaskQueue.claim(conn, worker: "w", limit: 10, leaseSeconds: 60).count, 0,
                       "the merge must still wait for the two unfinished shards")
    }
}
