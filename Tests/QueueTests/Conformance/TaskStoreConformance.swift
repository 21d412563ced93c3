import Foundation
import Shared
import XCTest

/// The one conformance suite of `TaskStore`: every check runs against the in-memory store
/// (`InMemoryTaskStoreTests`) and against PostgreSQL (`PostgresTaskStoreTests`), so that the
/// twin cannot drift from the real queue.
struct TaskStoreConformance {
    let harness: StoreHarness
    var store: any TaskStore { harness.store }

    /// A plan of `tasks` bench shards (payload `{"item": i}`) and, if `merge`, a merge;
    /// `--param fail_plan=…` makes planning fail with that message.
    static func plan(_ job: QueuedJob) throws -> TaskPlan {
        if let message = job.params["fail_plan"] { throw PlanFailure(message: message) }
        let count = Int(job.params["tasks"] ?? "1") ?? 1
        // `partials=N`: partials of N consecutive shards, a trailing shorter group left to the
        // merge directly; `partials=overlap`: two partials sharing shard 0 (refused).
        var partials: [PartialSpec] = []
        if job.params["partials"] == "overlap" {
            partials = [0..<1, 0..<2].map { PartialSpec(task: TaskSpec(kind: "bench", payload: "{}"), shards: $0) }
        } else if let n = job.params["partials"].flatMap(Int.init), n > 0 {
            partials = stride(from: 0, to: count - n + 1, by: n).map {
                PartialSpec(task: TaskSpec(kind: "bench", payload: #"{"first": \#($0)}"#), shards: $0..<($0 + n))
            }
        }
        return TaskPlan(
            shards: (0..<count).map { TaskSpec(kind: "bench", payload: #"{"item": \#($0)}"#) },
            partials: partials,
            merge: job.params["merge"] == "true" ? TaskSpec(kind: "bench", payload: "{}") : nil,
            notes: job.params["note"].map { [$0] } ?? [])
    }

    struct PlanFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Submits a job and plans it (the only queued job); returns its id.
    @discardableResult
    func job(tasks: Int, merge: Bool = false, priority: Int = 0, maxAttempts: Int = 3, retryBase: Double = 1,
             params extra: [String: String] = [:]) throws -> Int64 {
        let params = extra.merging(["tasks": "\(tasks)", "merge": "\(merge)"]) { a, _ in a }
        let id = try store.submit(kind: "bench", input: "conformance", params: params, priority: priority,
                                  maxAttempts: maxAttempts, retryBaseSeconds: retryBase)
        XCTAssertEqual(try store.planNext(Self.plan)?.jobId, id)
        return id
    }

    /// A bench shard's result row.
    func output(_ task: ClaimedTask, by worker: String) -> TaskOutput {
        TaskOutput(results: [ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                                        rows: [[Int(task.id % 1000), worker, task.attempt]])])
    }

    func item(_ task: ClaimedTask) -> Int? {
        (try? JSONSerialization.jsonObject(with: Data(task.payload.utf8)) as? [String: Any])?["item"] as? Int
    }

    // MARK: Claims

    func claimOrderAndExclusivity() throws {
        let low = try job(tasks: 4)
        let high = try job(tasks: 2, priority: 5)
        let first = try store.claim(worker: "a", limit: 3, leaseSeconds: 60)
        XCTAssertEqual(first.map(\.jobId), [high, high, low], "priority first, then age")
        XCTAssertEqual(first.map(item), [0, 1, 0])
        XCTAssertTrue(first.allSatisfy { $0.attempt == 1 && $0.role == .shard && $0.kind == "bench" && $0.maxAttempts == 3 })
        XCTAssertEqual(first[0].jobInput, "conformance")
        let params = try JSONDecoder().decode([String: String].self, from: Data(first[0].jobParams.utf8))
        XCTAssertEqual(params["tasks"], "2")
        XCTAssertTrue(params["output_dir"]?.contains("job-\(high)-") == true, "output_dir fixed at planning: \(params)")
        let second = try store.claim(worker: "b", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(second.map(\.jobId), [low, low, low])
        XCTAssertTrue(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
        XCTAssertEqual(try store.claim(worker: "c", limit: 10, leaseSeconds: 60), [])
        XCTAssertEqual(try store.taskCounts(job: low), [.leased: 4])
    }

    func concurrentClaimersNeverShareATask() throws {
        try job(tasks: 300)
        let claimed = Collected()
        let sessions = try (0..<4).map { _ in try harness.session() }
        DispatchQueue.concurrentPerform(iterations: 4) { w in
            while let batch = try? sessions[w].claim(worker: "w\(w)", limit: 3 + w * 4, leaseSeconds: 60), !batch.isEmpty {
                claimed.append(batch.map(\.id))
            }
        }
        sessions.forEach { $0.close() }
        XCTAssertEqual(claimed.ids.count, 300)
        XCTAssertEqual(Set(claimed.ids).count, 300, "a task was claimed twice")
    }

    // MARK: Fencing, failures, leases

    func lateCompletionIsFenced() throws {
        let id = try job(tasks: 1)
        let slow = try store.claim(worker: "slow", limit: 1, leaseSeconds: 60)[0]
        try harness.advance(61)
        XCTAssertEqual(try store.reapExpired().requeued, 1)
        let fast = try store.claim(worker: "fast", limit: 1, leaseSeconds: 60)[0]
        XCTAssertEqual([fast.id, Int64(fast.attempt)], [slow.id, 2])
        XCTAssertEqual(try store.complete(worker: "fast", [(fast, output(fast, by: "fast"))]), [fast.id])
        XCTAssertEqual(try store.complete(worker: "slow", [(slow, output(slow, by: "slow"))]), [], "a reaped lease is refused")
        XCTAssertNil(try store.fail(worker: "slow", task: slow, message: "late"))
        XCTAssertEqual(try harness.rows("bench_results", id, ["worker_id", "attempt"]), [["fast", "2"]])
        XCTAssertEqual(try store.job(id)?.state, .done)
        XCTAssertEqual(try store.job(id)?.nDone, 1)
    }

    func failuresAreRetriedAfterBackoffThenDead() throws {
        let id = try job(tasks: 1, maxAttempts: 2, retryBase: 10)
        let first = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        XCTAssertEqual(try store.fail(worker: "w", task: first, message: "boom 1"), .failed)
        XCTAssertEqual(try store.fail(worker: "w", task: first, message: "again"), nil, "fenced: the lease is gone")
        XCTAssertEqual(try store.claim(worker: "w", limit: 1, leaseSeconds: 60), [], "backoff: 5-10 s")
        try harness.advance(4)
        XCTAssertEqual(try store.claim(worker: "w", limit: 1, leaseSeconds: 60), [], "backoff is at least half the base")
        try harness.advance(7)
        let second = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)
        XCTAssertEqual(second.map(\.attempt), [2])
        XCTAssertEqual(try store.fail(worker: "w", task: second[0], message: "boom 2"), .dead)
        XCTAssertEqual(try store.failures(job: id), [TaskFailure(taskId: first.id, kind: "bench", attempts: 2, error: "boom 2")])
        XCTAssertEqual(try store.taskCounts(job: id), [.dead: 1])
        let record = try store.job(id)
        XCTAssertEqual(record?.state, .failed)
        XCTAssertEqual(record?.nDead, 1)
        try harness.advance(1000)
        XCTAssertEqual(try store.claim(worker: "w", limit: 1, leaseSeconds: 60), [], "dead tasks are not retried")
    }

    func expiredLeasesAreReapedAndHeartbeatsRenewThem() throws {
        let id = try job(tasks: 3, maxAttempts: 2)
        try store.registerWorker(id: "w", host: "h", pid: 1, slots: 3)
        let held = try store.claim(worker: "w", limit: 3, leaseSeconds: 10)
        try harness.advance(6)
        XCTAssertEqual(try store.heartbeat(worker: "w", leaseSeconds: 10, holding: held.dropLast().map(\.id)), 1,
                       "the task it does not know of is given back")
        try harness.advance(6)
        let none = try store.reapExpired()
        XCTAssertEqual([none.requeued, none.died], [0, 0], "renewed leases hold")
        try harness.advance(5)
        XCTAssertEqual(try store.reapExpired().requeued, 2)
        XCTAssertEqual(try store.taskCounts(job: id), [.queued: 3])
        let again = try store.claim(worker: "w", limit: 3, leaseSeconds: 10)
        XCTAssertEqual(again.map(\.attempt).sorted(), [1, 2, 2], "a release does not count the attempt, a reap does")
        try harness.advance(11)
        let reaped = try store.reapExpired()
        XCTAssertEqual([reaped.requeued, reaped.died], [3, 0], "lost leases are not errors: max_attempts 2 does not apply")
        XCTAssertEqual(try store.taskCounts(job: id), [.queued: 3])
        XCTAssertEqual(try store.attemptSummary(job: id),
                       AttemptSummary(errors: 0, lostLeases: 5, maxLostLeasesOfATask: 2, lostLeaseBudget: 10))
        XCTAssertEqual(try store.job(id)?.state, .running)
    }

    func releaseGivesTasksBackWithoutCountingTheAttempt() throws {
        try job(tasks: 2)
        let held = try store.claim(worker: "w", limit: 2, leaseSeconds: 60)
        XCTAssertEqual(try store.release(worker: "other", ids: held.map(\.id)), 0, "only the holder may release")
        XCTAssertEqual(try store.release(worker: "w", ids: [held[1].id]), 1)
        XCTAssertEqual(try store.release(worker: "w", ids: []), 0)
        let again = try store.claim(worker: "v", limit: 2, leaseSeconds: 60)
        XCTAssertEqual(again.map(\.id), [held[1].id])
        XCTAssertEqual(again.map(\.attempt), [1])
        XCTAssertEqual(try store.complete(worker: "w", [(held[1], .none)]), [], "released: no longer w's")
    }

    // MARK: Merges and jobs

    func mergesWaitForEveryShardAndJobsEnd() throws {
        let failing = try job(tasks: 3, merge: true, maxAttempts: 1)
        let shards = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(shards.map(\.role), [.shard, .shard, .shard], "the merge waits")
        try store.complete(worker: "w", [(shards[0], output(shards[0], by: "w")), (shards[1], output(shards[1], by: "w"))])
        XCTAssertEqual(try store.claim(worker: "w", limit: 10, leaseSeconds: 60), [], "one shard is still running")
        XCTAssertEqual(try store.fail(worker: "w", task: shards[2], message: "boom"), .dead)
        let merge = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(merge.map(\.role), [.merge], "a dead shard ends too")
        XCTAssertEqual(merge.map(\.kind), ["bench"])
        XCTAssertEqual(merge.map(\.role), [.merge])
        XCTAssertEqual(try store.job(failing)?.state, .running)
        try store.complete(worker: "w", [(merge[0], .none)])
        let failed = try store.job(failing)
        XCTAssertEqual(failed?.state, .failed)
        XCTAssertEqual([failed?.nTasks, failed?.nDone, failed?.nDead], [4, 3, 1])
        XCTAssertNotNil(failed?.finishedAt)

        let fine = try job(tasks: 2, merge: true)
        let two = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        try store.complete(worker: "w", two.map { ($0, .none) })
        try store.complete(worker: "w", try store.claim(worker: "w", limit: 10, leaseSeconds: 60).map { ($0, .none) })
        XCTAssertEqual(try store.job(fine)?.state, .done)
        XCTAssertEqual(try store.taskCounts(job: fine), [.done: 3])
    }

    func planningFixesOutputDirectoriesAndFailsBadJobs() throws {
        XCTAssertNil(try store.planNext(Self.plan), "nothing queued")
        let empty = try store.submit(kind: "bench", input: "x", params: ["tasks": "0", "output_dir": "/data/out", "note": "nothing to do"])
        XCTAssertEqual(try store.planNext(Self.plan), .planned(job: empty, tasks: 0, notes: ["nothing to do"]))
        let record = try store.job(empty)
        XCTAssertEqual(record?.state, .done, "an empty plan ends the job at once")
        XCTAssertEqual(record?.params["output_dir"], "/data/out", "a given output directory is kept")
        XCTAssertEqual(record?.error, "nothing to do", "notes are kept for the user")

        let bad = try store.submit(kind: "bench", input: "x", params: ["fail_plan": "no such input: x (check the path)"])
        XCTAssertEqual(try store.planNext(Self.plan), .failed(job: bad, error: "no such input: x (check the path)"))
        let failed = try store.job(bad)
        XCTAssertEqual(failed?.state, .failed)
        XCTAssertEqual(failed?.error, "no such input: x (check the path)")
        XCTAssertTrue(failed?.params["output_dir"]?.contains("/results/") == true, "\(failed?.params ?? [:])")
        XCTAssertEqual(try store.recentJobs(limit: 1).map(\.id), [bad])
        XCTAssertEqual(try store.recentJobs().map(\.id), [bad, empty])
        XCTAssertNil(try store.job(9_999_999))
    }

    func cancelStopsAJobAndDiscardsRunningResults() throws {
        let id = try job(tasks: 5, merge: true)
        let held = try store.claim(worker: "w", limit: 2, leaseSeconds: 60)
        XCTAssertTrue(try store.cancel(job: id))
        XCTAssertFalse(try store.cancel(job: id), "cancelling twice is a no-op")
        XCTAssertEqual(try store.complete(worker: "w", [(held[0], output(held[0], by: "w"))]), [])
        XCTAssertEqual(try harness.rows("bench_results", id, ["worker_id"]), [])
        XCTAssertEqual(try store.taskCounts(job: id), [.cancelled: 6])
        XCTAssertEqual(try store.claim(worker: "w", limit: 10, leaseSeconds: 60), [])
        XCTAssertEqual(try store.job(id)?.state, .cancelled)
        XCTAssertEqual(try store.retry(job: id), 6, "a cancelled job can be retried")
        XCTAssertEqual(try store.claim(worker: "w", limit: 10, leaseSeconds: 60).map(\.role), Array(repeating: .shard, count: 5))
    }

    func retryRequeuesDeadTasksAndTheirMerge() throws {
        let id = try job(tasks: 3, merge: true, maxAttempts: 1)
        XCTAssertNil(try store.retry(job: id), "a running job is not retried")
        XCTAssertNil(try store.retry(job: 9_999_999))
        let shards = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        try store.complete(worker: "w", [(shards[0], .none)])
        for task in shards.dropFirst() { try store.fail(worker: "w", task: task, message: "boom") }
        try store.complete(worker: "w", try store.claim(worker: "w", limit: 10, leaseSeconds: 60).map { ($0, .none) })
        XCTAssertEqual(try store.job(id)?.state, .failed)

        XCTAssertEqual(try store.retry(job: id), 3, "two dead shards and the merge that depended on them")
        let again = try store.job(id)
        XCTAssertEqual(again?.state, .running)
        XCTAssertEqual([again?.nDone, again?.nDead], [1, 0])
        XCTAssertNil(again?.error)
        let rerun = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(rerun.map(\.id), shards.dropFirst().map(\.id), "the merge waits for the shards again")
        XCTAssertEqual(rerun.map(\.attempt), [1, 1], "with fresh attempts")
        try store.complete(worker: "w", rerun.map { ($0, .none) })
        try store.complete(worker: "w", try store.claim(worker: "w", limit: 10, leaseSeconds: 60).map { ($0, .none) })
        XCTAssertEqual(try store.job(id)?.state, .done)
        XCTAssertEqual(try store.job(id)?.nDone, 4)
        XCTAssertEqual(try store.retry(job: id), 0, "a done job has nothing to retry")
        XCTAssertEqual(try store.job(id)?.state, .done, "and stays done (it was left running forever)")
    }

    // MARK: Results

    func resultsOfARerunReplaceTheEarlierOnes() throws {
        let id = try job(tasks: 1, merge: true, maxAttempts: 1)
        let shard = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        try store.fail(worker: "w", task: shard, message: "boom")
        func mergeOutput(_ n: Int) -> TaskOutput {
            TaskOutput(results: [ResultRows(table: "bench_merges", columns: ["n_results", "n_expected"], rows: [[n, 1]])])
        }
        let merge = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        try store.complete(worker: "w", [(merge, mergeOutput(0))])
        XCTAssertEqual(try harness.rows("bench_merges", id, ["n_results"]), [["0"]])

        XCTAssertEqual(try store.retry(job: id), 2)
        let shardAgain = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        try store.complete(worker: "w", [(shardAgain, output(shardAgain, by: "w"))])
        let mergeAgain = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        XCTAssertEqual(mergeAgain.id, merge.id)
        try store.complete(worker: "w", [(mergeAgain, mergeOutput(1))])
        XCTAssertEqual(try harness.rows("bench_merges", id, ["n_results"]), [["1"]], "replaced, not added")
        XCTAssertEqual(try harness.rows("bench_results", id, ["worker_id"]), [["w"]])
    }

    func tablesAlsoClearedLoseAnEarlierAttemptsRows() throws {
        let id = try job(tasks: 1, merge: true, maxAttempts: 1)
        let shard = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        try store.fail(worker: "w", task: shard, message: "boom")
        let merge = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        try store.complete(worker: "w", [(merge, TaskOutput(results: [
            ResultRows(table: "bench_merges", columns: ["n_results", "n_expected"], rows: [[0, 1]]),
        ]))])
        XCTAssertEqual(try store.retry(job: id), 2)
        let shardAgain = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        try store.complete(worker: "w", [(shardAgain, .none)])
        let mergeAgain = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        // This time it finds nothing to write, but says which table it owns.
        try store.complete(worker: "w", [(mergeAgain, TaskOutput(alsoClearing: ["bench_merges"]))])
        XCTAssertEqual(try harness.rows("bench_merges", id, ["n_results"]), [])
        XCTAssertEqual(try store.job(id)?.state, .done)
    }

    func rowsThatDoNotFitTheirTableAreRefusedWhole() throws {
        try job(tasks: 2)
        let tasks = try store.claim(worker: "w", limit: 2, leaseSeconds: 60)
        let wrong = TaskOutput(results: [ResultRows(table: "bench_results", columns: ["item", "nope"], rows: [[1, 2]])])
        XCTAssertThrowsError(try store.complete(worker: "w", [(tasks[0], output(tasks[0], by: "w")), (tasks[1], wrong)])) { error in
            guard case let .unknownColumn(table, column, known)? = error as? ResultTableError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual([table, column], ["bench_results", "nope"])
            XCTAssertEqual(known, ["attempt", "item", "job_id", "task_id", "worker_id", "written_at"])
            XCTAssertTrue("\(error)".contains("results table 'bench_results' has no column 'nope'"), "\(error)")
        }
        let missing = TaskOutput(results: [ResultRows(table: "no_such_results", columns: ["x"], rows: [[1]])])
        XCTAssertThrowsError(try store.complete(worker: "w", [(tasks[0], missing)])) { error in
            XCTAssertEqual(error as? ResultTableError, .unknownTable(table: "no_such_results"))
        }
        let reserved = TaskOutput(results: [ResultRows(table: "bench_results", columns: ["task_id"], rows: [[1]])])
        XCTAssertThrowsError(try store.complete(worker: "w", [(tasks[0], reserved)]))
        XCTAssertEqual(try store.taskCounts(job: tasks[0].jobId), [.leased: 2], "nothing of the batch was recorded")
        XCTAssertEqual(try store.complete(worker: "w", tasks.map { ($0, output($0, by: "w")) }), Set(tasks.map(\.id)))
    }

    func shardOutputsHandTheMergeEachShardsOutput() throws {
        let other = try job(tasks: 1)
        let id = try job(tasks: 3, merge: true, maxAttempts: 1)
        _ = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)  // the other job's shard
        let shards = try store.claim(worker: "w", limit: 2, leaseSeconds: 60)
        func handOver(_ json: String) -> TaskOutput {
            TaskOutput(results: [ResultRows(table: "shard_outputs", columns: ["output"], rows: [[PGJSON(raw: json)]])])
        }
        try store.complete(worker: "w", [(shards[0], handOver(#"{"curves": [[1, 2]], "frames": 3}"#))])
        try store.fail(worker: "w", task: shards[1], message: "boom")
        let records = try store.shardOutputs(job: id)
        XCTAssertEqual(records.map(\.taskId), [shards[0].id, shards[1].id, shards[1].id + 1], "shards only, by id")
        XCTAssertEqual(records.map(\.state), [.done, .dead, .queued])
        XCTAssertEqual(records.map { item(ClaimedTask(id: 0, jobId: 0, kind: "", role: .shard, payload: $0.payload, attempt: 0,
                                                       maxAttempts: 0, jobInput: "", jobParams: "")) }, [0, 1, 2])
        XCTAssertEqual(records.map { $0.output == nil }, [false, true, true])
        let decoded = try JSONSerialization.jsonObject(with: Data((records[0].output ?? "").utf8)) as? NSDictionary
        XCTAssertEqual(decoded, ["curves": [[1, 2]], "frames": 3] as NSDictionary)
        XCTAssertEqual(try store.shardOutputs(job: other).map(\.output), [nil])
        XCTAssertEqual(try store.shardOutputs(job: 9_999_999), [])

        // Bad JSON never reaches the merge.
        let last = try store.claim(worker: "w", limit: 1, leaseSeconds: 60)[0]
        XCTAssertThrowsError(try store.complete(worker: "w", [(last, handOver("{not json"))]))
        try store.complete(worker: "w", [(last, handOver("[]"))])
        XCTAssertEqual(try store.shardOutputs(job: id).map(\.output?.isEmpty), [false, nil, false])
    }

    // MARK: Workers and waiting

    func workersWhoseHeartbeatStopsAreMarkedLost() throws {
        try store.registerWorker(id: "a", host: "h", pid: 1, slots: 1)
        try harness.advance(100)
        try store.registerWorker(id: "b", host: "h", pid: 2, slots: 1)
        XCTAssertEqual(try store.markLostWorkers(olderThan: 60), 1)
        XCTAssertEqual(try store.markLostWorkers(olderThan: 60), 0, "already lost")
        try store.heartbeat(worker: "a", leaseSeconds: 30, holding: [])
        XCTAssertEqual(try store.markLostWorkers(olderThan: 60), 0, "a heartbeat brings it back")
        try store.setWorkerState(id: "a", state: .stopped)
        try harness.advance(100)
        XCTAssertEqual(try store.markLostWorkers(olderThan: 60), 1, "a stopped worker is not lost")
    }

    func waitersWakeWhenTasksBecomeReady() throws {
        let waiter = try harness.session()
        defer { waiter.close() }
        try waiter.subscribe(to: .tasksReady)
        _ = try waiter.wait(for: .tasksReady, timeout: 0)  // whatever happened before
        XCTAssertFalse(try waiter.wait(for: .tasksReady, timeout: 0.2), "nothing happened")
        try job(tasks: 1)
        XCTAssertTrue(try waiter.wait(for: .tasksReady, timeout: 5))
        try waiter.subscribe(to: .jobSubmitted)
        _ = try store.submit(kind: "bench", input: "x", params: [:])
        XCTAssertTrue(try waiter.wait(for: .jobSubmitted, timeout: 5))
        XCTAssertTrue(try store.holdLeadership())
    }
}
