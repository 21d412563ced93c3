import Coordinator
import Foundation
import Kinds
import Logging
import Shared
import SliplineTestSupport
import Worker
import XCTest

/// The conformance suite on `InMemoryTaskStore` (no database: part of `ops/test.sh --fast`).
///
/// Each check of `TaskStoreConformance` is listed here and in `PostgresTaskStoreTests` (XCTest on
/// Linux finds only the test methods a class declares itself, not inherited ones): add a new
/// check to both.
final class InMemoryTaskStoreTests: XCTestCase {
    private func suite() -> TaskStoreConformance { TaskStoreConformance(harness: .inMemory()) }

    func testClaimOrderAndExclusivity() throws { try suite().claimOrderAndExclusivity() }
    func testConcurrentClaimersNeverShareATask() throws { try suite().concurrentClaimersNeverShareATask() }
    func testLateCompletionIsFenced() throws { try suite().lateCompletionIsFenced() }
    func testFailuresAreRetriedAfterBackoffThenDead() throws { try suite().failuresAreRetriedAfterBackoffThenDead() }
    func testExpiredLeasesAreReapedAndHeartbeatsRenewThem() throws { try suite().expiredLeasesAreReapedAndHeartbeatsRenewThem() }
    func testReleaseGivesTasksBackWithoutCountingTheAttempt() throws { try suite().releaseGivesTasksBackWithoutCountingTheAttempt() }
    func testMergesWaitForEveryShardAndJobsEnd() throws { try suite().mergesWaitForEveryShardAndJobsEnd() }
    func testPlanningFixesOutputDirectoriesAndFailsBadJobs() throws { try suite().planningFixesOutputDirectoriesAndFailsBadJobs() }
    func testCancelStopsAJobAndDiscardsRunningResults() throws { try suite().cancelStopsAJobAndDiscardsRunningResults() }
    func testRetryRequeuesDeadTasksAndTheirMerge() throws { try suite().retryRequeuesDeadTasksAndTheirMerge() }
    func testResultsOfARerunReplaceTheEarlierOnes() throws { try suite().resultsOfARerunReplaceTheEarlierOnes() }
    func testTablesAlsoClearedLoseAnEarlierAttemptsRows() throws { try suite().tablesAlsoClearedLoseAnEarlierAttemptsRows() }
    func testRowsThatDoNotFitTheirTableAreRefusedWhole() throws { try suite().rowsThatDoNotFitTheirTableAreRefusedWhole() }
    func testShardOutputsHandTheMergeEachShardsOutput() throws { try suite().shardOutputsHandTheMergeEachShardsOutput() }
    func testPartialMergesWaitForTheirShardsAndHandOnTheirOutputs() throws { try suite().partialMergesWaitForTheirShardsAndHandOnTheirOutputs() }
    func testPlansWithOverlappingPartialsFailTheJob() throws { try suite().plansWithOverlappingPartialsFailTheJob() }
    func testWorkersWhoseHeartbeatStopsAreMarkedLost() throws { try suite().workersWhoseHeartbeatStopsAreMarkedLost() }
    func testWaitersWakeWhenTasksBecomeReady() throws { try suite().waitersWakeWhenTasksBecomeReady() }
    func testLostLeasesHaveTheirOwnBudget() throws { try suite().lostLeasesHaveTheirOwnBudget() }
    func testTheTenthLostLeaseKillsTheTask() throws { try suite().theTenthLostLeaseKillsTheTask() }
    func testLeaseRenewalNamesTasksNoLongerTheWorkers() throws { try suite().leaseRenewalNamesTasksNoLongerTheWorkers() }
    func testARestartedWorkerFreesItsDeadPredecessorsLeases() throws { try suite().aRestartedWorkerFreesItsDeadPredecessorsLeases() }
    func testPruneRemovesOldEndedJobsTasksAndKeepsResults() throws { try suite().pruneRemovesOldEndedJobsTasksAndKeepsResults() }
    func testASmallJobBehindADeepOneAlternatesWithIt() throws { try suite().aSmallJobBehindADeepOneAlternatesWithIt() }
    func testJobsPlannedTogetherInterleaveAndPriorityGoesFirst() throws { try suite().jobsPlannedTogetherInterleaveAndPriorityGoesFirst() }

    // MARK: Beyond the conformance suite

