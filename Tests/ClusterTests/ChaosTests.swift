import Foundation
import Kernels
import Shared
import SliplineTestSupport
import XCTest

/// A real TEM job while worker processes are SIGKILLed at random and restarted, and the
/// PostgreSQL server crashes and restarts once: the job still ends `done` with every frame's
/// results exactly once and no task left leased. The test also proves its chaos happened while
/// the job ran (a job that ends before the first kill proves nothing): every kill hit a live
/// worker of an unfinished job, the server really restarted mid-job, and leases were lost.
final class ChaosTests: XCTestCase {
    func testTEMJobSurvivesKilledWorkersAndADatabaseRestart() throws {
        let pg = try TestCluster.privateCluster("chaos")
        defer { TestCluster.destroy(pg) }
        let url = pg.url
        try Migrations.migrate(try PGConnection(url))

        let frames = 120
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-chaos-\(getpid())")
        defer { try? FileManager.default.removeItem(at: input) }
        let synth = try CtlProcess.run(["synth", "tem", input.path, "--frames", "\(frames)", "--difficulty", "easy", "--seed", "7"], timeout: 300)
        XCTAssertEqual(synth.status, 0, synth.output)

        var conn = try PGConnection(url)
        let job = try TaskQueue.submit(conn, kind: "tem", input: input.path, params: ["frames_per_task": "1"], maxAttempts: 25, retryBaseSeconds: 0.05)
        let coordinator = try CtlProcess(["coordinator", "--database", url, "--log-level", "error"])
        func startWorker() throws -> CtlProcess {
            try CtlProcess(["worker", "--database", url, "--slots", "1", "--lease", "2", "--poll", "0.3", "--shutdown-grace", "1", "--log-level", "warning"])
        }
        var workers = try (0..<3).map { _ in try startWorker() }
        var graveyard: [CtlProcess] = []
        defer {
            for p in workers + [coordinator] { p.signal(SIGTERM) }
            for p in workers + [coordinator] where p.wait(timeout: 10) == nil { p.signal(SIGKILL) }
        }

        // Chaos tied to progress rather than the clock, so that it happens mid-job on a fast
        // machine as on a slow one: a worker is SIGKILLed as the job passes each of these
        // fractions, the server crashes once half way; the victims come from a seeded generator.
        var rng = SeededRandom(seed: 20_251_121)
        let killAt: [Double] = [0.05, 0.2, 0.35, 0.65, 0.8]
        var nextKill = 0
        var kills = 0
        var restarted = false
        var restartedMidJob = false
        var killsMidJob = 0
        var missedKills: [String] = []
        let serverStart = try conn.exec("SELECT pg_postmaster_start_time()::text").string(0, 0)
        let chaosStart = Date()
        func progress() -> (fraction: Double, final: Bool) {
            guard let record = try? TaskQueue.job(conn, id: job), record.nTasks > 0 else { return (0, false) }
            return (Double(record.nDone) / Double(record.nTasks), record.state.isFinal)
        }
        while Date().timeIntervalSince(chaosStart) < 60 {
            let (fraction, final) = progress()
            if final { break }
            if !restarted && fraction >= 0.5 {
                try pg.kill()  // a crash: no checkpoint, every connection cut
                Thread.sleep(forTimeInterval: 1)
                try pg.start()
                restarted = true
                conn = try PGConnection(url)
                restartedMidJob = !progress().final
                continue
            }
            if nextKill < killAt.count && fraction >= killAt[nextKill] {
                nextKill += 1
                let victim = Int(rng.next() % UInt64(workers.count))
                let wasRunning = workers[victim].wait(timeout: 0) == nil
                workers[victim].signal(SIGKILL)
                workers[victim].wait(timeout: 10)
                graveyard.append(workers[victim])
                kills += 1
                let finalAfterKill = progress().final
                if wasRunning && !finalAfterKill {
                    killsMidJob += 1
                } else {
                    // Say why this kill proves nothing, so that a failure names its cause.
                    missedKills.append(wasRunning ? "kill \(kills) at \(String(format: "%.2f", fraction)): the job had already ended"
                        : "kill \(kills): worker \(victim) had already exited on its own (status \(workers[victim].process.terminationStatus), \(workers[victim].process.terminationReason == .uncaughtSignal ? "signal" : "exit")):\n" + String(workers[victim].output.suffix(1500)))
                }
                workers[victim] = try startWorker()
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        if !restarted {
            try pg.kill(); Thread.sleep(forTimeInterval: 1); try pg.start(); restarted = true
            conn = try PGConnection(url)
        }

        let record = try ClusterJobs.wait(conn, job, timeout: 150)
        let logs = (workers + graveyard + [coordinator]).map(\.output).joined(separator: "\n").suffix(6000)
        XCTAssertEqual(record.state, .done, String(logs))
        XCTAssertEqual(kills, killAt.count, "every planned kill happened")
        XCTAssertEqual(killsMidJob, killAt.count, "each kill hit a live worker while the job was still running: " + missedKills.joined(separator: "\n"))
        XCTAssertTrue(restartedMidJob, "the database restart happened while the job was running")
        let serverRestarted = try conn.exec("SELECT pg_postmaster_start_time()::text").string(0, 0)
        XCTAssertNotEqual(serverRestarted, serverStart, "the server really restarted")
        let lost = try conn.exec("SELECT coalesce(sum(lost_leases), 0)::int FROM tasks WHERE job_id = $1", [job]).int(0, 0) ?? 0
        XCTAssertGreaterThanOrEqual(lost, 1, "killed workers lost leases that were recovered")
        let perFrame = try conn.exec("SELECT count(*), count(DISTINCT frame_index), min(frame_index), max(frame_index) FROM tem_frames WHERE job_id = $1", [job])
        XCTAssertEqual(perFrame.allRows(), [["\(frames)", "\(frames)", "0", "\(frames - 1)"]], "every frame has its row, exactly once")
        let perDislocation = try conn.exec(
            "SELECT count(*) = count(DISTINCT (frame_index, dislocation_id)) FROM tem_dislocations WHERE job_id = $1", [job])
        XCTAssertEqual(perDislocation.bool(0, 0), true, "no dislocation recorded twice")
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tem_report_results WHERE job_id = $1", [job]).int(0, 0), 1)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks WHERE state = 'leased'").int(0, 0), 0, "no task left leased")
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND state <> 'done'", [job]).int(0, 0), 0)
        let retried = try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND attempts > 1", [job]).int(0, 0) ?? 0
        print("chaos: \(kills) workers killed, 1 database restart, \(retried) tasks re-run, \(lost) lost leases, \(String(format: "%.1f", Date().timeIntervalSince(chaosStart))) s")
    }
}
