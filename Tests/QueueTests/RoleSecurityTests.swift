import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The worker role of schema migration 5: a worker logged in as a member of `slipline_worker`
/// completes jobs, and that role can neither change the schema nor write queue rows directly.
final class RoleSecurityTests: XCTestCase {
    func testWorkerRoleCompletesAJobButCannotTouchTheQueueDirectly() throws {
        let url = try TestCluster.freshDatabase("roles")
        let conn = try PGConnection(url)
        let role = "w_\(getpid())_\(Int.random(in: 0..<1_000_000))"
        defer { _ = try? conn.exec("DROP OWNED BY \(role)"); _ = try? conn.exec("DROP ROLE IF EXISTS \(role)") }

        // The password goes in on stdin, never on the command line.
        let pwFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(role).pw")
        try "correct horse battery staple\n".write(to: pwFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: pwFile) }
        let created = try CtlProcess.run(["db", "create-role", "worker", role, "--password-file", pwFile.path, "--database", url])
        XCTAssertEqual(created.status, 0, created.output)
        XCTAssertTrue(created.output.contains("member of slipline_worker"), created.output)
        let verifier = try conn.exec("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [role]).string(0, 0) ?? ""
        XCTAssertTrue(verifier.hasPrefix("SCRAM-SHA-256$"), "only a SCRAM verifier is stored")
        let again = try CtlProcess.run(["db", "create-role", "worker", role, "--password-file", pwFile.path, "--database", url])
        XCTAssertEqual(again.status, 0, "re-running updates the password: \(again.output)")

        // The test cluster trusts local connections: log in as the new role without a password.
        let workerURL = url.replacingOccurrences(of: "postgresql://\(EmbeddedPostgres.superuser)@", with: "postgresql://\(role)@")
        XCTAssertNotEqual(workerURL, url)
        let job = try submitBench(conn, tasks: 6, sleepMs: 10)
        let coordinator = try CtlProcess(["coordinator", "--database", url, "--log-level", "warning"])
        let worker = try CtlProcess(["worker", "--database", workerURL, "--slots", "2", "--lease", "5", "--poll", "0.2"])
        defer {
            for p in [worker, coordinator] { p.signal(SIGTERM) }
            for p in [worker, coordinator] { p.wait(timeout: 15) }
        }
        let record = try waitForJob(conn, job, timeout: 60)
        XCTAssertEqual(record.state, .done, worker.output)
        XCTAssertEqual(try conn.exec("SELECT count(DISTINCT item) FROM bench_results WHERE job_id = $1", [job]).int(0, 0), 6)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM bench_merges WHERE job_id = $1", [job]).int(0, 0), 1)
        worker.signal(SIGTERM)
        XCTAssertEqual(worker.wait(timeout: 15), 0, worker.output)
        XCTAssertEqual(try conn.exec("SELECT state FROM workers").allRows(), [["stopped"]], "registration and shutdown went through the functions")

        // What the role may not do.
        let asWorker = try PGConnection(workerURL)
        XCTAssertEqual(try asWorker.exec("SELECT current_user").string(0, 0), role)
        let forbidden = [
            "DROP TABLE bench_results",
            "UPDATE jobs SET state = 'cancelled'",
            "DELETE FROM tasks",
            "UPDATE tasks SET state = 'queued'",
            "INSERT INTO jobs (kind, input) VALUES ('bench', 'x')",
            "DELETE FROM workers",
            "CREATE TABLE evil (x int)",
            "ALTER TABLE tasks ADD COLUMN evil int",
            "SELECT slipline_cancel(\(job))",
            "SELECT slipline_reap_expired()",
            // the bookkeeping behind slipline_finish is not idempotent: a worker calling it could inflate counters
            "SELECT slipline_book(ARRAY[1]::bigint[])",
            "TRUNCATE bench_results",
        ]
        for statement in forbidden {
            XCTAssertThrowsError(try asWorker.exec(statement), statement) { error in
                XCTAssertTrue("\(error)".contains("permission denied") || "\(error)".contains("must be owner"), "\(statement): \(error)")
            }
        }
        XCTAssertEqual(try conn.exec("SELECT state FROM jobs WHERE id = $1", [job]).string(0, 0), "done")
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1", [job]).int(0, 0), 7)
        // … and what it may: read, and write results rows.
        XCTAssertEqual(try asWorker.exec("SELECT count(*) FROM tasks WHERE job_id = $1", [job]).int(0, 0), 7)
        XCTAssertNoThrow(try asWorker.exec("DELETE FROM bench_results WHERE task_id = -1"))
        let resultsTables = try conn.exec(
            "SELECT count(*) FROM information_schema.table_privileges WHERE grantee = 'slipline_worker' AND privilege_type = 'INSERT'"
        ).int(0, 0) ?? 0
        XCTAssertGreaterThanOrEqual(resultsTables, 2, "every results table (task_id + job_id) is writable")
    }

    func testReaderRoleReadsWithTimeoutsAndCannotWrite() throws {
        let url = try TestCluster.freshDatabase("reader")
        let conn = try PGConnection(url)
        let role = "r_\(getpid())_\(Int.random(in: 0..<1_000_000))"
        defer { _ = try? conn.exec("DROP ROLE IF EXISTS \(role)") }
        let pw = FileManager.default.temporaryDirectory.appendingPathComponent("\(role).pw")
        try "a reader's long password".write(to: pw, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: pw) }
        let created = try CtlProcess.run(["db", "create-role", "reader", role, "--password-file", pw.path, "--database", url])
        XCTAssertEqual(created.status, 0, created.output)
        _ = try submitBench(conn, tasks: 1)
        let reader = try PGConnection(url.replacingOccurrences(of: "postgresql://\(EmbeddedPostgres.superuser)@", with: "postgresql://\(role)@"))
        XCTAssertEqual(try reader.exec("SELECT count(*) FROM jobs_overview").int(0, 0), 1)
        XCTAssertEqual(try reader.exec("SHOW statement_timeout").string(0, 0), "5min")
        XCTAssertEqual(try reader.exec("SHOW idle_in_transaction_session_timeout").string(0, 0), "1min")
        XCTAssertThrowsError(try reader.exec("UPDATE jobs SET priority = 1"))
        XCTAssertThrowsError(try reader.exec("SELECT slipline_claim('x', 1, 1)"))
    }

    func testCreateRoleRefusesShortPasswordsAndBadNames() throws {
        let url = try TestCluster.freshDatabase("roles2")
        let pw = FileManager.default.temporaryDirectory.appendingPathComponent("short-\(getpid()).pw")
        try "short".write(to: pw, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: pw) }
        let short = try CtlProcess.run(["db", "create-role", "worker", "w_short", "--password-file", pw.path, "--database", url])
        XCTAssertNotEqual(short.status, 0)
        XCTAssertTrue(short.output.contains("at least 8 characters"), short.output)
        try "long enough password".write(to: pw, atomically: true, encoding: .utf8)
        let owner = try CtlProcess.run(["db", "create-role", "worker", EmbeddedPostgres.superuser, "--password-file", pw.path, "--database", url])
        XCTAssertNotEqual(owner.status, 0, "the superuser must not be turned into a worker role")
        XCTAssertTrue(owner.output.contains("privileged"), owner.output)
        let bad = try CtlProcess.run(["db", "create-role", "worker", "Robert'); DROP", "--password-file", pw.path, "--database", url])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("lower-case letters"), bad.output)
    }
}
