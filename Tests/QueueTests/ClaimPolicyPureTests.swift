import Worker
import XCTest

final class ClaimPolicyPureTests: XCTestCase {
    func testBeforeAnyTaskRanItClaimsOnePerSlot() {
        let policy = ClaimPolicy(slots: 4)
        XCTAssertEqual(policy.wanted, 4)
    }

    func testShortTasksEarnAPrefetchCappedByTheBatch() {
        var policy = ClaimPolicy(slots: 2, holdSeconds: 0.05, maxBatch: 100)
        policy.claimed(2)
        policy.finished(after: 0.00001)
        policy.finished(after: 0.00001)
        XCTAssertEqual(policy.inFlight, 0)
        XCTAssertEqual(policy.wanted, 100, "no-op tasks should be claimed in full batches")
    }

    func testLongTasksGetNoPrefetch() {
        var policy = ClaimPolicy(slots: 3)
        policy.claimed(1)
        policy.finished(after: 2.0)
        XCTAssertEqual(policy.capacity, 3)
        policy.claimed(3)
        XCTAssertEqual(policy.wanted, 0, "a worker whose slots are busy with long tasks must not hoard more")
    }

    func testInFlightNeverGoesNegative() {
        var policy = ClaimPolicy(slots: 1)
        policy.finished(after: nil)
        XCTAssertEqual(policy.inFlight, 0)
    }
}
