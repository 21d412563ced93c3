import ArgumentParser
import Foundation
import Kernels
import Shared

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print their figures.",
        subcommands: [QueueBench.self, ScaleBench.self, BCDIBench.self, TEMBench.self, STEM4DBench.self])

    struct QueueBench: ParsableCommand {
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

    struct BCDIBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bcdi",
            abstract: "Ψ kernel timings: the paper's 256×256×96 case, a fully unmasked 512³ volume, and the derivative method on 128×128×64.")

        @Option(name: .long, help: "Threads for the 512³ case.")
        var threads: Int = 2

        @Option(name: .long, help: "Repetitions (best time is reported).")
        var repetitions: Int = 10

        @Flag(name: .long, help: "Skip the 512³ case (needs ≈1.2 GB of memory).")
        var small = false

        @Option(name: .long, help: "Global phase offsets of the derivative method.")
        var offsets: Int = 360

        func validate() throws {
            guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1…256") }
            guard (1...1000).contains(repetitions) else { throw ValidationError("--repetitions must be 1…1000") }
            guard (1...3600).contains(offsets) else { throw ValidationError("--offsets must be 1…3600") }
        }

        func run() throws {
            #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
            #endif
            let report = BCDIBenchmark.run(threads: threads, repetitions: repetitions, large: !small, derivativeOffsets: offsets)
            print(report.description)
        }
    }
}
