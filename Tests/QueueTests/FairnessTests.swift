import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// Issue 14, item 6: a small job submitted behind a 100,000-task job is not queued behind it
/// (first come, first served would make it wait for all 100,000): real workers and coordinator
/// on a real PostgreSQL share themselves between the two jobs round-robin.
final class FairnessTests: XCTestCase {
    func testASmallJobBehindA100000TaskJobFinishesWithinAFewOfItsTasks() throws {
        let url = try TestCluster.freshDatabase("fair")
        let conn = try PGConnection(url)
        let deep = try submitBench(conn, tasks: 100_000, sleepMs: 10, merge: false)
        let cluster = InProcessCluster(conninfo: url, workers: 2, slots: 2)
        cluster.start()
        defer { cluster.stop() }
        let running = Date(timeIntervalSinceNow: 60)
        while (try TaskQueue.job(conn, id: deep)?.nDone ?? 0) < 20, Date() < running { usleep(20_000) }
        let deepDoneBefore = try TaskQueue.job(conn, id: deep)?.nDone ?? 0
        XCTAssertGreaterThanOrEqual(deepDoneBefore, 20, "the deep job is running")

        let started = Date()
        let small = try submitBench(conn, tasks: 8, sleepMs: 10, merge: true)
        let record = try waitForJob(conn, small, timeout: 60)
        let seconds = Date().timeIntervalSince(started)
        let deepDoneMeanwhile = (try TaskQueue.job(conn, id: deep)?.nDone ?? 0) - deepDoneBefore
        XCTAssertEqual(record.state, .done)
        // Round-robin: about as many of the deep job's tasks as of the small one's (9), plus
        // what the workers had buffered; first come, first served would be ~100,000.
        XCTAssertLessThan(deepDoneMeanwhile, 200, "the small job waited behind the deep one")
        XCTAssertEqual(try TaskQueue.job(conn, id: deep)?.state, .running)
        _ = try TaskQueue.cancel(conn, job: deep)
        print("fairness: small job done in \(String(format: "%.2f", seconds)) s while the 100,000-task job did \(deepDoneMeanwhile) tasks")
    }
}
