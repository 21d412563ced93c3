@testable import Dashboard
import XCTest

/// When live updates are read and pushed, as pure decisions over times.
final class LiveUpdatePacerTests: XCTestCase {
    func testTheFirstListIsReadAtOnceAndNothingWhileNobodyWatches() {
        var pacer = LiveUpdatePacer(fallback: nil, startingAt: 0)
        XCTAssertNil(pacer.nextPublish(watched: false), "nothing is read for no one")
        XCTAssertTrue(pacer.isDue(at: 0.05, watched: true))
        pacer.published(at: 0.05)
        XCTAssertNil(pacer.nextPublish(watched: true), "no notification, no fallback: nothing more")
    }

    func testAStreamOfNotificationsIsPushedAtMostFourTimesASecond() {
        var pacer = LiveUpdatePacer(fallback: nil, startingAt: 0)
        pacer.published(at: 0)
        var pushes: [Double] = []
        // A notification every 10 ms for 3 s (a queue announcing many jobs), the loop looking every ms.
        for ms in 1...4000 {
            let t = Double(ms) / 1000
            if ms <= 3000 && ms % 10 == 0 { pacer.notified(at: t) }
            if pacer.isDue(at: t, watched: true) { pacer.published(at: t); pushes.append(t) }
        }
        let gaps = zip(pushes.dropFirst(), pushes).map { $0 - $1 }
        XCTAssertGreaterThanOrEqual(gaps.min() ?? 1, 0.25 - 1e-9, "\(pushes)")
        XCTAssertGreaterThanOrEqual(pushes.count, 11, "yet it keeps pushing while notifications come: \(pushes)")
        XCTAssertGreaterThan(pushes.last ?? 0, 3.0 + pacer.trailing - 1e-9, "a trailing read after the last notification")
    }

    func testALoneNotificationIsPushedPromptlyAndOnceMoreAfterTheQueuesQuietWindow() {
        var pacer = LiveUpdatePacer(fallback: nil, startingAt: 0)
        pacer.published(at: 0)
        pacer.notified(at: 10)
        XCTAssertEqual(pacer.nextPublish(watched: true) ?? 0, 10 + pacer.gather, accuracy: 1e-9)
        pacer.published(at: 10 + pacer.gather)
        // Completions within the queue's 250 ms window were not announced: one more read covers them.
        XCTAssertEqual(pacer.nextPublish(watched: true) ?? 0, 10 + pacer.trailing, accuracy: 1e-9)
        XCTAssertGreaterThan(pacer.trailing, 0.25, "longer than the queue's per-job window")
        pacer.published(at: 10 + pacer.trailing)
        XCTAssertNil(pacer.nextPublish(watched: true))
    }

    func testTheFallbackPollRunsOnlyWhileSomeoneWatches() {
        var pacer = LiveUpdatePacer(fallback: 10, startingAt: 0)
        pacer.published(at: 0)
        XCTAssertEqual(pacer.nextPublish(watched: true), 10)
        XCTAssertNil(pacer.nextPublish(watched: false))
        XCTAssertFalse(pacer.isDue(at: 9.9, watched: true))
        XCTAssertTrue(pacer.isDue(at: 10, watched: true))
    }

    func testANewStreamGetsAFreshListWithoutATrailingRead() {
        var pacer = LiveUpdatePacer(fallback: nil, startingAt: 0)
        pacer.published(at: 0)
        pacer.requested(at: 100)
        XCTAssertTrue(pacer.isDue(at: 100 + pacer.gather, watched: true))
        pacer.published(at: 100 + pacer.gather)
        XCTAssertNil(pacer.nextPublish(watched: true))
    }
}
