import Foundation
import Shared
import XCTest

/// Lost leases (issue 14): a task whose worker died is retried on its own budget, apart from
/// `max_attempts` for errors, and a worker restarted on the same host frees its dead
/// predecessor's leases at once.
extension TaskStoreConformance {
    func lostLeasesHaveTheirOwnBudget() throws {
        let id = try job(tasks: 1, maxAttempts: 1)
        for lost in 1...9 {
            let task = try store.claim(worker: "w\(lost)", limit: 1, leaseSeconds: 10)
            XCTAssertEqual(task.map(\.attempt), [lost], "requeued at once, no backoff")
            try harness.advance(11)
            let reaped = try store.reapExpired()
            XCTAssertEqual([reaped.requeued, reaped.died], [1, 0], "lost lease \(lost) of 10 is not an error")
        }
        XCTAssertEqual(try store.attemptSummary(job: id),
                       AttemptSummary(errors: 0, lostLeases: 9, maxLostLeasesOfATask: 9, lostLeaseBudget: 10))
        // An error still counts against max_attempts (1) whatever leases were lost before.
        let tenth = try store.claim(worker: "w10", limit: 1, leaseSeconds: 10)[0]
        XCTAssertEqual(try store.attemptSummary(job: id).errors, 0, "a running attempt is no error")
        XCTAssertEqual(try store.fail(worker: "w10", task: tenth, message: "boom"), .dead)
        XCTAssertEqual(try store.attemptSummary(job: id).errors, 1)
        XCTAssertEqual(try store.failures(job: id).map(\.error), ["boom"])
    }

    func theTenthLostLeaseKillsTheTask() throws {
        let id = try job(tasks: 1, maxAttempts: 3)
        for _ in 1...10 {
            _ = try store.claim(worker: "w", limit: 1, leaseSeconds: 10)
            try harness.advance(11)
            _ = try store.reapExpired()
        }
        XCTAssertEqual(try store.taskCounts(job: id), [.dead: 1])
        XCTAssertEqual(try store.failures(job: id).map(\.error),
                       ["lease expired: worker w stopped renewing it (lost lease 10 of 10)"])
        XCTAssertEqual(try store.job(id)?.state, .failed)
        XCTAssertEqual(try store.retry(job: id), 1)
        XCTAssertEqual(try store.attemptSummary(job: id).lostLeases, 0, "a retry starts a fresh budget")
    }

    func aRestartedWorkerFreesItsDeadPredecessorsLeases() throws {
        let id = try job(tasks: 4)
        try store.registerWorker(id: "dead", host: "node1", pid: 111, slots: 2)
        try store.registerWorker(id: "alive", host: "node1", pid: 222, slots: 1)
        try store.registerWorker(id: "elsewhere", host: "node2", pid: 111, slots: 1)
        let ofDead = try store.claim(worker: "dead", limit: 2, leaseSeconds: 600)
        let ofAlive = try store.claim(worker: "alive", limit: 1, leaseSeconds: 600)
        let ofElsewhere = try store.claim(worker: "elsewhere", limit: 1, leaseSeconds: 600)
        try store.registerWorker(id: "successor", host: "node1", pid: 333, slots: 2)
        var asked: [Int] = []
        let released = try store.releasePredecessors(host: "node1", except: "successor") { pid in
            asked.append(pid)
            return pid != 111
        }
        XCTAssertEqual(released, 2)
        XCTAssertEqual(asked.sorted(), [111, 222], "only workers of its own host, not itself")
        let again = try store.claim(worker: "successor", limit: 10, leaseSeconds: 600)
        XCTAssertEqual(Set(again.map(\.id)), Set(ofDead.map(\.id)), "claimable at once, lease not waited out")
        XCTAssertTrue(again.allSatisfy { $0.attempt == 2 })
        XCTAssertEqual(try store.complete(worker: "dead", ofDead.map { ($0, output($0, by: "dead")) }), [], "fenced")
        XCTAssertEqual(try store.complete(worker: "alive", ofAlive.map { ($0, output($0, by: "alive")) }).count, 1)
        XCTAssertEqual(try store.complete(worker: "elsewhere", ofElsewhere.map { ($0, output($0, by: "x")) }).count, 1)
        XCTAssertEqual(try store.attemptSummary(job: id).lostLeases, 2)
        XCTAssertEqual(try store.releasePredecessors(host: "node1", except: "successor") { $0 != 111 }, 0, "once")
    }
}

extension TaskStoreConformance {
    /// The lease renewal names the held tasks that are no longer the worker's — its job
    /// cancelled, its lease reaped and claimed by another — so that the worker stops them; the
    /// others are renewed, and an orphan (leased, not known to the worker) is released.
    func leaseRenewalNamesTasksNoLongerTheWorkers() throws {
        let doomed = try job(tasks: 2)
        try store.registerWorker(id: "w", host: "h", pid: 1, slots: 4)
        let cancelledTasks = try store.claim(worker: "w", limit: 2, leaseSeconds: 10)
        let kept = try job(tasks: 3)
        let mine = try store.claim(worker: "w", limit: 3, leaseSeconds: 10)
        XCTAssertEqual(Set(mine.map(\.jobId)), [kept])
        XCTAssertTrue(try store.cancel(job: doomed))
        var renewal = try store.renewLeases(worker: "w", leaseSeconds: 10,
                                            holding: (cancelledTasks + mine.dropLast()).map(\.id))
        XCTAssertEqual(renewal, LeaseRenewal(orphansReleased: 1, lost: Set(cancelledTasks.map(\.id))),
                       "the cancelled job's tasks are lost; the unknown one is released")
        // A lease that expires while the worker is stalled, reaped and claimed elsewhere.
        try harness.advance(11)
        XCTAssertEqual(try store.reapExpired().requeued, 2)
        let taken = try store.claim(worker: "other", limit: 3, leaseSeconds: 10)
        XCTAssertEqual(taken.count, 3, "the reaped two and the released one")
        renewal = try store.renewLeases(worker: "w", leaseSeconds: 10, holding: mine.dropLast().map(\.id))
        XCTAssertEqual(renewal, LeaseRenewal(orphansReleased: 0, lost: Set(mine.dropLast().map(\.id))))
        XCTAssertEqual(try store.renewLeases(worker: "other", leaseSeconds: 10, holding: taken.map(\.id)),
                       LeaseRenewal(orphansReleased: 0, lost: []), "renewed, nothing lost")
        XCTAssertEqual(try store.heartbeat(worker: "other", leaseSeconds: 10, holding: taken.map(\.id)), 0)
    }
}
