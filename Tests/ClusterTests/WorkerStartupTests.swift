import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// A worker started while PostgreSQL is down (restarted by preemption or a failover) waits for
/// the server and then joins, instead of exiting — found by the chaos test, where a worker
/// restarted just before the server crash exited with "cannot connect".
final class WorkerStartupTests: XCTestCase {
    func testAWorkerStartedWhileTheServerIsDownWaitsForIt() throws {
        let pg = try TestCluster.privateCluster("waitstart")
        defer { TestCluster.destroy(pg) }
        try Migrations.migrate(try PGConnection(pg.url))
        try pg.kill()
        let worker = try CtlProcess(["worker", "--database", pg.url, "--slots", "1", "--poll", "0.3", "--log-level", "warning"])
        defer {
            worker.signal(SIGTERM)
            if worker.wait(timeout: 10) == nil { worker.signal(SIGKILL) }
        }
        Thread.sleep(forTimeInterval: 2)
        XCTAssertNil(worker.wait(timeout: 0), "the worker waits for the server instead of exiting: \(worker.output)")
        try pg.start()
        let conn = try PGConnection(pg.url)
        let joined = try eventually(timeout: 30) { (try conn.exec("SELECT count(*)::int FROM workers").int(0, 0) ?? 0) >= 1 }
        XCTAssertTrue(joined, "the worker registered once the server was back: \(worker.output)")
    }
}
