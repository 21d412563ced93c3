import Coordinator
import Foundation
import Logging
import Shared
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
    func testWorkersWhoseHeartbeatStopsAreMarkedLost() throws { try suite().workersWhoseHeartbeatStopsAreMarkedLost() }
    func testWaitersWakeWhenTasksBecomeReady() throws { try suite().waitersWakeWhenTasksBecomeReady() }

    // MARK: Beyond the conformance suite

    /// The coordinator and workers run on any store: a bench job through the real services,
    /// with retries, and no database.
    func testServicesRunABenchJobInMemory() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = InMemoryTaskStore()
        let coordinator = CoordinatorService(
            stores: .inMemory(store), planners: [BenchPlanner()],
            configuration: CoordinatorConfiguration(tickSeconds: 0.1, workerLostSeconds: 5), logger: logger)
        let workers = (0..<2).map { _ in
            WorkerService(stores: .inMemory(store),
                          configuration: WorkerConfiguration(slots: 2, leaseSeconds: 5, pollSeconds: 0.2, shutdownGraceSeconds: 2),
                          runners: [BenchRunner()], logger: logger)
        }
        let group = DispatchGroup()
        group.enter()
        Thread { coordinator.run(); group.leave() }.start()
        for worker in workers {
            group.enter()
            Thread { try? worker.run(); group.leave() }.start()
        }
        let job = try store.submit(kind: "bench", input: "memory",
                                   params: ["tasks": "40", "fail": "first", "merge": "false"], priority: 0, maxAttempts: 3,
                                   retryBaseSeconds: 0.01)
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline, try store.job(job)?.state.isFinal != true { usleep(20_000) }
        coordinator.stop.signal()
        workers.forEach { $0.stop.signal() }
        group.wait()

        XCTAssertEqual(try store.job(job)?.state, .done)
        let rows = store.rows(in: "bench_results").filter { $0.jobId == job }
        XCTAssertEqual(rows.count, 40, "one row per shard, none duplicated")
        XCTAssertEqual(Set(rows.map { $0.values["attempt"] ?? nil }), ["2"], "every first attempt failed as asked")
        XCTAssertTrue(coordinator.isLeader)
        XCTAssertEqual(workers.map(\.tasksFinished).reduce(0, +), 80)
    }
}
