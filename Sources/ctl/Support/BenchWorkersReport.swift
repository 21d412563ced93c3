import Foundation
import Shared

/// CPU time spent during a run: the database server's (every PostgreSQL process, from /proc),
/// a pooler's, and this process's own (the simulated workers).
struct ResourceClock {
    struct Used { var server: Double?; var pooler: Double?; var own: Double }

    private let server: ServerCPU
    private let poolerPid: Int32?
    private let start: Used

    init(server: ServerCPU, poolerPid: Int32?) {
        self.server = server
        self.poolerPid = poolerPid
        start = Used(server: server.seconds(), pooler: Self.poolerSeconds(poolerPid), own: Self.ownSeconds())
    }

    func elapsed() -> Used {
        let now = Used(server: server.seconds(), pooler: Self.poolerSeconds(poolerPid), own: Self.ownSeconds())
        return Used(server: zip(now.server, start.server).map { $0 - $1 }, pooler: zip(now.pooler, start.pooler).map { $0 - $1 },
                    own: now.own - start.own)
    }

    private static func poolerSeconds(_ pid: Int32?) -> Double? {
        pid.flatMap { ServerCPU.stat($0) }.map { Double($0.utime + $0.stime) / Double(sysconf(Int32(_SC_CLK_TCK))) }
    }

    private static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

private func zip(_ a: Double?, _ b: Double?) -> (Double, Double)? {
    guard let a, let b else { return nil }
    return (a, b)
}

/// The end-of-run checks, in SQL on the job's tasks and results plus the workers' own record:
/// every task done exactly once (one claim, one results row, run by one worker).
struct FleetCheck {
    let tasks: Int, done: Int, reclaimed: Int, lostLeases: Int
    let resultRows: Int, resultTasks: Int
    let runs: Int, distinctRuns: Int
    let jobState: String

    init(_ conn: PGConnection, job: Int64, ran: [Int64]) throws {
        let t = try conn.exec(
            """
            SELECT count(*)::int, count(*) FILTER (WHERE state = 'done')::int,
                   count(*) FILTER (WHERE attempts <> 1)::int, coalesce(sum(lost_leases), 0)::int
            FROM tasks WHERE job_id = $1
            """, [job])
        tasks = t.int(0, 0) ?? 0; done = t.int(0, 1) ?? 0; reclaimed = t.int(0, 2) ?? 0; lostLeases = t.int(0, 3) ?? 0
        let r = try conn.exec("SELECT count(*)::int, count(DISTINCT task_id)::int FROM bench_results WHERE job_id = $1", [job])
        resultRows = r.int(0, 0) ?? 0; resultTasks = r.int(0, 1) ?? 0
        runs = ran.count
        distinctRuns = Set(ran).count
        jobState = try TaskQueue.job(conn, id: job)?.state.rawValue ?? "missing"
    }

    /// Tasks not done (or done without their results row).
    var lost: Int { (tasks - done) + (tasks - resultTasks) }
    /// Tasks claimed or run more than once, or with more than one results row.
    var duplicated: Int { reclaimed + (resultRows - resultTasks) + (runs - distinctRuns) }
    var passed: Bool { lost == 0 && duplicated == 0 && jobState == "done" }
}

/// What `ctl bench workers` prints.
struct BenchWorkersReport {
    let count: Int, taskSeconds: Double, tasks: Int, stagger: Double, wall: Double
    /// Completion and next claim in one call (`TaskQueue.completeAndClaim`), or two calls.
    let oneCall: Bool
    let total: SimulatedWorker.Tally
    let usage: ResourceClock.Used
    let check: FleetCheck

    func print() {
        let f = { (v: Double, d: Int) in String(format: "%.\(d)f", v) }
        let ms = { (values: [Double]) in
            "median \(f(Quantile.of(values, 0.5) * 1000, 1)), p90 \(f(Quantile.of(values, 0.9) * 1000, 1)), p99 \(f(Quantile.of(values, 0.99) * 1000, 1)), max \(f((values.max() ?? .nan) * 1000, 1)) ms"
        }
        let overhead = total.busySeconds > 0 ? (total.busySeconds - total.taskSeconds) / total.busySeconds : .nan
        let utilisation = total.taskSeconds / (wall * Double(count))
        let n = Double(max(1, total.ran.count))
        Swift.print("bench workers: \(count) simulated workers (1 slot, 1 connection each), \(tasks) tasks of \(f(taskSeconds, 3)) s, starts spread over \(f(stagger, 2)) s; "
                    + (oneCall ? "completion + next claim in one call" : "claim and completion in two calls"))
        Swift.print("  wall \(f(wall, 2)) s; \(total.ran.count) tasks run = \(f(n / wall, 0)) tasks/s (ideal \(taskSeconds > 0 ? f(Double(count) / taskSeconds, 0) : "-"))")
        Swift.print("  queue overhead (Σ busy − Σ task sleep) / Σ busy: \(f(overhead * 100, 2)) %")
        Swift.print(oneCall ? "  first claims: \(ms(total.claimSeconds)); completion + next claim: \(ms(total.completeSeconds))"
                            : "  claim → start: \(ms(total.claimSeconds)); completion: \(ms(total.completeSeconds))")
        Swift.print("  utilisation Σ task sleep / (wall × workers): \(f(utilisation * 100, 1)) % (includes the start spread and the tail)")
        Swift.print("  database CPU: \(usage.server.map { "\(f($0 * 1000 / n, 3)) ms/task (\(f($0 / wall, 2)) cores)" } ?? "n/a (server not on this machine)")"
                    + "; pooler CPU: \(usage.pooler.map { "\(f($0 * 1000 / n, 3)) ms/task" } ?? "n/a")"
                    + "; this process: \(f(usage.own * 1000 / n, 3)) ms/task")
        Swift.print("  check: job \(check.jobState); \(check.tasks) tasks, \(check.done) done, \(check.resultRows) results rows for \(check.resultTasks) tasks, "
                    + "\(check.runs) runs of \(check.distinctRuns) ids, \(check.reclaimed) claimed twice, \(check.lostLeases) lost leases, \(total.refused) refused completions")
        Swift.print("  lost \(check.lost), duplicated \(check.duplicated)\(total.error.map { "; first worker error: \($0)" } ?? "")")
        Swift.print("  load average: \(LoadAverage.text)")
    }
}

/// `/proc/loadavg`'s first three fields: the machine is shared, so every figure carries it.
enum LoadAverage {
    static var text: String {
        let raw = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return raw.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
