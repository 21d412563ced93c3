import Coordinator
import Foundation
import Shared
import SliplineTestSupport
import Worker
import XCTest

/// No task runs twice when nothing crashes, however many workers claim at once.
final class ClaimExclusivityTests: XCTestCase {
    func testEightConcurrentClaimersNeverShareATask() throws {
        let url = try TestCluster.freshDatabase("excl")
        let conn = try PGConnection(url)
        let job = try submitBench(conn, tasks: 3000, merge: false)
        try planAll(conn)

        let claimed = Collected()
        let group = DispatchGroup()
        for w in 0..<8 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let c = try? PGConnection(url) else { return }
                while true {
                    // Batches of odd sizes so that claimers interleave in the index.
                    guard let batch = try? TaskQueue.claim(c, worker: "w\(w)", limit: 7 + w * 5, leaseSeconds: 60),
                          !batch.isEmpty else { return }
                    claimed.append(batch.map(\.id))
                }
            }.start()
        }
        group.wait()
        XCTAssertEqual(claimed.ids.count, 3000)
        XCTAssertEqual(Set(claimed.ids).count, 3000, "a task was claimed twice")
        let r = try conn.exec("SELECT count(*) FILTER (WHERE attempts = 1 AND state = 'leased'), count(*) FROM tasks WHERE job_id = $1", [job])
        XCTAssertEqual(r.int(0, 0), 3000)
    }

    func testEightWorkersRunEveryTaskExactlyOnce() throws {
        let url = try TestCluster.freshDatabase("eight")
        let conn = try PGConnection(url)
        let cluster = InProcessCluster(conninfo: url, workers: 8, slots: 1)
        cluster.start()
        defer { cluster.stop() }
        let job = try submitBench(conn, tasks: 2000, sleepMs: 0)
        let record = try waitForJob(conn, job)
        XCTAssertEqual(record.state, .done)
        let r = try conn.exec(
            """
            SELECT count(*), count(DISTINCT item), count(DISTINCT worker_id), max(attempt)
            FROM bench_results WHERE job_id = $1
            """, [job])
        XCTAssertEqual(r.int(0, 0), 2000)
        XCTAssertEqual(r.int(0, 1), 2000)
        XCTAssertEqual(r.int(0, 3), 1, "with no crash no task may need a second attempt")
        XCTAssertGreaterThan(r.int(0, 2) ?? 0, 1, "work should spread over several workers")
        let attempts = try conn.exec("SELECT max(attempts), min(attempts) FROM tasks WHERE job_id = $1", [job])
        XCTAssertEqual(attempts.int(0, 0), 1)
        XCTAssertEqual(attempts.int(0, 1), 1)
    }
}

/// Ids gathered from several threads.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int64] = []
    func append(_ more: [Int64]) { lock.lock(); storage += more; lock.unlock() }
    var ids: [Int64] { lock.lock(); defer { lock.unlock() }; return storage }
}
