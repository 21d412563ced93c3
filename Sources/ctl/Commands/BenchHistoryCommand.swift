import ArgumentParser
import Foundation
import Kinds
import Shared

extension BenchCommand {
    /// `ctl bench history`: fills the queue with finished history fast (bench only) and samples
    /// the queue table's size, dead rows and autovacuum activity, to measure claims against a
    /// long history and bloat over a long run.
    struct HistoryBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "Bulk-insert finished tasks (bench only) and sample the queue table's size and vacuum activity.",
            discussion: """
                --fill N inserts N finished bench tasks (jobs of --per-job tasks, ended two days ago) with \
                generate_series, in transactions of about 500,000 rows: a fast way to a long history that \
                bypasses the queue (claims against it go through the real path: `ctl bench queue`). Then, or \
                alone, prints one line of figures for `tasks` (and every --every seconds for --for seconds): \
                live and dead rows, heap and index sizes, autovacuum runs; --exact adds pgstattuple's dead and \
                free space (a full scan; needs the pgstattuple extension, from postgresql-contrib). \
                --through-queue N instead takes N no-op bench tasks through the real path: jobs of --per-job \
                tasks submitted and planned by the bench planner, every task claimed and completed with the \
                functions workers call (slipline_finish_claim: a batch completed and the next claimed in one call; \
                --two-calls: slipline_claim, then slipline_finish) in batches of --batch, sampled every \
                --every seconds, until done or --time-limit.
                """)

        @Option(name: .long, help: "Finished tasks to insert (0: none).")
        var fill: Int = 0

        @Option(name: .long, help: "Tasks per inserted job.")
        var perJob: Int = 10_000

        @Option(name: .long, help: "Sample every this many seconds (0: once).")
        var every: Double = 0

        @Option(name: .customLong("for"), help: "Keep sampling this many seconds.")
        var duration: Double = 0

        @Flag(name: .long, help: "Add pgstattuple's exact dead and free space (scans the table).")
        var exact = false

        @Option(name: .long, help: "Tasks to take through the real claim/complete path (0: none).")
        var throughQueue: Int = 0

        @Option(name: .long, help: "Claim and complete batch size for --through-queue.")
        var batch: Int = 256

        @Flag(name: .long, help: "--through-queue: complete a batch and claim the next in two calls (as before the one-call path).")
        var twoCalls = false

        @Option(name: .long, help: "Stop --through-queue after this many seconds (it reports how far it got).")
        var timeLimit: Double = 86_400

        @OptionGroup var db: DatabaseOptions

        func validate() throws {
            guard fill >= 0, fill <= 100_000_000 else { throw ValidationError("--fill must be 0…100000000") }
            guard (1...1_000_000).contains(perJob) else { throw ValidationError("--per-job must be 1…1000000") }
            guard every >= 0, duration >= 0 else { throw ValidationError("--every and --for must be ≥ 0") }
            guard throughQueue >= 0, throughQueue <= 100_000_000 else { throw ValidationError("--through-queue must be 0…100000000") }
            guard (1...10_000).contains(batch), timeLimit > 0 else { throw ValidationError("--batch must be 1…10000 and --time-limit > 0") }
        }

        func run() throws {
            let conn = try db.connect(migrate: true)
            if fill > 0 { try insertHistory(conn) }
            let sampler = try TableSampler(conn, exact: exact)
            print(TableSampler.header)
            if throughQueue > 0 {
                let history = QueueHistoryRun(total: throughQueue, perJob: perJob, batch: batch, every: every, sampler: sampler, oneCall: !twoCalls)
                _ = try history.run(conn, deadline: Date(timeIntervalSinceNow: timeLimit))
                return
            }
            let start = Date()
            while true {
                print(try sampler.line(at: Date().timeIntervalSince(start)))
                fflush(nil)
                guard every > 0, Date().timeIntervalSince(start) + every <= duration else { break }
                Thread.sleep(forTimeInterval: every)
            }
        }

        private func insertHistory(_ conn: PGConnection) throws {
            let t0 = Date()
            var left = fill
            let jobsPerBatch = max(1, 500_000 / perJob)
            while left > 0 {
                let size = min(perJob, left)
                let jobs = min(jobsPerBatch, left / size)
                _ = try conn.transaction {
                    try conn.exec(Self.fillSQL, [size, jobs])
                }
                left -= jobs * size
            }
            try conn.exec("ANALYZE tasks")
            print(String(format: "inserted %d finished tasks in %.1f s (load average %@)", fill, Date().timeIntervalSince(t0), LoadAverage.text))
        }

        /// $1 tasks in each of $2 jobs, all done two days ago (so `ctl db prune --older-than 1d` takes them).
        static let fillSQL = """
            WITH j AS (
                INSERT INTO jobs (kind, input, params, state, n_tasks, n_done, submitted_at, started_at, finished_at)
                SELECT 'bench', 'bench-history', '{"merge": "false"}'::jsonb, 'done', $1, $1,
                       now() - interval '2 days', now() - interval '2 days', now() - interval '2 days'
                FROM generate_series(1, $2::int)
                RETURNING id
            )
            INSERT INTO tasks (job_id, kind, role, payload, state, attempts, worker_id, created_at, started_at,
                               finished_at, counted, fair_seq)
            SELECT j.id, 'bench', 'shard', jsonb_build_object('item', g, 'sleep_ms', 0), 'done', 1, 'bench-history',
                   now() - interval '2 days', now() - interval '2 days', now() - interval '2 days', true, g
            FROM j CROSS JOIN generate_series(0, $1::int - 1) AS g
            """
    }
}
