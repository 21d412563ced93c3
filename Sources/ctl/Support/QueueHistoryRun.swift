import Coordinator
import Foundation
import Kinds
import Logging
import Shared

/// `ctl bench history --through-queue N`: a long history made the way production makes it.
/// Bench jobs of `perJob` no-op tasks are submitted and planned by the real planner, then every
/// batch is completed and the next claimed in one call (`TaskQueue.completeAndClaim`,
/// `slipline_finish_claim`; with `oneCall` false: `TaskQueue.complete` then `TaskQueue.claim`,
/// two transactions) — the functions a worker calls — in batches of
/// `batch` (a worker's recorder batches up to 256 completions). No results rows: a bench task
/// with `TaskOutput.none`, so `tasks` alone grows. Samples `tasks` every `every` seconds.
struct QueueHistoryRun {
    let total: Int
    let perJob: Int
    let batch: Int
    let every: Double
    let sampler: TableSampler
    /// Complete a batch and claim the next in one call (`TaskQueue.completeAndClaim`), or in two.
    var oneCall = true

    /// Runs until `total` tasks are done or `deadline` passes; prints progress lines and
    /// returns how many tasks went through.
    func run(_ conn: PGConnection, deadline: Date) throws -> Int {
        var logger = Logger(label: "slipline.bench.history")
        logger.logLevel = .warning
        let planning = JobPlanning(planners: [BenchKind().planner])
        let worker = "bench-history-\(getpid())"
        let start = Date()
        var nextSample = start
        var done = 0
        while done < total, Date() < deadline {
            let size = min(perJob, total - done)
            let job = try TaskQueue.submit(conn, kind: BenchKind().name, input: "bench-history-queue",
                                           params: ["tasks": "\(size)", "sleep_ms": "0", "merge": "false"])
            while try planning.planNext(conn, logger: logger) != nil {}
            var claimed = oneCall
                ? try TaskQueue.completeAndClaim(conn, worker: worker, [], limit: batch, leaseSeconds: 600).claimed
                : try TaskQueue.claim(conn, worker: worker, limit: batch, leaseSeconds: 600)
            while Date() < deadline {
                if claimed.isEmpty { break }
                if oneCall {
                    let both = try TaskQueue.completeAndClaim(conn, worker: worker, claimed.map { ($0, TaskOutput.none) },
                                                              limit: batch, leaseSeconds: 600)
                    done += both.accepted.count
                    claimed = both.claimed
                } else {
                    done += try TaskQueue.completeInSteps(conn, worker: worker, claimed.map { ($0, TaskOutput.none) }).count
                    claimed = try TaskQueue.claim(conn, worker: worker, limit: batch, leaseSeconds: 600)
                }
                if Date() >= nextSample {
                    let t = Date().timeIntervalSince(start)
                    print(try sampler.line(at: t) + String(format: " | %d done, %.0f tasks/s", done, Double(done) / max(t, 1e-9)))
                    fflush(nil)
                    nextSample = nextSample.addingTimeInterval(every > 0 ? every : .infinity)
                }
            }
            if !claimed.isEmpty { try TaskQueue.release(conn, worker: worker, ids: claimed.map(\.id)) }  // stopped at the deadline
            if try TaskQueue.job(conn, id: job)?.state != .done, Date() < deadline {
                throw UserError("bench history: job \(job) did not end done after all its tasks were completed")
            }
        }
        let t = Date().timeIntervalSince(start)
        print(try sampler.line(at: t) + String(format: " | %d done, %.0f tasks/s", done, Double(done) / max(t, 1e-9)))
        print(String(format: "through the queue: %d tasks in %.1f s = %.0f tasks/s (load average %@)%@",
                     done, t, Double(done) / max(t, 1e-9), LoadAverage.text, done < total ? "; stopped at the time limit" : ""))
        return done
    }
}