    /// The coordinator and workers run on any store: a bench job through the real services,
    /// with retries, and no database.
    func testServicesRunABenchJobInMemory() throws {
        let store = InMemoryTaskStore()
        let (job, workers) = try runJob(on: store, runners: [BenchKind().runner],
                                        params: ["tasks": "40", "fail": "first", "merge": "false"])
        XCTAssertEqual(try store.job(job)?.state, .done)
        let rows = store.rows(in: "bench_results").filter { $0.jobId == job }
        XCTAssertEqual(rows.count, 40, "one row per shard, none duplicated")
        XCTAssertEqual(Set(rows.map { $0.values["attempt"] ?? nil }), ["2"], "every first attempt failed as asked")
        XCTAssertEqual(workers.map(\.tasksFinished).reduce(0, +), 80)
    }

    /// A runner whose rows do not fit their table fails its task with the store's message
    /// (instead of its lease running out), and the rest of the batch is recorded.
    func testRowsThatDoNotFitFailTheirTaskWithTheReason() throws {
        struct Misnamed: TaskRunner {
            var kinds: [String] { ["bench"] }
            func run(_ task: ClaimedTask, context: TaskContext) throws -> TaskOutput {
                let item = task.payload.contains(#""item":0,"#) ? "itme" : "item"
                return TaskOutput(results: [ResultRows(table: "bench_results", columns: [item, "worker_id", "attempt"],
                                                       rows: [[0, context.workerId, task.attempt]])])
            }
        }
        let store = InMemoryTaskStore()
        let (job, _) = try runJob(on: store, runners: [Misnamed()], params: ["tasks": "6", "merge": "false"], maxAttempts: 2)
        XCTAssertEqual(try store.job(job)?.state, .failed)
        XCTAssertEqual(try store.taskCounts(job: job), [.done: 5, .dead: 1])
        let failure = try XCTUnwrap(try store.failures(job: job).first)
        XCTAssertEqual(failure.attempts, 2)
        XCTAssertTrue(failure.error.hasPrefix("results refused: results table 'bench_results' has no column 'itme'"), failure.error)
    }

    /// A worker whose first tasks were no-ops earns a large prefetch and claims a whole job of
    /// long tasks at once; once the first of them shows how long they take, it gives back what
    /// it cannot start soon (so a second worker, or a job retried meanwhile, is not kept waiting
    /// behind one slot's hoard — the operator page's cancel-then-retry hung on exactly this).
    func testAWorkerGivesBackThePrefetchThatLongTasksTurnOutNotToDeserve() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = InMemoryTaskStore()
        let coordinator = CoordinatorService(
            stores: .inMemory(store), planners: [BenchKind().planner],
            configuration: CoordinatorConfiguration(tickSeconds: 0.05, workerLostSeconds: 5), logger: logger)
        let worker = WorkerService(stores: .inMemory(store),
                                   configuration: WorkerConfiguration(slots: 1, leaseSeconds: 30, pollSeconds: 0.1, shutdownGraceSeconds: 2),
                                   runners: [BenchKind().runner], logger: logger)
        let group = DispatchGroup()
        group.enter(); Thread { coordinator.run(); group.leave() }.start()
        group.enter(); Thread { try? worker.run(); group.leave() }.start()
        defer { coordinator.stop.signal(); worker.stop.signal(); group.wait() }

        let quick = try store.submit(kind: "bench", input: "quick", params: ["tasks": "30", "merge": "false"], priority: 0,
                                     maxAttempts: 3, retryBaseSeconds: 0.01)
        XCTAssertTrue(try eventually(timeout: 20) { try store.job(quick)?.state == .done })
        let long = try store.submit(kind: "bench", input: "long", params: ["tasks": "30", "sleep_ms": "300", "merge": "false"],
                                    priority: 0, maxAttempts: 3, retryBaseSeconds: 0.01)
        // 30 × 0.3 s = 9 s of work for one slot: once one has run (within 4 s), it must hold at
        // most a running task and a short prefetch, the rest back in the queue.
        var counts: [TaskState: Int] = [:]
        let gaveBack = try eventually(timeout: 4) {
            counts = try store.taskCounts(job: long)
            return (counts[.done] ?? 0) >= 1 && (counts[.leased] ?? 0) <= 3 && (counts[.queued] ?? 0) >= 15
        }
        XCTAssertTrue(gaveBack, "the long job's tasks: \(counts)")
    }

    /// A worker holding a cancelled job's tasks — one running, a prefetch of others waiting —
    /// hears of the cancel at its next lease renewal: the running one is told to stop, the
    /// waiting ones are dropped unstarted, and another job's tasks run at once.
    func testACancelledJobsPrefetchIsDroppedAndItsRunningTaskStopped() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = InMemoryTaskStore()
        let gate = GateRunner()
        let coordinator = CoordinatorService(
            stores: .inMemory(store), planners: [BenchKind().planner],
            configuration: CoordinatorConfiguration(tickSeconds: 0.05, workerLostSeconds: 5), logger: logger)
        let worker = WorkerService(stores: .inMemory(store),
                                   configuration: WorkerConfiguration(slots: 1, leaseSeconds: 1.5, pollSeconds: 0.1, shutdownGraceSeconds: 2),
                                   runners: [gate], logger: logger)
        let group = DispatchGroup()
        group.enter(); Thread { coordinator.run(); group.leave() }.start()
        group.enter(); Thread { try? worker.run(); group.leave() }.start()
        defer { coordinator.stop.signal(); worker.stop.signal(); group.wait() }

