import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// Completion and the next claim in one call and one round trip (`TaskQueue.completeAndClaim`,
/// `slipline_finish_claim`, issue 14 item 5): the fence still refuses a stale worker, a refusal
/// keeps nothing of the pipeline, and the job's counters and end stay exact.
final class CompleteAndClaimTests: XCTestCase {
    private func output(_ worker: String, _ task: ClaimedTask) -> TaskOutput {
        TaskOutput(results: [ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                                        rows: [[Int(task.id), worker, task.attempt]])])
    }

    func testAOneSlotWorkerRunsAJobThroughOneCallPerTask() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("oneCallJob"))
        let job = try submitBench(conn, tasks: 5, merge: true)
        try planAll(conn)
        var next = try TaskQueue.completeAndClaim(conn, worker: "w", [], limit: 1, leaseSeconds: 60).claimed
        var ran: [Int64] = []
        var emptyCalls = 0
        while emptyCalls < 2 {
            guard let task = next.first else {
                // The last shard's call books it after claiming (the job row is locked last), so
                // the merge it released is claimed by the next call.
                emptyCalls += 1
                next = try TaskQueue.completeAndClaim(conn, worker: "w", [], limit: 1, leaseSeconds: 60).claimed
                continue
            }
            XCTAssertEqual(next.count, 1)
            XCTAssertEqual(task.attempt, 1)
            ran.append(task.id)
            let both = try TaskQueue.completeAndClaim(conn, worker: "w", [(task, output("w", task))], limit: 1, leaseSeconds: 60)
            XCTAssertEqual(both.accepted, [task.id])
            next = both.claimed
        }
        XCTAssertEqual(ran.count, 6, "5 shards, then the merge they released")
        XCTAssertEqual(emptyCalls, 2, "one empty call before the merge, one after the job")
        XCTAssertEqual(Set(ran).count, 6)
        let record = try XCTUnwrap(TaskQueue.job(conn, id: job))
        XCTAssertEqual(record.state, .done)
        XCTAssertEqual(record.nDone, 6, "each task counted once")
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM bench_results WHERE job_id = $1", [job]).int(0, 0), 6)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND (NOT counted OR attempts <> 1)", [job]).int(0, 0), 0)
    }

    /// What `SLIPLINE_SKIP_SHARD_CLEAR` (a shard's completion sends no DELETE for earlier rows,
    /// `TaskQueue.resultStatements`) relies on: a shard never runs again once done — `ctl retry`
    /// re-queues the dead shards and the done merges waiting on them, never a done shard — and a
    /// merge's completion replaces its rows. `bench_results` has one row per task (primary key).
    func testRetryRerunsADeadShardAndReplacesTheMergesRowsButNeverRerunsADoneShard() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("oneCallRetryRows"))
        let job = try submitBench(conn, tasks: 3, merge: true, maxAttempts: 1)
        try planAll(conn)
        func runAll(_ worker: String, failing: Set<Int64> = []) throws -> [ClaimedTask] {
            var ran: [ClaimedTask] = []
            while let task = try TaskQueue.claim(conn, worker: worker, limit: 1, leaseSeconds: 60).first {
                ran.append(task)
                if failing.contains(task.id) {
                    XCTAssertEqual(try TaskQueue.fail(conn, worker: worker, task: task, message: "boom"), .dead)
                } else {
                    XCTAssertEqual(try TaskQueue.completeAndClaim(conn, worker: worker, [(task, output(worker, task))],
                                                                  limit: 0, leaseSeconds: 60).accepted, [task.id])
                }
            }
            return ran
        }
        let shards = try conn.exec("SELECT id FROM tasks WHERE job_id = $1 AND role = 'shard' ORDER BY id", [job])
        let doomed = try XCTUnwrap(shards.int64(2, 0))
        let first = try runAll("first", failing: [doomed])
        XCTAssertEqual(first.count, 4, "3 shards, then the merge")
        XCTAssertEqual(try TaskQueue.job(conn, id: job)?.state, .failed)
        let doneShards = try conn.exec("SELECT id FROM tasks WHERE job_id = $1 AND role = 'shard' AND state = 'done' ORDER BY id", [job]).allRows()
        XCTAssertEqual(doneShards.count, 2)

        XCTAssertEqual(try TaskQueue.retry(conn, job: job), 2, "the dead shard and the merge waiting on it")
        let second = try runAll("second")
        XCTAssertEqual(second.map(\.role), [.shard, .merge])
        XCTAssertEqual(second.first?.id, doomed)
        XCTAssertEqual(try TaskQueue.job(conn, id: job)?.state, .done)
        XCTAssertEqual(try conn.exec("SELECT id FROM tasks WHERE job_id = $1 AND role = 'shard' AND worker_id = 'first' ORDER BY id", [job]).allRows(),
                       doneShards, "the done shards kept their first run")
        let rows = try conn.exec("SELECT t.role, b.worker_id, count(*) OVER (PARTITION BY b.task_id) FROM bench_results b JOIN tasks t ON t.id = b.task_id WHERE b.job_id = $1 ORDER BY b.task_id", [job]).allRows()
        XCTAssertEqual(rows, [["shard", "first", "1"], ["shard", "first", "1"], ["shard", "second", "1"], ["merge", "second", "1"]],
                       "one row per task; the merge's row replaced by its second run")
    }

    func testAStaleWorkersCompletionIsRefusedAndKeepsNothingButItStillClaims() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("oneCallFence"))
        let job = try submitBench(conn, tasks: 4, merge: false)
        try planAll(conn)
        let held = try TaskQueue.completeAndClaim(conn, worker: "slow", [], limit: 2, leaseSeconds: 60).claimed
        XCTAssertEqual(held.count, 2)
        // The first task's lease is reaped and another worker records it first.
        try conn.exec("UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [held[0].id])
        XCTAssertEqual(try TaskQueue.reapExpired(conn).requeued, 1)
        let retaken = try XCTUnwrap(TaskQueue.claim(conn, worker: "fast", limit: 1, leaseSeconds: 60).first)
        XCTAssertEqual(retaken.id, held[0].id)
        XCTAssertEqual(try TaskQueue.complete(conn, worker: "fast", [(retaken, output("fast", retaken))]), [retaken.id])

        let both = try TaskQueue.completeAndClaim(conn, worker: "slow", held.map { ($0, output("slow", $0)) }, limit: 1, leaseSeconds: 60)
        XCTAssertEqual(both.accepted, [held[1].id], "the reaped task is refused, the other recorded")
        XCTAssertEqual(both.claimed.count, 1, "the claim still happens after a refusal")
        let rows = try conn.exec("SELECT task_id, worker_id FROM bench_results WHERE job_id = $1 ORDER BY task_id", [job]).allRows()
        XCTAssertEqual(rows, [["\(held[0].id)", "fast"], ["\(held[1].id)", "slow"]], "the refused task's row never stays")
        XCTAssertEqual(try TaskQueue.job(conn, id: job)?.nDone, 2)

        // A completion of a task this worker never held is refused outright, and nothing else happens.
        let foreign = both.claimed[0]
        let stranger = try TaskQueue.completeAndClaim(conn, worker: "stranger", [(foreign, output("stranger", foreign))], limit: 0, leaseSeconds: 60)
        XCTAssertEqual(stranger.accepted, [])
        XCTAssertEqual(stranger.claimed, [])
        XCTAssertEqual(try conn.exec("SELECT state, worker_id FROM tasks WHERE id = $1", [foreign.id]).allRows(), [["leased", "slow"]])
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM bench_results WHERE worker_id = 'stranger'").int(0, 0), 0)
    }

    func testAFailingStatementRollsBackThePipelineAndLeavesTheConnectionUsable() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("oneCallPipeline"))
        try conn.exec("CREATE TABLE pipe (x int PRIMARY KEY)")
        XCTAssertThrowsError(try conn.pipeline([
            PGStatement("INSERT INTO pipe VALUES ($1)", [1]),
            PGStatement("INSERT INTO pipe VALUES ($1)", [1]),  // duplicate key: fails
            PGStatement("INSERT INTO pipe VALUES ($1)", [2]),
        ])) { error in
            guard case DatabaseError.statementFailed(let sqlstate, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(sqlstate, "23505")
        }
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM pipe").int(0, 0), 0, "one implicit transaction: nothing stayed")
        let results = try conn.pipeline([PGStatement("INSERT INTO pipe VALUES ($1)", [3]), PGStatement("SELECT x FROM pipe")])
        XCTAssertEqual(results.count, 2)
        XCTAssertEqual(results[1].int(0, 0), 3)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM pipe").int(0, 0), 1)
    }
}
