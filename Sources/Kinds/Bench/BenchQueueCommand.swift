import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl bench queue`.
struct BenchQueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "End-to-end throughput of no-op tasks through the real queue (claim, run, complete).")

    @Option(name: .long, help: "Number of no-op tasks.")
    var tasks: Int = 20_000

    @Option(name: .long, help: "Workers (each with its own connections) in this process.")
    var workers: Int = 2

    @Option(name: .long, help: "Slots per worker.")
    var slots: Int = 1

    @Option(name: .long, help: "Sleep per task, milliseconds (0: no-op).")
    var sleepMs: Double = 0

    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let logger = db.logger("slipline.bench", default: .warning)
        let info = try db.conninfo(migrate: true)
        let conn = try PGConnection(info)
        let jobId = try TaskQueue.submit(
            conn, kind: "bench", input: "bench-queue",
            params: ["tasks": "\(tasks)", "sleep_ms": "\(sleepMs)", "merge": "true"])
        // Plan first so that the measurement is claim → run → complete only.
        let cluster = LocalCluster(conninfo: info, workers: workers, slots: slots, logger: logger)
        var job = try TaskQueue.job(conn, id: jobId)
        let planStart = Date()
        cluster.start()
        while job?.state == .queued { Thread.sleep(forTimeInterval: 0.002); job = try TaskQueue.job(conn, id: jobId) }
        let start = Date()
        let planned = start.timeIntervalSince(planStart)
        let final = try JobWatcher.wait(conninfo: info, job: jobId, showProgress: false)
        let elapsed = (final.finishedAt ?? Date()).timeIntervalSince(final.startedAt ?? start)
        cluster.stop()
        let results = try conn.exec("SELECT count(*), count(DISTINCT task_id) FROM bench_results WHERE job_id = $1", [jobId])
        let rate = Double(final.nTasks) / elapsed
        print("bench queue: \(tasks) no-op tasks + 1 merge, \(workers) worker(s) × \(slots) slot(s), job \(jobId) \(final.state.rawValue)")
        print(String(format: "  planning (insert %d tasks): %.3f s", final.nTasks, planned))
        print(String(format: "  claim → run → complete: %.3f s = %.0f tasks/s", elapsed, rate))
        print(String(format: "  per-task overhead: %.1f µs of wall time per task per worker", elapsed * Double(workers) / Double(final.nTasks) * 1e6))
        print("  results: \(results.int(0, 0) ?? 0) rows for \(results.int(0, 1) ?? 0) distinct tasks")
        if final.state != .done { throw ExitCode(1) }
    }
}