        // No-op tasks first: their durations earn the worker a large prefetch.
        let quick = try store.submit(kind: "bench", input: "quick", params: ["tasks": "40", "merge": "false"], priority: 0,
                                     maxAttempts: 3, retryBaseSeconds: 0.01)
        XCTAssertTrue(try eventually(timeout: 20) { try store.job(quick)?.state == .done })
        let gated = try store.submit(kind: "bench", input: "gate", params: ["tasks": "30", "merge": "false"], priority: 0,
                                     maxAttempts: 3, retryBaseSeconds: 0.01)
        var counts: [TaskState: Int] = [:]
        XCTAssertTrue(try eventually(timeout: 10) {
            counts = try store.taskCounts(job: gated)
            return gate.started == 1 && (counts[.leased] ?? 0) >= 10
        }, "one gated task runs and the worker holds a prefetch of them: \(counts), started \(gate.started)")
        XCTAssertTrue(try store.cancel(job: gated))
        let other = try store.submit(kind: "bench", input: "other", params: ["tasks": "5", "merge": "false"], priority: 0,
                                     maxAttempts: 3, retryBaseSeconds: 0.01)
        let cancelledAt = Date()
        XCTAssertTrue(try eventually(timeout: 10) { try store.job(other)?.state == .done }, "the other job ran")
        let waited = Date().timeIntervalSince(cancelledAt)
        XCTAssertLessThan(waited, 0.5 + 2, "within a renewal interval (0.5 s) + 2 s")
        XCTAssertEqual(gate.started, 1, "the prefetched tasks of the cancelled job were dropped, not started")
        XCTAssertEqual(gate.stoppedByCancel, 1, "the running one saw its cancel flag")
        XCTAssertEqual(try store.taskCounts(job: gated), [.cancelled: 30])
    }

    /// Bench tasks, except those of input `gate`, which wait for their cancel flag (20 s at most).
    private final class GateRunner: TaskRunner, @unchecked Sendable {
        private let lock = NSLock()
        private var starts = 0, cancels = 0
        private let bench = BenchKind().runner
        var kinds: [String] { ["bench"] }
        var started: Int { lock.lock(); defer { lock.unlock() }; return starts }
        var stoppedByCancel: Int { lock.lock(); defer { lock.unlock() }; return cancels }

        func run(_ task: ClaimedTask, context: TaskContext) throws -> TaskOutput {
            guard task.jobInput == "gate" else { return try bench.run(task, context: context) }
            lock.lock(); starts += 1; lock.unlock()
            if context.cancelled.wait(timeout: 20) {
                lock.lock(); cancels += 1; lock.unlock()
                throw TaskError("gate: cancelled")
            }
            return TaskOutput(results: [])
        }
    }

    /// Runs a coordinator and two workers (two slots each) on `store` until the job submitted
    /// with `params` ends.
    private func runJob(on store: InMemoryTaskStore, runners: [any TaskRunner], params: [String: String],
                        maxAttempts: Int = 3) throws -> (job: Int64, workers: [WorkerService]) {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let coordinator = CoordinatorService(
            stores: .inMemory(store), planners: [BenchKind().planner],
            configuration: CoordinatorConfiguration(tickSeconds: 0.1, workerLostSeconds: 5), logger: logger)
        let workers = (0..<2).map { _ in
            WorkerService(stores: .inMemory(store),
                          configuration: WorkerConfiguration(slots: 2, leaseSeconds: 5, pollSeconds: 0.2, shutdownGraceSeconds: 2),
                          runners: runners, logger: logger)
        }
        let group = DispatchGroup()
        group.enter()
        Thread { coordinator.run(); group.leave() }.start()
        for worker in workers {
            group.enter()
            Thread { try? worker.run(); group.leave() }.start()
        }
        let job = try store.submit(kind: "bench", input: "memory", params: params, priority: 0, maxAttempts: maxAttempts,
                                   retryBaseSeconds: 0.01)
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline, try store.job(job)?.state.isFinal != true { usleep(20_000) }
        coordinator.stop.signal()
        workers.forEach { $0.stop.signal() }
        group.wait()
        XCTAssertTrue(coordinator.isLeader)
        return (job, workers)
    }
}
