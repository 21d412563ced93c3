import Foundation
import Logging
import Shared

/// A worker: claims tasks in batches, runs them on `slots` threads, records outcomes in
/// batched transactions, renews its leases, and shuts down gracefully.
///
/// Threads: one claim loop (its connection also LISTENs for new work), `slots` runners, and
/// one recorder (completions, failures, heartbeats). Database calls are blocking libpq calls,
/// so they live on their own threads rather than Swift's small cooperative pool.
public final class WorkerService: @unchecked Sendable {
    public let id: String
    public let configuration: WorkerConfiguration
    private let conninfo: String
    private let runners: [String: any TaskRunner]
    private let logger: Logger

    /// Set to ask the worker to stop (SIGTERM/SIGINT handlers set it).
    public let stop = StopFlag()
    private let buffer = TaskBuffer()
    private let lock = NSCondition()
    private var policy: ClaimPolicy
    private var outcomes: [Outcome] = []
    private var running: [Int64: ClaimedTask] = [:]
    /// Tasks claimed and not yet recorded: what the heartbeat renews.
    private var held: Set<Int64> = []
    /// Serialises claiming with the heartbeat's orphan check, so that a claim in flight is
    /// never mistaken for an orphan.
    private let claimMutex = NSLock()
    private var slotsAlive = 0
    private var finishedCount = 0

    public init(conninfo: String, configuration: WorkerConfiguration, runners: [any TaskRunner], logger: Logger, id: String? = nil) {
        self.conninfo = conninfo
        self.configuration = configuration
        self.logger = logger
        self.id = id ?? WorkerService.makeId()
        var table: [String: any TaskRunner] = [:]
        for runner in runners { for kind in runner.kinds { table[kind] = runner } }
        self.runners = table
        policy = ClaimPolicy(slots: configuration.slots, maxBatch: configuration.maxBatch)
    }

