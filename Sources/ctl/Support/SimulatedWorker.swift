import Foundation
import Shared

/// One lightweight simulated worker of `ctl bench workers`: its own database connection and
/// thread, and the real queue path of a one-slot worker — `slipline_claim` for one task, the
/// task's sleep, `TaskQueue.complete` with the bench kind's results row — timed around every
/// call. No LISTEN (it does not survive transaction pooling): an empty claim polls.
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
    func run(startDelay: Double, stop: StopFlag) {
        if stop.wait(timeout: startDelay) { return }
        var first: Date?
        var last = Date()
        var heartbeat = Date.distantPast
        do {
            while !stop.isSet {
                // Like a real worker, every few seconds: the coordinator marks silent ones lost.
                if Date().timeIntervalSince(heartbeat) >= Self.heartbeatSeconds {
                    try TaskQueue.heartbeat(conn, worker: id, leaseSeconds: leaseSeconds, holding: [])
                    heartbeat = Date()
                }
                let t0 = Date()
                guard let task = try TaskQueue.claim(conn, worker: id, limit: 1, leaseSeconds: leaseSeconds).first else {
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
                let accepted = try TaskQueue.complete(conn, worker: id, [(task, TaskOutput(results: [row]))])
                last = Date()
                tally.claimSeconds.append(t1.timeIntervalSince(t0))
                tally.completeSeconds.append(last.timeIntervalSince(t2))
                tally.taskSeconds += t2.timeIntervalSince(t1)
                tally.ran.append(task.id)
                if accepted.isEmpty { tally.refused += 1 }
            }
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
