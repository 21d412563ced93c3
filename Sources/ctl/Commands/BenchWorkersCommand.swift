import ArgumentParser
import Coordinator
import Foundation
import Kinds
import Shared

extension BenchCommand {
    /// `ctl bench workers`: many lightweight simulated workers, each with its own connection,
    /// against one PostgreSQL; queue overhead, database CPU per task, and a check that nothing
    /// was lost or run twice.
    struct WorkersBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "workers",
            abstract: "Queue overhead with many simulated one-slot workers (real connections, real claim/complete SQL).",
            discussion: """
                Plans a bench job of --tasks tasks that each sleep --task-seconds (an in-process coordinator on \
                --database plans it and reaps leases), then runs --count simulated workers in this process: a \
                thread and a connection each (to --worker-database, e.g. a PgBouncer in transaction mode from \
                ops/pgbouncer-bench.sh), claiming one task at a time, sleeping, completing it with a results row and \
                claiming the next in the same call (--two-calls: claim and completion apart, as before). \
                Queue overhead = (Σ busy − Σ task sleep) / Σ busy over the workers, where busy runs from a \
                worker's first claim to its last completion: the share of a worker's time spent waiting for the \
                queue. Ends with SQL checks (every task done once, one results row each); exits 1 if any fails.
                """)

        @Option(name: .long, help: "Simulated workers (one connection and one thread each).")
        var count: Int = 1000

        @Option(name: .long, help: "Sleep per task, seconds.")
        var taskSeconds: Double = 1

        @Option(name: .long, help: "Tasks in the job (default: 10 per worker).")
        var tasks: Int?

        @Option(name: .long, help: "Connection string for the simulated workers (default: --database).")
        var workerDatabase: String?

        @Option(name: .long, help: "Worker starts spread uniformly over this many seconds (default: one task length).")
        var stagger: Double?

        @Option(name: .long, help: "Lease per claim, seconds (no heartbeats: longer than a task).")
        var lease: Double = 120

        @Option(name: .long, help: "Give up (and fail) after this many seconds of running.")
        var timeout: Double = 900

        @Flag(name: .long, help: "Claim and complete in two calls (slipline_claim, then TaskQueue.complete), as before the one-call path: for before/after figures.")
        var twoCalls = false

        @Option(name: .long, help: "The job's counter slots (migration 15; default: the queue's, 64); 0 counts on the job row as before, for before/after figures.")
        var counterSlots: Int?

        @Option(name: .long, help: "PID of a pooler (PgBouncer) on this machine whose CPU time to report.")
        var poolerPid: Int32?

        @OptionGroup var db: DatabaseOptions

        func validate() throws {
            guard (1...5000).contains(count) else { throw ValidationError("--count must be 1…5000 (got \(count))") }
            guard taskSeconds >= 0, taskSeconds <= 3600 else { throw ValidationError("--task-seconds must be 0…3600") }
            guard (tasks ?? 1) >= 1 else { throw ValidationError("--tasks must be at least 1") }
            guard lease > taskSeconds * 2 else { throw ValidationError("--lease must exceed twice --task-seconds (no heartbeats)") }
            guard (0...4096).contains(counterSlots ?? 0) else { throw ValidationError("--counter-slots must be 0…4096") }
            guard timeout > 0, (stagger ?? 0) >= 0 else { throw ValidationError("--timeout must be > 0 and --stagger ≥ 0") }
        }

        func run() throws {
            #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
            #endif
            let nTasks = tasks ?? 10 * count
            let info = try db.conninfo(migrate: true)
            let conn = try PGConnection(info)
            let job = try planJob(info, conn, tasks: nTasks)
            let fleet = try SimulatedWorkerFleet(count: count, conninfo: workerDatabase ?? info, job: job.id, leaseSeconds: lease)
            let usage = ResourceClock(server: ServerCPU(conn), poolerPid: poolerPid)
            let start = Date()
            let finished = fleet.run(stagger: stagger ?? taskSeconds, timeout: timeout, oneCall: !twoCalls)
            let wall = Date().timeIntervalSince(start)
            let used = usage.elapsed()
            job.stop()
            let check = try FleetCheck(conn, job: job.id, ran: fleet.total.ran)
            BenchWorkersReport(count: count, taskSeconds: taskSeconds, tasks: nTasks, stagger: stagger ?? taskSeconds,
                               wall: wall, oneCall: !twoCalls, total: fleet.total, usage: used, check: check).print()
            let slots = try conn.exec("SELECT counter_slots FROM jobs WHERE id = $1", [job.id]).int(0, 0) ?? 0
            print("  job counters: " + (slots > 0 ? "\(slots) counter slots (job_counters)" : "on the job row (counter_slots 0)"))
            if !finished { print("  TIMED OUT after \(Int(timeout)) s") }
            if !finished || !check.passed || fleet.errorCount > 0 { throw ExitCode(1) }
        }

        /// Submits the bench job and lets an in-process coordinator plan it (and reap leases
        /// while the fleet runs): the measurement is claim → run → complete only.
        private func planJob(_ info: String, _ conn: PGConnection, tasks: Int) throws -> PlannedJob {
            let logger = db.logger("slipline.bench", default: .warning)
            let id = try TaskQueue.submit(conn, kind: BenchKind().name, input: "bench-workers-\(count)",
                                          params: ["tasks": "\(tasks)", "sleep_ms": "\(taskSeconds * 1000)", "merge": "false"]
                                              .merging(counterSlots.map { ["counter_slots": "\($0)"] } ?? [:]) { $1 })
            let planned = PlannedJob(id: id, coordinator: CoordinatorService(conninfo: info, planners: Kinds.planners, logger: logger))
            let deadline = Date(timeIntervalSinceNow: 600)
            while try TaskQueue.job(conn, id: id)?.state == .queued {
                guard Date() < deadline else { planned.stop(); throw UserError("job \(id) was not planned within 600 s") }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return planned
        }
    }
}

/// The bench job and the coordinator thread that planned it.
private final class PlannedJob {
    let id: Int64
    private let coordinator: CoordinatorService
    private let done = StopFlag()

    init(id: Int64, coordinator: CoordinatorService) {
        self.id = id
        self.coordinator = coordinator
        Thread { [done] in coordinator.run(); done.signal() }.start()
    }

    func stop() {
        coordinator.stop.signal()
        done.wait(timeout: 30)
    }
}
