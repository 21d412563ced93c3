import Foundation
import Shared

/// One lightweight simulated worker of `ctl bench workers`: its own database connection and
/// thread, and the real queue path of a one-slot worker — the task's sleep, then its completion
/// with the bench kind's results row and the next claim in one call (`TaskQueue.completeAndClaim`,
/// `slipline_finish_claim`), or, with `--two-calls`, `TaskQueue.complete` and `slipline_claim`
/// separately — timed around every call. No LISTEN (it does not survive transaction pooling): an empty claim polls.
final class SimulatedWorker: @unchecked Sendable {
    /// What one worker measured; read by the fleet after the thread ended.
    struct Tally {
        var claimSeconds: [Double] = []
        var completeSeconds: [Double] = []
        /// Time in the task's sleep, as measured (the useful work).
        var taskSeconds = 0.0
        /// From the first claim call to the last completion's return.
        var busySeconds = 0.0
        /// Task ids this worker ran (a duplicate anywhere shows as a repeated id across workers).
        var ran: [Int64] = []
        var refused = 0
        var error: String?
    }

    let id: String
    private let conn: PGConnection
    private let job: Int64
    private let leaseSeconds: Double
    private(set) var tally = Tally()

    /// Connects and registers; throws the connection's error (naming the target).
    init(id: String, conninfo: String, job: Int64, leaseSeconds: Double) throws {
        self.id = id
        self.job = job
        self.leaseSeconds = leaseSeconds
        conn = try PGConnection(conninfo, applicationName: "slipline-sim-worker")
        try TaskQueue.registerWorker(conn, id: id, host: "bench-workers-\(getpid())", pid: Int(getpid()), slots: 1)
    }

    /// Claims, runs and completes tasks until the job has none left to claim or `stop` is set.
    /// Sleeps `startDelay` first (workers of a real cluster do not start in the same instant).
    /// `oneCall`: each completion also claims the next task (`TaskQueue.completeAndClaim`, one
    /// round trip); otherwise `claim` and `complete` separately (two transactions, as before).
    func run(startDelay: Double, stop: StopFlag, oneCall: Bool) {
        if stop.wait(timeout: startDelay) { return }
        var first: Date?
        var last = Date()
        var heartbeat = Date.distantPast
        var next: ClaimedTask?
        do {
            while !stop.isSet {
                // Like a real worker, every few seconds: the coordinator marks silent ones lost.
                if Date().timeIntervalSince(heartbeat) >= Self.heartbeatSeconds {
                    try TaskQueue.heartbeat(conn, worker: id, leaseSeconds: leaseSeconds, holding: next.map { [$0.id] } ?? [])
                    heartbeat = Date()
                }
                let t0 = Date()
                let claimed: ClaimedTask?
                let claimedNow = next == nil  // else it came with the previous completion
                if let held = next {
                    claimed = held
                    next = nil
                } else if oneCall {
                    claimed = try TaskQueue.completeAndClaim(conn, worker: id, [], limit: 1, leaseSeconds: leaseSeconds).claimed.first
                } else {
                    claimed = try TaskQueue.claim(conn, worker: id, limit: 1, leaseSeconds: leaseSeconds).first
                }
                guard let task = claimed else {
                    if try !hasClaimableTasks() { break }
                    _ = stop.wait(timeout: 0.05)  // all leased by others, or backing off: poll
                    continue
                }
                let t1 = Date()
                if first == nil { first = t0 }
                let sleep = Self.sleepSeconds(task.payload)
                if sleep > 0 { Thread.sleep(forTimeInterval: sleep) }
                let t2 = Date()
                let row = ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                                     rows: [[Self.item(task.payload), id, task.attempt]])
                let accepted: Set<Int64>
                if oneCall && !stop.isSet {
                    let both = try TaskQueue.completeAndClaim(conn, worker: id, [(task, TaskOutput(results: [row]))],
                                                              limit: 1, leaseSeconds: leaseSeconds)
                    accepted = both.accepted
                    next = both.claimed.first
                } else {
                    let finished = [(task, TaskOutput(results: [row]))]
                    accepted = oneCall ? try TaskQueue.complete(conn, worker: id, finished)
                                       : try TaskQueue.completeInSteps(conn, worker: id, finished)
                }
                last = Date()
                if claimedNow { tally.claimSeconds.append(t1.timeIntervalSince(t0)) }
                tally.completeSeconds.append(last.timeIntervalSince(t2))
                tally.taskSeconds += t2.timeIntervalSince(t1)
                tally.ran.append(task.id)
                if accepted.isEmpty { tally.refused += 1 }
            }
            if let held = next { try TaskQueue.release(conn, worker: id, ids: [held.id]) }
        } catch {
            tally.error = "\(id): \(error)"
        }
        tally.busySeconds = first.map { last.timeIntervalSince($0) } ?? 0
        try? TaskQueue.setWorkerState(conn, id: id, state: WorkerState.stopped.rawValue)
        conn.close()
    }

    /// Between heartbeats (a real worker's default is a third of its lease; 10 s keeps the
    /// simulated ones well inside the coordinator's 60 s before it marks a worker lost).
    static let heartbeatSeconds = 10.0

    private func hasClaimableTasks() throws -> Bool {
        try conn.exec("SELECT EXISTS (SELECT 1 FROM tasks WHERE job_id = $1 AND state IN ('queued', 'failed'))", [job]).bool(0, 0) ?? false
    }

    private struct Payload: Decodable { var item: Int; var sleep_ms: Double? }

    private static func decode(_ json: String) -> Payload? {
        try? JSONDecoder().decode(Payload.self, from: Data(json.utf8))
    }

    static func sleepSeconds(_ payload: String) -> Double { (decode(payload)?.sleep_ms ?? 0) / 1000 }
    static func item(_ payload: String) -> Int { decode(payload)?.item ?? -1 }
}
