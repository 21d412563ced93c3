import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// The real `ctl` binary: output contracts and exit codes from INTERFACE.md.
final class CtlCommandTests: XCTestCase {
    func testRunPrintsTheJobStateLastAndExitsZeroWhenDone() throws {
        let url = try TestCluster.freshDatabase("run")
        let (status, output) = try CtlProcess.run(["run", "demo", "--kind", "bench", "--param", "tasks=50", "--workers", "2", "--database", url])
        XCTAssertEqual(status, 0, output)
        let stdoutLast = output.split(separator: "\n").last.map(String.init)
        XCTAssertEqual(stdoutLast, "job 1 done")
        XCTAssertTrue(output.contains("merge saw 50"), output)
    }

    func testRunOfAFailingJobExitsNonZeroAndStatusShowsTheError() throws {
        let url = try TestCluster.freshDatabase("runfail")
        let (status, output) = try CtlProcess.run([
            "run", "demo", "--kind", "bench", "--param", "tasks=2", "--param", "fail=always", "--param", "merge=false",
            "--max-attempts", "2", "--retry-base", "0.05", "--database", url,
        ])
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.hasSuffix("job 1 failed\n"), output)
        let (s2, st) = try CtlProcess.run(["status", "1", "--database", url])
        XCTAssertEqual(s2, 0, st)
        XCTAssertTrue(st.contains("dead after 2 attempts: bench item 0: failing as asked"), st)
        XCTAssertTrue(st.contains("job 1 failed"), st)
        let (s3, waited) = try CtlProcess.run(["wait", "1", "--database", url])
        XCTAssertEqual(s3, 1)
        XCTAssertEqual(waited, "job 1 failed\n")
    }

    func testSubmitThenWorkerThenWaitCancelRetry() throws {
        let url = try TestCluster.freshDatabase("submit")
        let (s, out) = try CtlProcess.run(["submit", "x", "--kind", "bench", "--param", "tasks=30", "--database", url])
        XCTAssertEqual(s, 0, out)
        XCTAssertEqual(out.split(separator: "\n").last, "job 1 queued")
        let coordinator = try CtlProcess(["coordinator", "--database", url])
        let worker = try CtlProcess(["worker", "--database", url, "--slots", "2"])
        defer { [worker, coordinator].forEach { $0.signal(SIGTERM) }; [worker, coordinator].forEach { $0.wait(timeout: 15) } }
        let (ws, wout) = try CtlProcess.run(["wait", "1", "--database", url], timeout: 60)
        XCTAssertEqual(ws, 0, wout)
        XCTAssertEqual(wout, "job 1 done\n")

        let (cs, cout) = try CtlProcess.run(["cancel", "1", "--database", url])
        XCTAssertNotEqual(cs, 0, "a finished job cannot be cancelled")
        XCTAssertTrue(cout.contains("already ended"), cout)
        let (ls, list) = try CtlProcess.run(["status", "--database", url])
        XCTAssertEqual(ls, 0, list)
        XCTAssertTrue(list.contains("done"), list)
    }

    func testSqlIsReadOnlyAndPrintsCsv() throws {
        let url = try TestCluster.freshDatabase("sql")
        _ = try CtlProcess.run(["submit", "x", "--kind", "bench", "--param", "tasks=1", "--database", url])
        let (s, csv) = try CtlProcess.run(["sql", "SELECT job_id, kind, state FROM jobs_overview", "--csv", "--database", url])
        XCTAssertEqual(s, 0, csv)
        XCTAssertEqual(csv, "job_id,kind,state\n1,bench,queued\n")
        let (ds, denied) = try CtlProcess.run(["sql", "DELETE FROM jobs", "--database", url])
        XCTAssertNotEqual(ds, 0)
        XCTAssertTrue(denied.contains("read-only") || denied.contains("permission denied"), denied)
        let (ms, multi) = try CtlProcess.run(["sql", "COMMIT; DELETE FROM jobs", "--database", url])
        XCTAssertNotEqual(ms, 0, multi)
        XCTAssertEqual(try PGConnection(url).exec("SELECT count(*) FROM jobs").int(0, 0), 1, "nothing was deleted")
    }

    func testDeadDatabaseIsAClearErrorNotAHang() throws {
        let (s, out) = try CtlProcess.run(["status", "--database", "host=/nonexistent-dir dbname=x connect_timeout=2"], timeout: 30)
        XCTAssertNotEqual(s, 0)
        XCTAssertTrue(out.contains("cannot connect to the database"), out)
    }

    func testBadParamIsRejectedWithAHint() throws {
        let (s, out) = try CtlProcess.run(["submit", "x", "--kind", "bench", "--param", "novalue", "--database", "host=/x"])
        XCTAssertNotEqual(s, 0)
        XCTAssertTrue(out.contains("KEY=VALUE"), out)
    }

    func testEmbeddedDatabaseLifecycle() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-embedded-\(getpid())")
        let env = ["SLIPLINE_HOME": home.path]
        defer {
            _ = try? CtlProcess.run(["db", "stop"], environment: env)
            TestCluster.destroy(EmbeddedPostgres(home: home))
        }
        let (s0, st0) = try CtlProcess.run(["db", "status"], environment: env)
        XCTAssertNotEqual(s0, 0, "not created yet")
        XCTAssertTrue(st0.contains("not created"), st0)
        // First use creates and starts it.
        let (s1, run) = try CtlProcess.run(["run", "demo", "--kind", "bench", "--param", "tasks=10"], environment: env)
        XCTAssertEqual(s1, 0, run)
        XCTAssertTrue(run.hasSuffix("job 1 done\n"), run)
        let (s2, url) = try CtlProcess.run(["db", "url"], environment: env)
        XCTAssertEqual(s2, 0, url)
        XCTAssertTrue(url.hasPrefix("postgresql://"), url)
        // psql accepts it.
        if let psql = Subprocess.find("psql") {
            let r = try Subprocess.run(psql, [url.trimmingCharacters(in: .whitespacesAndNewlines), "-Atc", "SELECT count(*) FROM jobs"])
            XCTAssertEqual(r.output.trimmingCharacters(in: .whitespacesAndNewlines), "1", r.output)
        }
        let (m1, mig) = try CtlProcess.run(["db", "migrate"], environment: env)
        XCTAssertEqual(m1, 0, mig)
        XCTAssertTrue(mig.contains("up to date"), mig)
        let (s3, _) = try CtlProcess.run(["db", "stop"], environment: env)
        XCTAssertEqual(s3, 0)
        let (s4, st4) = try CtlProcess.run(["db", "status"], environment: env)
        XCTAssertNotEqual(s4, 0)
        XCTAssertTrue(st4.contains("stopped"), st4)
        // Started on demand again by any command.
        let (s5, st5) = try CtlProcess.run(["status", "1"], environment: env)
        XCTAssertEqual(s5, 0, st5)
        XCTAssertTrue(st5.hasSuffix("job 1 done\n"), st5)
    }
}
