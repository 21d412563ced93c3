import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The completion that ends a job refreshes the planner statistics of the results tables its
/// outputs name, in the same transaction (`slipline_refresh_statistics`): autovacuum would not
/// analyze a grown table for one more job, and a plan made for "a few rows" of the newest job
/// ran a view's join for minutes (schema.sql, docs/scaling.md).
final class JobStatisticsTests: XCTestCase {
    func testTheCompletionThatEndsAJobAnalyzesTheTablesItsOutputsName() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("stats"))
        _ = try submitBench(conn, tasks: 2)
        try planAll(conn)
        let shards = try TaskQueue.claim(conn, worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(shards.count, 2)
        for shard in shards {
            let rows = ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"], rows: [[0, "w", shard.attempt]])
            try TaskQueue.complete(conn, worker: "w", [(shard, TaskOutput(results: [rows], refreshingWhenJobEnds: ["bench_results"]))])
        }
        // reltuples is −1 (never analyzed) or 0 until the rows are analyzed; autovacuum waits for 50 changed rows.
        XCTAssertLessThanOrEqual(try XCTUnwrap(try reltuples(conn, "bench_results")), 0, "the job has not ended: nothing analyzed yet")
        let merge = try TaskQueue.claim(conn, worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(merge.map(\.role), [.merge])
        try TaskQueue.complete(conn, worker: "w", [(merge[0], TaskOutput(refreshingWhenJobEnds: ["bench_results", "bench_merges"]))])
        XCTAssertEqual(try conn.exec("SELECT state FROM jobs").allRows(), [["done"]])
        XCTAssertEqual(try reltuples(conn, "bench_results"), 2, "the job's two rows are in the planner's statistics")
        XCTAssertEqual(try reltuples(conn, "bench_merges"), 0)
    }

    func testAnOutputNamingNoTablesAnalyzesNothing() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("nostats"))
        _ = try submitBench(conn, tasks: 1, merge: false)
        try planAll(conn)
        let task = try TaskQueue.claim(conn, worker: "w", limit: 1, leaseSeconds: 60)[0]
        let rows = ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"], rows: [[0, "w", task.attempt]])
        try TaskQueue.complete(conn, worker: "w", [(task, TaskOutput(results: [rows]))])
        XCTAssertEqual(try conn.exec("SELECT state FROM jobs").allRows(), [["done"]])
        XCTAssertLessThanOrEqual(try XCTUnwrap(try reltuples(conn, "bench_results")), 0)
    }

    private func reltuples(_ conn: PGConnection, _ table: String) throws -> Int? {
        try conn.exec("SELECT reltuples::int FROM pg_class WHERE oid = to_regclass($1)", [table]).int(0, 0)
    }
}
