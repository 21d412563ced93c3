import Foundation
import Logging
import Shared
import SliplineTestSupport

/// A store under test and what the conformance suite needs around it: more sessions, time
/// moving on, and a look at results tables.
struct StoreHarness {
    let store: any TaskStore
    /// Another session on the same queue (PostgreSQL: another connection).
    let session: () throws -> any TaskStore
    /// Lets `seconds` pass for leases, backoffs and heartbeats.
    let advance: (_ seconds: Double) throws -> Void
    /// The given columns (as text) of a job's rows in a results table, by task id.
    let rows: (_ table: String, _ job: Int64, _ columns: [String]) throws -> [[String?]]

    /// An in-memory store on a manual clock.
    static func inMemory() -> StoreHarness {
        let clock = ManualClock()
        let store = InMemoryTaskStore(clock: clock)
        return StoreHarness(
            store: store, session: { store.session() }, advance: { clock.advance(by: $0) },
            rows: { table, job, columns in
                store.rows(in: table).filter { $0.jobId == job }
                    .enumerated().sorted { ($0.element.taskId, $0.offset) < ($1.element.taskId, $1.offset) }
                    .map { row in columns.map { row.element.values[$0] ?? nil } }
            })
    }

    /// A `PostgresTaskStore` on a fresh database of the test cluster. PostgreSQL's clock cannot
    /// be moved, so time passes by moving every stored deadline and heartbeat back instead.
    static func postgres(_ label: String) throws -> StoreHarness {
        let url = try TestCluster.freshDatabase(label)
        let conn = try PGConnection(url)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return StoreHarness(
            store: PostgresTaskStore(conninfo: url, logger: logger),
            session: { PostgresTaskStore(conninfo: url, logger: logger) },
            advance: { seconds in
                try conn.exec("""
                    UPDATE tasks SET lease_expires_at = lease_expires_at - make_interval(secs => $1),
                                     run_after = run_after - make_interval(secs => $1)
                    """, [seconds])
                try conn.exec("UPDATE workers SET heartbeat_at = heartbeat_at - make_interval(secs => $1)", [seconds])
                try conn.exec("UPDATE jobs SET finished_at = finished_at - make_interval(secs => $1)", [seconds])
            },
            rows: { table, job, columns in
                let list = columns.map { "\($0)::text" }.joined(separator: ", ")
                return try conn.exec("SELECT \(list) FROM \(table) WHERE job_id = $1 ORDER BY task_id, ctid", [job]).allRows()
            })
    }
}
