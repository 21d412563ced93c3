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

    func testTasksHeldBeyondTheCapacityLongerTasksAllowAreSurplus() {
        var policy = ClaimPolicy(slots: 1, holdSeconds: 0.05, maxBatch: 256)
        policy.claimed(1)
        policy.finished(after: 0.0001)
        XCTAssertEqual(policy.wanted, 256, "no-op tasks earn a full batch")
        policy.claimed(100)
        XCTAssertEqual(policy.surplus(queued: 99), 0, "while durations say they are short, nothing is surplus")
        policy.finished(after: 0.4)  // the first of them took 0.4 s
        XCTAssertEqual(policy.capacity, 2)
        XCTAssertEqual(policy.surplus(queued: 98), 97, "keep a running task's follow-up, give back the rest")
        XCTAssertEqual(policy.surplus(queued: 10), 10, "never more than what waits unstarted")
        policy.gaveBack(97)
        XCTAssertEqual(policy.inFlight, 2)
        XCTAssertEqual(policy.surplus(queued: 1), 0)
        XCTAssertEqual(policy.wanted, 0)
    }
}
