import Shared
import XCTest

/// The conformance suite on `PostgresTaskStore`, on a fresh database of the test cluster each.
final class PostgresTaskStoreTests: XCTestCase {
    private func suite() throws -> TaskStoreConformance { TaskStoreConformance(harness: try .postgres("conf")) }

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
}
