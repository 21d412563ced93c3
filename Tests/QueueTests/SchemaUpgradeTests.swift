import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// Databases made by an earlier schema.sql upgrade in place, and the repeatable section of SQL
/// functions is re-applied whenever its text changes.
final class SchemaUpgradeTests: XCTestCase {
    /// schema.sql as of commit a2b4aba: functions created in sections 1, 5 and 6.
    static let schemaA2b4aba: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/schema-a2b4aba.sql")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    /// The worker operations that must run as the schema owner with a pinned search_path.
    static let workerFunctions = [
        "slipline_claim", "slipline_complete", "slipline_after_terminal", "slipline_fail", "slipline_release",
        "slipline_heartbeat", "slipline_register_worker", "slipline_set_worker_state", "slipline_finish",
        "slipline_finish_staged", "slipline_finish_claim", "slipline_renew_leases", "slipline_refresh_statistics",
    ]

    /// Applies schema text the way `Migrations.migrate` did at a2b4aba: each numbered section,
    /// recorded with its checksum, then the worker role's results grants.
    static func applyAsA2b4aba(_ text: String, to conn: PGConnection) throws {
        try conn.transaction {
            try conn.exec("SELECT pg_advisory_xact_lock(hashtext('slipline.migrate'))")
            try conn.exec("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
            for migration in Migrations.parse(text) {
                try conn.execScript(StaticOrEmbedded(migration: migration))
                try conn.exec("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                              [migration.version, migration.name, migration.checksum])
            }
            try conn.exec("SELECT slipline_grant_results()")
        }
    }

    func testTheSupersededChecksumsAreThoseOfSchemaA2b4aba() throws {
        let old = Migrations.parse(Self.schemaA2b4aba)
        XCTAssertEqual(old.map(\.version), [1, 2, 3, 4, 5, 6], "fixture missing or unreadable")
        XCTAssertTrue(Migrations.parseRepeatables(Self.schemaA2b4aba).isEmpty)
        for migration in old {
            let current = try XCTUnwrap(Migrations.all.first { $0.version == migration.version })
            if let superseded = Migrations.supersededChecksums[migration.version] {
                XCTAssertNotEqual(migration.checksum, current.checksum, "section \(migration.version) was rewritten")
                XCTAssertTrue(superseded.contains(migration.checksum), "section \(migration.version): \(migration.checksum)")
            } else {
                XCTAssertEqual(migration.checksum, current.checksum, "section \(migration.version) must be unchanged")
            }
        }
    }

    func testADatabaseMadeBySchemaA2b4abaUpgradesInPlace() throws {
        let conn = try PGConnection(try TestCluster.emptyDatabase("upgrade"))
        try Self.applyAsA2b4aba(Self.schemaA2b4aba, to: conn)
        XCTAssertEqual(try Migrations.currentVersion(conn), 6)

        // A job planned and half run by the old schema: three bench shards and a merge, one
        // shard done with its result row.
        let job = try conn.exec(
            "INSERT INTO jobs (kind, input, params, state, n_tasks, started_at) VALUES ('bench', 'old', '{\"tasks\": \"3\"}', 'running', 4, now()) RETURNING id"
        ).int64(0, 0) ?? 0
        let shards = try conn.exec(
            "INSERT INTO tasks (job_id, kind, role, payload) SELECT $1, 'bench', 'shard', jsonb_build_object('item', i) FROM generate_series(0, 2) i RETURNING id",
            [job]).allRows().compactMap { $0[0].flatMap(Int64.init) }
        let merge = try conn.exec(
            "INSERT INTO tasks (job_id, kind, role, deps_pending) VALUES ($1, 'bench.merge', 'merge', 3) RETURNING id", [job]
        ).int64(0, 0) ?? 0
        try conn.exec("INSERT INTO task_deps (task_id, depends_on) SELECT $1, unnest($2::bigint[])", [merge, PGArray(shards)])
        let first = try conn.exec("SELECT task_id, attempt FROM slipline_claim('old-worker', 1, 60)")
        XCTAssertEqual(first.int64(0, 0), shards[0])
        try conn.transaction {
            try conn.exec("SELECT slipline_complete('old-worker', $1::bigint[], '{1}')", [PGArray([shards[0]])])
            try conn.exec("INSERT INTO bench_results (task_id, job_id, item, worker_id, attempt) VALUES ($1, $2, 0, 'old-worker', 1)",
                          [shards[0], job])
            try conn.exec("SELECT slipline_after_terminal($1::bigint[])", [PGArray([shards[0]])])
        }

        let report = try Migrations.run(conn)
        XCTAssertEqual(report.adopted, [1, 5, 6], "the rewritten sections are accepted, not refused")
        XCTAssertEqual(report.versions, Migrations.all.map(\.version).filter { $0 >= 7 }, "every later section (numbers may skip)")
        XCTAssertEqual(report.repeatables, ["functions"])
        XCTAssertNoThrow(try Migrations.verify(conn))
        let recorded = try conn.exec("SELECT version, checksum FROM schema_migrations ORDER BY version").allRows()
        XCTAssertEqual(recorded, Migrations.all.map { [String($0.version), $0.checksum] })

        // The job survived, with the merge's kind reduced to its data kind (migration 7).
        let record = try XCTUnwrap(try TaskQueue.job(conn, id: job))
        XCTAssertEqual([record.state.rawValue, "\(record.nTasks)", "\(record.nDone)"], ["running", "4", "1"])
        XCTAssertEqual(try conn.exec("SELECT kind, role, deps_pending FROM tasks WHERE id = $1", [merge]).allRows(), [["bench", "merge", "2"]])
        XCTAssertEqual(try conn.exec("SELECT worker_id FROM bench_results WHERE job_id = $1", [job]).allRows(), [["old-worker"]])

        // The re-created functions run the rest of it, and keep their privileges.
        let store = PostgresTaskStore(connection: conn)
        let rest = try store.claim(worker: "new-worker", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(rest.map(\.id), Array(shards[1...]), "the merge still waits for its shards")
        let outputs = rest.map { task in
            (task, TaskOutput(results: [ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                                                   rows: [[Int(task.id - shards[0]), "new-worker", task.attempt]])]))
        }
        XCTAssertEqual(try store.complete(worker: "new-worker", outputs), Set(rest.map(\.id)))
        let mergeTask = try store.claim(worker: "new-worker", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(mergeTask.map(\.id), [merge])
        XCTAssertEqual(try store.complete(worker: "new-worker", [(mergeTask[0], .none)]), [merge])
        XCTAssertEqual(try store.job(job)?.state, .done)
        XCTAssertEqual(try store.job(job)?.nDone, 4)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM bench_results WHERE job_id = $1", [job]).int(0, 0), 3)
        try assertWorkerFunctionsAreSecured(conn)

        // A second run changes nothing.
        let stamps = try conn.exec("SELECT name, applied_at FROM schema_repeatables").allRows()
        XCTAssertTrue(try Migrations.run(conn).isEmpty)
        XCTAssertEqual(try conn.exec("SELECT name, applied_at FROM schema_repeatables").allRows(), stamps)
    }

    func testAChangedRepeatableSectionIsAppliedAgain() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("repeat"))
        XCTAssertTrue(try Migrations.run(conn).isEmpty)
        // As if this binary's functions were newer than the database's: another text recorded,
        // and a function that behaves differently.
        try conn.exec("UPDATE schema_repeatables SET checksum = 'older' WHERE name = 'functions'")
        try conn.exec("CREATE OR REPLACE FUNCTION slipline_cancel(p_job bigint) RETURNS boolean LANGUAGE sql AS 'SELECT false'")
        try conn.exec("ALTER FUNCTION slipline_claim(text, int, double precision) SECURITY INVOKER")
        XCTAssertThrowsError(try Migrations.verify(conn)) { error in
            XCTAssertEqual(error as? MigrationError, .repeatableOutdated(name: "functions"))
            XCTAssertTrue("\(error)".contains("ctl db migrate"), "\(error)")
        }

        let report = try Migrations.run(conn)
        XCTAssertEqual(report.repeatables, ["functions"])
        XCTAssertEqual(report.versions, [])
        XCTAssertNoThrow(try Migrations.verify(conn))
        XCTAssertEqual(try conn.exec("SELECT checksum FROM schema_repeatables").string(0, 0), Migrations.repeatables.first?.checksum)
        let store = PostgresTaskStore(connection: conn)
        let job = try store.submit(kind: "bench", input: "x", params: [:], priority: 0, maxAttempts: 3, retryBaseSeconds: 1)
        XCTAssertTrue(try store.cancel(job: job), "slipline_cancel is the schema's again")
        try assertWorkerFunctionsAreSecured(conn)
        XCTAssertTrue(try Migrations.run(conn).isEmpty)
    }

    /// A database owner without CREATEROLE (a managed server) migrates too: the role blocks
    /// skip what they may not do, and the functions still get the worker role's grants when
    /// that role exists (roles are per cluster).
    func testAnOwnerWithoutCreateRoleMigratesAndRunsAJob() throws {
        let url = try TestCluster.emptyDatabase("nocreaterole")
        let admin = try PGConnection(url)
        let role = "owner_\(getpid())_\(Int.random(in: 0..<1_000_000))"
        let database = try XCTUnwrap(admin.exec("SELECT current_database()").string(0, 0))
        // The worker role as another database's migration left it (this owner cannot create it).
        _ = try? admin.exec("CREATE ROLE slipline_worker NOLOGIN")
        try admin.exec("CREATE ROLE \(role) LOGIN NOCREATEROLE NOSUPERUSER")
        try admin.exec("ALTER DATABASE \(database) OWNER TO \(role)")
        defer {
            admin.close()
            let cleanup = try? PGConnection(url.replacingOccurrences(of: "/\(database)?", with: "/postgres?"))
            _ = try? cleanup?.exec("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
            _ = try? cleanup?.exec("DROP ROLE IF EXISTS \(role)")
        }
        let owner = try PGConnection(url.replacingOccurrences(of: "postgresql://\(EmbeddedPostgres.superuser)@", with: "postgresql://\(role)@"))
        XCTAssertEqual(try owner.exec("SELECT current_user").string(0, 0), role)
        let report = try Migrations.run(owner)
        XCTAssertEqual(report.versions, Migrations.all.map(\.version))
        XCTAssertEqual(report.repeatables, ["functions"])
        XCTAssertNoThrow(try Migrations.verify(owner))
        try assertWorkerFunctionsAreSecured(owner)

        let store = PostgresTaskStore(connection: owner)
        let job = try store.submit(kind: "bench", input: "x", params: ["tasks": "1"])
        XCTAssertEqual(try store.planNext { _ in TaskPlan(shards: [TaskSpec(kind: "bench", payload: "{}")]) }?.jobId, job)
        let task = try XCTUnwrap(try store.claim(worker: "w", limit: 1, leaseSeconds: 60).first)
        XCTAssertEqual(try store.complete(worker: "w", [(task, .none)]), [task.id])
        XCTAssertEqual(try store.job(job)?.state, .done)
        XCTAssertTrue(try Migrations.run(owner).isEmpty)
    }

    /// Every worker operation is SECURITY DEFINER with a pinned search_path, callable by the
    /// worker role and not by PUBLIC.
    private func assertWorkerFunctionsAreSecured(_ conn: PGConnection, file: StaticString = #filePath, line: UInt = #line) throws {
        let rows = try conn.exec(
            """
            SELECT p.proname, p.prosecdef, array_to_string(p.proconfig, ',') LIKE '%search_path=%',
                   has_function_privilege('slipline_worker', p.oid, 'EXECUTE'),
                   coalesce(p.proacl::text LIKE '%"=X/%' OR p.proacl::text LIKE '%,=X/%' OR p.proacl::text LIKE '{=X/%', true)
            FROM pg_proc p WHERE p.proname = ANY ($1::text[]) ORDER BY p.proname
            """, [PGArray(Self.workerFunctions)]).allRows()
        XCTAssertEqual(rows.count, Self.workerFunctions.count, "each worker function exists once", file: file, line: line)
        for row in rows {
            XCTAssertEqual(Array(row[1...]), ["t", "t", "t", "f"], "\(row[0] ?? "?"): definer, search_path, worker may, PUBLIC may not",
                           file: file, line: line)
        }
    }
}
