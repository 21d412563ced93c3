import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// Completion in one call (`slipline_finish`, issue 14 item 5): a batch with a refused task
/// keeps nothing of it, and only the completion that ends a job waits for its WAL flush.
final class CompletionCommitTests: XCTestCase {
    private func output(_ worker: String, _ item: Int, _ attempt: Int) -> TaskOutput {
        TaskOutput(results: [ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                                        rows: [[item, worker, attempt]])])
    }

    func testABatchWithARefusedTaskKeepsTheOthersAndLeavesTheNewHoldersResults() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("finishbatch"))
        let job = try submitBench(conn, tasks: 3, merge: false)
        try planAll(conn)
        let held = try TaskQueue.claim(conn, worker: "slow", limit: 3, leaseSeconds: 60)
        XCTAssertEqual(held.count, 3)
        // The middle task's lease is reaped; another worker runs and records it first.
        try conn.exec("UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [held[1].id])
        XCTAssertEqual(try TaskQueue.reapExpired(conn).requeued, 1)
        let retaken = try XCTUnwrap(TaskQueue.claim(conn, worker: "fast", limit: 1, leaseSeconds: 60).first)
        XCTAssertEqual(retaken.id, held[1].id)
        XCTAssertEqual(try TaskQueue.complete(conn, worker: "fast", [(retaken, output("fast", 1, retaken.attempt))]), [retaken.id])

        let accepted = try TaskQueue.complete(conn, worker: "slow", held.enumerated().map { ($1, output("slow", $0, $1.attempt)) })
        XCTAssertEqual(accepted, Set([held[0].id, held[2].id]))
        let rows = try conn.exec("SELECT task_id, worker_id FROM bench_results WHERE job_id = $1 ORDER BY task_id", [job]).allRows()
        XCTAssertEqual(rows, [["\(held[0].id)", "slow"], ["\(held[1].id)", "fast"], ["\(held[2].id)", "slow"]])
        let record = try XCTUnwrap(TaskQueue.job(conn, id: job))
        XCTAssertEqual(record.state, .done)
        XCTAssertEqual(record.nDone, 3, "each task counted once")
    }

    func testOnlyTheCompletionThatEndsTheJobWaitsForItsFlush() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("finishcommit"))
        let job = try submitBench(conn, tasks: 2, merge: false)
        try planAll(conn)
        let configured = try conn.exec("SHOW synchronous_commit").string(0, 0)
        XCTAssertEqual(configured, "on")
        let tasks = try TaskQueue.claim(conn, worker: "w", limit: 2, leaseSeconds: 60)
        func finish(_ task: ClaimedTask) throws -> String? {
            try conn.transaction {
                try conn.exec("SELECT slipline_finish('w', $1::bigint[], $2::int[])", [PGArray([task.id]), PGArray([task.attempt])])
                return try conn.exec("SHOW synchronous_commit").string(0, 0)
            }
        }
        XCTAssertEqual(try finish(tasks[0]), "off", "a completion inside a running job commits asynchronously")
        XCTAssertEqual(try TaskQueue.job(conn, id: job)?.state, .running)
        XCTAssertEqual(try finish(tasks[1]), "on", "the completion that ends the job is durable")
        XCTAssertEqual(try TaskQueue.job(conn, id: job)?.state, .done)
        XCTAssertEqual(try conn.exec("SHOW synchronous_commit").string(0, 0), "on", "nothing outlives the transaction")
    }
}