    /// `host:pid:random`, unique per process.
    public static func makeId() -> String {
        let host = ProcessInfo.processInfo.hostName
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host):\(getpid()):\(suffix)"
    }

    /// Tasks this worker has finished (successfully or not) so far.
    public var tasksFinished: Int {
        lock.lock()
        defer { lock.unlock() }
        return finishedCount
    }

    /// Runs until `stop` is set (or the lifetime / idle limit passes), then shuts down:
    /// unstarted tasks are released at once, running ones get `shutdownGraceSeconds` to end.
    public func run() throws {
        let recorderConn = ResilientConnection(conninfo: conninfo, applicationName: "slipline-worker", logger: logger, stopFlag: nil)
        try recorderConn.run { conn in
            try TaskQueue.registerWorker(conn, id: id, host: ProcessInfo.processInfo.hostName,
                                         pid: Int(getpid()), slots: configuration.slots)
        }
        logger.info("worker started", metadata: ["worker.id": "\(id)", "worker.slots": "\(configuration.slots)"])

        let recorderDone = StopFlag()
        let recorder = Thread { [self] in
            recordLoop(recorderConn)
            recorderDone.signal()
        }
        recorder.start()
        for slot in 0..<configuration.slots {
            lock.lock(); slotsAlive += 1; lock.unlock()
            let thread = Thread { [self] in slotLoop(slot) }
            thread.start()
        }

        claimLoop()

        // Shutdown: nothing new starts; give back what never started.
        let unstarted = buffer.close()
        lock.lock()
        outcomes += unstarted.map { .released($0) }
        lock.broadcast()
        lock.unlock()
        let deadline = Date(timeIntervalSinceNow: configuration.shutdownGraceSeconds)
        lock.lock()
        while slotsAlive > 0 && Date() < deadline { _ = lock.wait(until: deadline) }
        let abandoned = Array(running.values)
        outcomes += abandoned.map { .released($0) }
        lock.unlock()
        if !abandoned.isEmpty {
            logger.warning("shutdown deadline passed; releasing running tasks", metadata: ["tasks": "\(abandoned.count)"])
        }
        stopRecorder.signal()
        lock.lock(); lock.broadcast(); lock.unlock()
        recorderDone.wait(timeout: 60)
        try? recorderConn.run { conn in try TaskQueue.setWorkerState(conn, id: id, state: "stopped") }
        recorderConn.close()
        logger.info("worker stopped", metadata: ["worker.id": "\(id)", "tasks.finished": "\(tasksFinished)"])
    }

    private let stopRecorder = StopFlag()

    // MARK: Claim loop

    private func claimLoop() {
        let conn = ResilientConnection(conninfo: conninfo, applicationName: "slipline-worker", logger: logger, stopFlag: stop)
        conn.onConnect = { try $0.listen(TaskQueue.tasksChannel) }
        let started = Date()
        var lastWork = Date()
        // Checked also while every slot is busy: a batch system's wall time does not wait.
        let lifetimeOver = { [configuration] in
            configuration.lifetimeSeconds.map { Date().timeIntervalSince(started) > $0 } ?? false
        }
        defer { conn.close() }
        while !stop.isSet {
            if lifetimeOver() {
                logger.info("lifetime reached; no new tasks", metadata: ["worker.id": "\(id)"])
                return
            }
            lock.lock()
            var want = policy.wanted
            while want == 0 && !stop.isSet && !lifetimeOver() {
                _ = lock.wait(until: Date(timeIntervalSinceNow: 0.25))
                want = policy.wanted
            }
            lock.unlock()
            if stop.isSet { return }
            if lifetimeOver() { continue }
            do {
                claimMutex.lock()
                let claimed = Result {
                    try conn.run { c in
                        try TaskQueue.claim(c, worker: id, limit: want, leaseSeconds: configuration.leaseSeconds)
                    }
                }
                if case let .success(tasks) = claimed {
                    lock.lock(); held.formUnion(tasks.map(\.id)); policy.claimed(tasks.count); lock.unlock()
                }
                claimMutex.unlock()
                let tasks = try claimed.get()
                if !tasks.isEmpty {
                    lastWork = Date()
                    buffer.push(tasks)
                    if tasks.count == want { continue }
                }
                if let idle = configuration.idleExitSeconds, Date().timeIntervalSince(lastWork) > idle {
                    lock.lock(); let busy = policy.inFlight; lock.unlock()
                    if busy == 0 { return }
                }
                // Nothing (more) to claim: sleep until a notification or the poll interval,
                // in short slices so that a stop request is seen promptly. Notifications that
                // arrived meanwhile are all drained at once (debounce).
                let wakeAt = Date(timeIntervalSinceNow: configuration.pollSeconds)
                while !stop.isSet && !lifetimeOver() {
                    let remaining = wakeAt.timeIntervalSinceNow
                    if remaining <= 0 { break }
                    let notes = try conn.run { c in try c.waitForNotifications(timeout: min(0.25, remaining)) }
                    if !notes.isEmpty { break }
                }
            } catch {
                if stop.isSet { return }
                logger.error("claim failed", metadata: ["error": "\(error)"])
                stop.wait(timeout: 1)
            }
        }
    }

    // MARK: Slots

    private func slotLoop(_ slot: Int) {
        let context = TaskContext(workerId: id, conninfo: conninfo, logger: logger, stop: stop)
        defer {
            context.database().close()
            lock.lock(); slotsAlive -= 1; lock.broadcast(); lock.unlock()
        }
        while let task = buffer.pop() {
            lock.lock(); running[task.id] = task; let nowRunning = running.count; lock.unlock()
            WorkerMetrics.running(nowRunning)
            var taskLogger = logger
            taskLogger[metadataKey: "job.id"] = "\(task.jobId)"
            taskLogger[metadataKey: "task.id"] = "\(task.id)"
            let begin = DispatchTime.now().uptimeNanoseconds
            let outcome: Outcome
            if let runner = runners[task.kind] {
                do {
                    outcome = .succeeded(task, try runner.run(task, context: context))
                } catch {
                    taskLogger.warning("task failed", metadata: ["attempt": "\(task.attempt)", "error": "\(error)"])
                    outcome = .failed(task, "\(error)")
                }
            } else {
                outcome = .failed(task, "this worker has no runner for task kind '\(task.kind)'")
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
            if case .succeeded = outcome {
                WorkerMetrics.taskFinished(kind: task.kind, role: task.role.rawValue, seconds: seconds, succeeded: true)
            } else {
                WorkerMetrics.taskFinished(kind: task.kind, role: task.role.rawValue, seconds: seconds, succeeded: false)
            }
            lock.lock()
            // A task abandoned at the shutdown deadline was already given back.
            if running.removeValue(forKey: task.id) != nil {
                outcomes.append(outcome)
            }
            policy.finished(after: seconds)
            finishedCount += 1
            let stillRunning = running.count
            lock.broadcast()
            lock.unlock()
            WorkerMetrics.running(stillRunning)
        }
    }

    // MARK: Recorder

    /// Records outcomes in batches and renews leases every third of the lease.
    private func recordLoop(_ conn: ResilientConnection) {
        let heartbeatEvery = configuration.leaseSeconds / 3
        var lastBeat = Date.distantPast
        while true {
            lock.lock()
            if outcomes.isEmpty && !stopRecorder.isSet {
                _ = lock.wait(until: min(lastBeat.addingTimeInterval(heartbeatEvery), Date(timeIntervalSinceNow: heartbeatEvery)))
            }
            let batch = outcomes
            outcomes.removeAll(keepingCapacity: true)
            let finishing = stopRecorder.isSet
            lock.unlock()

            if !batch.isEmpty { record(batch, conn) }
            if Date().timeIntervalSince(lastBeat) >= heartbeatEvery {
                do {
                    claimMutex.lock()
                    defer { claimMutex.unlock() }
                    lock.lock(); let holding = Array(held); lock.unlock()
                    let orphans = try conn.run { c in
                        try TaskQueue.heartbeat(c, worker: id, leaseSeconds: configuration.leaseSeconds, holding: holding)
                    }
                    if orphans > 0 {
                        logger.warning("released tasks leased to this worker by a claim whose reply was lost", metadata: ["tasks": "\(orphans)"])
                    }
                    lastBeat = Date()
                } catch {
                    logger.error("heartbeat failed", metadata: ["error": "\(error)"])
                }
            }
            if finishing {
                lock.lock(); let empty = outcomes.isEmpty; lock.unlock()
                if empty { return }
            }
        }
    }

    private func record(_ batch: [Outcome], _ conn: ResilientConnection) {
        var done: [(task: ClaimedTask, output: TaskOutput)] = []
        var released: [Int64] = []
        var failed: [(ClaimedTask, String)] = []
        for outcome in batch {
            switch outcome {
            case let .succeeded(task, output): done.append((task, output))
            case let .failed(task, message): failed.append((task, message))
            case let .released(task): released.append(task.id)
            }
        }
        do {
            // Each call is fenced on (task, attempt, worker), so repeating it after a lost
            // connection cannot record anything twice.
            try conn.run { c in
                let accepted = try TaskQueue.complete(c, worker: id, done)
                if accepted.count < done.count {
                    logger.warning("results discarded: lease lost (task reaped or job cancelled)",
                                   metadata: ["tasks": "\(done.count - accepted.count)"])
                }
                for (task, message) in failed {
                    let state = try TaskQueue.fail(c, worker: id, task: task, message: message)
                    if state == .dead {
                        logger.error("task dead after \(task.attempt) attempts",
                                     metadata: ["job.id": "\(task.jobId)", "task.id": "\(task.id)", "error": "\(message)"])
                    }
                }
                try TaskQueue.release(c, worker: id, ids: released)
            }
        } catch {
            // Only reached when stopping during an outage: the leases expire and are reaped.
            logger.error("could not record outcomes", metadata: ["error": "\(error)", "tasks": "\(batch.count)"])
        }
        lock.lock()
        for outcome in batch {
            switch outcome {
            case let .succeeded(task, _), let .failed(task, _), let .released(task): held.remove(task.id)
            }
        }
        for _ in released { policy.finished(after: nil) }
        lock.broadcast()
        lock.unlock()
    }
}
