import Foundation
import Shared
import XCTest

/// `StopFlag.child()`: a task's "give up" flag under its worker's stop flag.
final class StopFlagTests: XCTestCase {
    func testAChildIsSetByItsParentButNotTheOtherWayRound() {
        let parent = StopFlag()
        let child = parent.child()
        child.signal()
        XCTAssertTrue(child.isSet)
        XCTAssertFalse(parent.isSet, "a cancelled task does not stop its worker")
        let sibling = parent.child()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { parent.signal() }
        XCTAssertTrue(sibling.wait(timeout: 5), "the parent's signal wakes a child's wait")
        XCTAssertTrue(parent.child().isSet, "a child made after the parent was set is set at once")
    }

    func testADetachedChildNoLongerFollowsItsParent() {
        let parent = StopFlag()
        let child = parent.child()
        parent.detach(child)
        parent.signal()
        XCTAssertFalse(child.isSet)
    }
}
