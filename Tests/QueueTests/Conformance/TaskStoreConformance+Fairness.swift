import Foundation
import Shared
import XCTest

/// Fairness (issue 14): jobs of equal priority share workers round-robin; a higher priority
/// goes first.
extension TaskStoreConformance {
    func aSmallJobBehindADeepOneAlternatesWithIt() throws {
        let deep = try job(tasks: 200)
        XCTAssertEqual(Set(try store.claim(worker: "w", limit: 20, leaseSeconds: 600).map(\.jobId)), [deep])
        let small = try job(tasks: 5)
        var order: [Int64] = []
        for _ in 0..<10 { order += try store.claim(worker: "w", limit: 1, leaseSeconds: 600).map(\.jobId) }
        XCTAssertEqual(order, [deep, small, deep, small, deep, small, deep, small, deep, small],
                       "round-robin from where the deep job stood, not after it")
        XCTAssertEqual(try store.taskCounts(job: small), [.leased: 5])
    }

    func jobsPlannedTogetherInterleaveAndPriorityGoesFirst() throws {
        let a = try job(tasks: 3)
        let b = try job(tasks: 3)
        let urgent = try job(tasks: 2, priority: 1)
        let order = try store.claim(worker: "w", limit: 8, leaseSeconds: 600).map(\.jobId)
        XCTAssertEqual(order, [urgent, urgent, a, b, a, b, a, b])
    }
}
