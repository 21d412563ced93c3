import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// A PostgreSQL restart in the middle of a job: workers and coordinator reconnect with
/// backoff and the job completes with every result exactly once.
final class DatabaseRestartTests: XCTestCase {
    func testJobSurvivesAServerCrashAndRestart() throws {
        let pg = try TestCluster.privateCluster("restart")
        defer { TestCluster.destroy(pg) }
        let url = pg.url
        try Migrations.migrate(try PGConnection(url))
        let job = try submitBench(try PGConnection(url), tasks: 60, sleepMs: 100)

        let coordinator = try CtlProcess(["coordinator", "--database", url, "--log-level", "error"])
        let workers = try (0..<2).map { _ in
            try CtlProcess(["worker", "--database", url, "--slots", "2", "--lease", "5", "--poll", "0.2", "--log-level", "error"])
        }
        defer {
            for p in workers + [coordinator] { p.signal(SIGTERM) }
            for p in workers + [coordinator] { p.wait(timeout: 15) }
        }
        XCTAssertTrue(try eventually(timeout: 30) {
            (try TaskQueue.job(try PGConnection(url), id: job)?.nDone ?? 0) >= 10
        })
        try pg.kill()  // as a crash: no checkpoint, connections cut
        Thread.sleep(forTimeInterval: 1.5)
        try pg.start()

        let conn = try PGConnection(url)
        let record = try waitForJob(conn, job, timeout: 120)
        XCTAssertEqual(record.state, .done, workers.map(\.output).joined())
        let r = try conn.exec("SELECT count(*), count(DISTINCT item) FROM bench_results WHERE job_id = $1", [job])
        XCTAssertEqual(r.allRows(), [["60", "60"]])
        XCTAssertEqual(try conn.exec("SELECT n_results FROM bench_merges WHERE job_id = $1", [job]).int(0, 0), 60)
        for w in workers { XCTAssertTrue(w.process.isRunning, "workers must survive the outage") }
    }
}
