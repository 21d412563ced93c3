import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// A real TEM job while worker processes are SIGKILLed at random and restarted, and the
/// PostgreSQL server crashes and restarts once: the job still ends `done` with every frame's
/// results exactly once and no task left leased.
final class ChaosTests: XCTestCase {
    func testTEMJobSurvivesKilledWorkersAndADatabaseRestart() throws {
        let pg = try TestCluster.privateCluster("chaos")
        defer { TestCluster.destroy(pg) }
        let url = pg.url
        try Migrations.migrate(try PGConnection(url))

        let frames = 24
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-chaos-\(getpid())")
        defer { try? FileManager.default.removeItem(at: input) }
        let synth = try CtlProcess.run(["synth", "tem", input.path, "--frames", "\(frames)", "--difficulty", "easy", "--seed", "7"], timeout: 300)
        XCTAssertEqual(synth.status, 0, synth.output)

        var conn = try PGConnection(url)
        let job = try TaskQueue.submit(conn, kind: "tem", input: input.path, params: ["frames_per_task": "2"], maxAttempts: 25, retryBaseSeconds: 0.05)
        let coordinator = try CtlProcess(["coordinator", "--database", url, "--log-level", "error"])
        func startWorker() throws -> CtlProcess {
            try CtlProcess(["worker", "--database", url, "--slots", "1", "--lease", "2", "--poll", "0.3", "--shutdown-grace", "1", "--log-level", "error"])
        }
        var workers = try (0..<3).map { _ in try startWorker() }
        var graveyard: [CtlProcess] = []
        defer {
            for p in workers + [coordinator] { p.signal(SIGTERM) }
            for p in workers + [coordinator] where p.wait(timeout: 10) == nil { p.signal(SIGKILL) }
        }

        // Chaos: a seeded schedule, so that a failure can be replayed.
        var rng = SplitMix(seed: 20_251_121)
        var kills = 0
        var restarted = false
        let chaosStart = Date()
        func progress() -> (done: Int, final: Bool) {
            guard let record = try? TaskQueue.job(conn, id: job) else { return (0, false) }
            return (record.nDone, record.state.isFinal)
        }
        while Date().timeIntervalSince(chaosStart) < 25 {
            Thread.sleep(forTimeInterval: 0.8 + Double(rng.next() % 1200) / 1000)
            let (done, final) = progress()
            if final { break }
            if !restarted && (done >= 2 || Date().timeIntervalSince(chaosStart) > 8) {
                try pg.kill()  // a crash: no checkpoint, every connection cut
                Thread.sleep(forTimeInterval: 1)
                try pg.start()
                restarted = true
                conn = try PGConnection(url)
                continue
            }
            let victim = Int(rng.next() % UInt64(workers.count))
            workers[victim].signal(SIGKILL)
            workers[victim].wait(timeout: 10)
            graveyard.append(workers[victim])
            kills += 1
            workers[victim] = try startWorker()
        }
        if !restarted {
            try pg.kill(); Thread.sleep(forTimeInterval: 1); try pg.start(); restarted = true
            conn = try PGConnection(url)
        }

        let record = try ClusterJobs.wait(conn, job, timeout: 150)
        let logs = (workers + graveyard + [coordinator]).map(\.output).joined(separator: "\n").suffix(6000)
        XCTAssertEqual(record.state, .done, String(logs))
        XCTAssertGreaterThanOrEqual(kills, 2, "the chaos really happened")
        let perFrame = try conn.exec("SELECT count(*), count(DISTINCT frame_index), min(frame_index), max(frame_index) FROM tem_frames WHERE job_id = $1", [job])
        XCTAssertEqual(perFrame.allRows(), [["\(frames)", "\(frames)", "0", "\(frames - 1)"]], "every frame has its row, exactly once")
        let perDislocation = try conn.exec(
            "SELECT count(*) = count(DISTINCT (frame_index, dislocation_id)) FROM tem_dislocations WHERE job_id = $1", [job])
        XCTAssertEqual(perDislocation.bool(0, 0), true, "no dislocation recorded twice")
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tem_report_results WHERE job_id = $1", [job]).int(0, 0), 1)
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks WHERE state = 'leased'").int(0, 0), 0, "no task left leased")
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND state <> 'done'", [job]).int(0, 0), 0)
        let retried = try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND attempts > 1", [job]).int(0, 0) ?? 0
        print("chaos: \(kills) workers killed, 1 database restart, \(retried) tasks re-run, \(String(format: "%.1f", Date().timeIntervalSince(chaosStart))) s")
    }
}

/// A small seeded generator for reproducible chaos schedules.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
