import Foundation
import Shared
import XCTest

/// Retention (issue 14): `prune` deletes the tasks of jobs that ended long enough ago, keeps
/// their dead tasks and every results row, and leaves running jobs alone.
extension TaskStoreConformance {
    func pruneRemovesOldEndedJobsTasksAndKeepsResults() throws {
        let old = try job(tasks: 3, merge: true)
        try runToEnd(worker: "w")
        let failing = try job(tasks: 2, maxAttempts: 1)
        let tasks = try store.claim(worker: "w", limit: 2, leaseSeconds: 60)
        XCTAssertEqual(try store.complete(worker: "w", [(tasks[0], output(tasks[0], by: "w"))]).count, 1)
        XCTAssertEqual(try store.fail(worker: "w", task: tasks[1], message: "bad frame"), .dead)
        try harness.advance(100)
        let recent = try job(tasks: 2)
        try runToEnd(worker: "w")
        let running = try job(tasks: 2)
        _ = try store.claim(worker: "w", limit: 1, leaseSeconds: 600)
        try harness.advance(100)

        XCTAssertEqual(try store.prune(olderThan: 150, batch: 100), 5, "old (3 + merge) and failing's done task")
        XCTAssertEqual(try store.prune(olderThan: 150, batch: 100), 0)
        XCTAssertEqual(try store.taskCounts(job: old), [:])
        XCTAssertEqual(try store.taskCounts(job: failing), [.dead: 1], "dead tasks stay for `ctl status JOB`")
        XCTAssertEqual(try store.failures(job: failing).map(\.error), ["bad frame"])
        XCTAssertEqual(try store.taskCounts(job: recent), [.done: 2], "ended too recently")
        XCTAssertEqual(try store.taskCounts(job: running), [.leased: 1, .queued: 1])
        XCTAssertEqual(try harness.rows("bench_results", old, ["worker_id"]).count, 3, "results untouched")
        XCTAssertEqual(try harness.rows("bench_results", failing, ["worker_id"]).count, 1)
        XCTAssertEqual(try store.job(old)?.state, .done, "the job and its counters stay")
        XCTAssertEqual(try store.job(old)?.nDone, 4)
        XCTAssertNil(try store.retry(job: failing), "a pruned job cannot be retried")

        XCTAssertEqual(try store.prune(olderThan: 50, batch: 1), 1, "batches of at most `batch`")
        XCTAssertEqual(try store.prune(olderThan: 50, batch: 1), 1)
        XCTAssertEqual(try store.prune(olderThan: 50, batch: 1), 0)
        XCTAssertEqual(try store.taskCounts(job: running), [.leased: 1, .queued: 1], "a running job is never pruned")
    }

    /// Claims and completes (with a result row each) every ready task until none is left.
    private func runToEnd(worker: String) throws {
        while true {
            let batch = try store.claim(worker: worker, limit: 10, leaseSeconds: 60)
            if batch.isEmpty { return }
            try store.complete(worker: worker, batch.map { ($0, $0.role == .merge ? .none : output($0, by: worker)) })
        }
    }
}
