import Foundation
import Shared
import XCTest

/// schema.sql's layout rules, checked without a database: numbered sections hold no function,
/// every function lives once in the repeatable section, and the catalog the in-memory store
/// checks rows against reads every results table.
final class SchemaSectionsTests: XCTestCase {
    private static let createFunction = try! NSRegularExpression(
        pattern: #"create\s+(or\s+replace\s+)?function\s+(\w+)"#, options: [.caseInsensitive])

    private func functions(in sql: String) -> [String] {
        Self.createFunction.matches(in: sql, range: NSRange(sql.startIndex..., in: sql)).compactMap {
            Range($0.range(at: 2), in: sql).map { String(sql[$0]) }
        }
    }

    func testNumberedSectionsHoldNoFunctions() {
        for migration in Migrations.all {
            XCTAssertEqual(functions(in: migration.sql), [], "migration \(migration.version) creates functions: move them to the repeatable section")
        }
    }

    func testEveryFunctionIsCreatedOnceInTheRepeatableSection() throws {
        XCTAssertEqual(Migrations.repeatables.map(\.name), ["functions"])
        let sql = try XCTUnwrap(Migrations.repeatables.first?.sql)
        let names = functions(in: sql)
        XCTAssertEqual(names.count, Set(names).count, "a function is created twice: \(names)")
        XCTAssertEqual(Set(names), [
            "slipline_after_terminal", "slipline_claim", "slipline_complete", "slipline_fail", "slipline_reap_expired",
            "slipline_release", "slipline_cancel", "slipline_retry", "slipline_heartbeat", "slipline_register_worker",
            "slipline_set_worker_state", "slipline_grant_results",
            // migration 8 (queue scaling): lost leases, fast recovery, retention
            "slipline_requeue_lost", "slipline_release_gone_worker", "slipline_prune", "slipline_detach_results",
            // issue 14 item 5: completion in one call, bookkeeping shared with slipline_after_terminal
            "slipline_finish", "slipline_finish_staged", "slipline_book",
            // issue 14 item 5, third pass: completion and the next claim in one call
            "slipline_finish_claim",
            // the completion fence (slipline_finish; slipline_finish_claim writes it out)
            "slipline_mark_done",
            // the lease renewal that names cancelled and reaped tasks (slipline_heartbeat wraps it)
            "slipline_renew_leases",
            // the planner statistics of a job's results tables, refreshed by the completion that ends it
            "slipline_refresh_statistics",
        ])
        XCTAssertEqual(sql.components(separatedBy: "CREATE OR REPLACE FUNCTION").count - 1, names.count,
                       "every function is CREATE OR REPLACE, so that the section can run again")
        XCTAssertTrue(sql.contains("SECURITY DEFINER SET search_path"), "the worker operations' privileges are re-applied")
    }

    func testTheRepeatableSectionComesAfterEveryNumberedOne() throws {
        let lines = schemaText.split(separator: "\n").map(String.init)
        let lastNumbered = try XCTUnwrap(lines.lastIndex { $0.hasPrefix("-- migrate:") })
        let repeatable = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("-- repeatable:") })
        XCTAssertGreaterThan(repeatable, lastNumbered)
    }

    func testParsingStopsANumberedSectionAtARepeatableOne() {
        let text = """
            -- header
            -- migrate: 1 first
            CREATE TABLE a (x int);
            -- repeatable: fns
            CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
            -- migrate: 2 second
            CREATE TABLE b (y int);
            """
        XCTAssertEqual(Migrations.parse(text).map(\.version), [1, 2])
        XCTAssertEqual(Migrations.parse(text).map(\.sql), ["CREATE TABLE a (x int);", "CREATE TABLE b (y int);"])
        XCTAssertEqual(Migrations.parseRepeatables(text).map(\.name), ["fns"])
        XCTAssertEqual(Migrations.parseRepeatables(text).first?.sql.hasPrefix("CREATE OR REPLACE FUNCTION f()"), true)
    }

    func testTheCatalogReadsTablesAndAddedColumns() throws {
        let catalog = SchemaCatalog.embedded
        XCTAssertEqual(catalog.tables["bench_results"],
                       ["task_id": "bigint", "job_id": "bigint", "item": "int", "worker_id": "text", "attempt": "int",
                        "written_at": "timestamptz"])
        XCTAssertEqual(catalog.tables["shard_outputs"], ["task_id": "bigint", "job_id": "bigint", "output": "jsonb"])
        XCTAssertEqual(catalog.tables["tasks"]?["counted"], "boolean", "ALTER TABLE … ADD COLUMN is read too")
        XCTAssertEqual(catalog.tables["jobs"]?["retry_base_s"], "double precision")
        XCTAssertNil(catalog.tables["jobs"]?["CHECK"], "constraint lines are not columns")
    }
}
