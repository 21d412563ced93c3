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
    private let stores: TaskStoreSessions
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
    /// The running tasks' own flags (see `TaskContext.cancelled`), by task id.
    private var taskFlags: [Int64: (cancelled: StopFlag, giveUp: StopFlag)] = [:]
    /// Running tasks whose leases were lost (job cancelled, lease reaped): told to stop, and
    /// their outcomes are not recorded.
    private var abandonedRuns: Set<Int64> = []
    /// Lost at the last renewal but neither running nor waiting in the buffer: a slot may hold
    /// one between taking it from the buffer and registering it, and gives it back instead of
    /// running it. Replaced at every renewal.
    private var revoked: Set<Int64> = []
    /// Serialises claiming with the heartbeat's orphan check, so that a claim in flight is
    /// never mistaken for an orphan.
    private let claimMutex = NSLock()
    private var slotsAlive = 0
    private var finishedCount = 0

    /// A worker of the queue in the database at `conninfo`.
    public convenience init(conninfo: String, configuration: WorkerConfiguration, runners: [any TaskRunner], logger: Logger,
                            id: String? = nil) {
        self.init(stores: .postgres(conninfo: conninfo), configuration: configuration, runners: runners, logger: logger, id: id)
    }

    /// A worker of the queue in `stores` (e.g. `.inMemory(InMemoryTaskStore())`).
    public init(stores: TaskStoreSessions, configuration: WorkerConfiguration, runners: [any TaskRunner], logger: Logger,
                id: String? = nil) {
        self.stores = stores
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
        // Keeps trying through an outage (no stop flag): outcomes must be recorded.
        let recorderStore = stores.session("slipline-worker", logger: logger, stop: nil)
        try recorderStore.registerWorker(id: id, host: ProcessInfo.processInfo.hostName, pid: Int(getpid()),
                                         slots: configuration.slots)
        logger.info("worker started", metadata: ["worker.id": "\(id)", "worker.slots": "\(configuration.slots)"])
        releasePredecessors(recorderStore)

        let recorderDone = StopFlag()
        let recorder = Thread { [self] in
            recordLoop(recorderStore)
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
        try? recorderStore.setWorkerState(id: id, state: .stopped)
        recorderStore.close()
        logger.info("worker stopped", metadata: ["worker.id": "\(id)", "tasks.finished": "\(tasksFinished)"])
    }

    private let stopRecorder = StopFlag()

    /// A worker restarted on this host (a preempted job step, a killed process) gives back the
    /// leases of its dead predecessors here at once, instead of them waiting out their leases.
    /// Best effort: on failure the leases still expire and are reaped.
    private func releasePredecessors(_ store: any TaskStore) {
        do {
            let released = try store.releasePredecessors(host: ProcessInfo.processInfo.hostName, except: id,
                                                         isAlive: ProcessLiveness.isAlive)
            if released > 0 {
                logger.warning("released the leases of dead workers on this host", metadata: ["tasks.released": "\(released)"])
            }
        } catch {
            logger.warning("could not release dead predecessors' leases", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Claim loop

    private func claimLoop() {
        let store = stores.session("slipline-worker", logger: logger, stop: stop)
        let started = Date()
        var lastWork = Date()
        // Checked also while every slot is busy: a batch system's wall time does not wait.
        let lifetimeOver = { [configuration] in
            configuration.lifetimeSeconds.map { Date().timeIntervalSince(started) > $0 } ?? false
        }
        defer { store.close() }
        while !stop.isSet {
            if lifetimeOver() {
                logger.info("lifetime reached; no new tasks", metadata: ["worker.id": "\(id)"])
                return
            }
            lock.lock()
            var want = wantedNow()
            while want == 0 && !stop.isSet && !lifetimeOver() {
                _ = lock.wait(until: Date(timeIntervalSinceNow: 0.25))
                want = wantedNow()
            }
            lock.unlock()
            if stop.isSet { return }
            if lifetimeOver() { continue }
            do {
                // Listening before the claim: a task made ready after it wakes the wait below.
                try store.subscribe(to: .tasksReady)
                claimMutex.lock()
                let claimed = Result {
                    try store.claim(worker: id, limit: want, leaseSeconds: configuration.leaseSeconds)
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
                    if try store.wait(for: .tasksReady, timeout: min(0.25, remaining)) { break }
                }
            } catch {
                if stop.isSet { return }
                logger.error("claim failed", metadata: ["error": "\(error)"])
                stop.wait(timeout: 1)
            }
        }
    }

    /// Tasks to claim now (lock held): none while the recorder is behind. Unrecorded outcomes
    /// keep their leases only through the recorder's heartbeat, which waits for each batch to be
    /// written; an unbounded backlog outgrows the lease (a 1,000,000-task `ctl bench queue` on
    /// a loaded machine had 100,000 results discarded that way before this limit).
    private func wantedNow() -> Int {
        outcomes.count >= policy.maxBatch * 4 ? 0 : policy.wanted
    }

    // MARK: Slots

    private func slotLoop(_ slot: Int) {
        let context = TaskContext(workerId: id, stores: stores, logger: logger, stop: stop)
        defer {
            context.close()
            lock.lock(); slotsAlive -= 1; lock.broadcast(); lock.unlock()
        }
        while let task = buffer.pop() {
            let cancelled = StopFlag(), giveUp = stop.child()
            lock.lock()
            if revoked.remove(task.id) != nil {
                // Its lease was lost while a slot had it in hand: give it back unrun (a no-op
                // unless this worker claimed it again meanwhile, after a retry).
                outcomes.append(.released(task))
                lock.broadcast()
                lock.unlock()
                stop.detach(giveUp)
                continue
            }
            running[task.id] = task
            taskFlags[task.id] = (cancelled, giveUp)
            let nowRunning = running.count
            lock.unlock()
            context.begin(cancelled: cancelled, giveUp: giveUp)
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
            stop.detach(giveUp)
            lock.lock()
            taskFlags.removeValue(forKey: task.id)
            // A task whose lease was lost is not recorded (it would be refused), and its
            // shortened run says nothing about how long tasks take.
            let lostLease = abandonedRuns.remove(task.id) != nil
            // A task abandoned at the shutdown deadline was already given back.
            if running.removeValue(forKey: task.id) != nil && !lostLease {
                outcomes.append(outcome)
            }
            if lostLease {
                policy.finished(after: nil)
                taskLogger.info("task stopped: its lease is no longer this worker's (job cancelled or lease reaped)",
                                metadata: ["seconds": "\(String(format: "%.2f", seconds))"])
            } else {
                policy.finished(after: seconds)
                finishedCount += 1
            }
            // Durations just grew past what the prefetch assumed: give back what this worker
            // can no longer start within the hold time.
            let surplus = policy.surplus(queued: buffer.count)
            if surplus > 0 {
                let back = buffer.takeLast(surplus)
                policy.gaveBack(back.count)
                outcomes += back.map { .returned($0) }
            }
            let stillRunning = running.count
            lock.broadcast()
            lock.unlock()
            WorkerMetrics.running(stillRunning)
        }
    }

    // MARK: Recorder

    /// Records outcomes in batches and renews leases every third of the lease.
    private func recordLoop(_ store: any TaskStore) {
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

            if !batch.isEmpty { record(batch, store) }
            if Date().timeIntervalSince(lastBeat) >= heartbeatEvery {
                do {
                    claimMutex.lock()
                    defer { claimMutex.unlock() }
                    lock.lock(); let holding = Array(held); lock.unlock()
                    let renewal = try store.renewLeases(worker: id, leaseSeconds: configuration.leaseSeconds, holding: holding)
                    if renewal.orphansReleased > 0 {
                        logger.warning("released tasks leased to this worker by a claim whose reply was lost",
                                       metadata: ["tasks": "\(renewal.orphansReleased)"])
                    }
                    // Still under the claim mutex: no claim can take one of these ids again
                    // before they are dropped.
                    dropLost(renewal.lost)
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

    /// Tasks the renewal found no longer leased to this worker (their job was cancelled, the
    /// lease reaped or released): running ones are told to stop (`TaskContext.cancelled`) and
    /// their outcomes will not be recorded; unstarted ones leave the buffer, so the slots and the
    /// claim budget go to other work at once instead of after runs whose results are refused.
    private func dropLost(_ lost: Set<Int64>) {
        lock.lock()
        let unstarted = lost.isEmpty ? [] : buffer.remove(lost)
        policy.gaveBack(unstarted.count)
        let dropped = Set(unstarted.map(\.id))
        var stopped = 0
        var elsewhere: Set<Int64> = []
        for taskId in lost {
            held.remove(taskId)
            if let flags = taskFlags[taskId] {
                if abandonedRuns.insert(taskId).inserted { stopped += 1 }
                flags.cancelled.signal()
                flags.giveUp.signal()
            } else if !dropped.contains(taskId) {
                elsewhere.insert(taskId)
            }
        }
        revoked = elsewhere
        lock.broadcast()
        lock.unlock()
        if stopped + dropped.count > 0 {
            logger.notice("leases no longer this worker's (job cancelled or lease reaped): stopping running tasks, dropping unstarted ones",
                          metadata: ["tasks.running": "\(stopped)", "tasks.unstarted": "\(dropped.count)"])
        }
    }

    private func record(_ batch: [Outcome], _ store: any TaskStore) {
        var done: [(task: ClaimedTask, output: TaskOutput)] = []
        var released: [Int64] = []
        var failed: [(ClaimedTask, String)] = []
        for outcome in batch {
            switch outcome {
            case let .succeeded(task, output): done.append((task, output))
            case let .failed(task, message): failed.append((task, message))
            case let .released(task), let .returned(task): released.append(task.id)
            }
        }
        do {
            // Each call is fenced on (task, attempt, worker), so the store repeating it after a
            // lost connection cannot record anything twice.
            let (accepted, unfit) = try complete(done, store)
            if accepted + unfit.count < done.count {
                logger.warning("results discarded: lease lost (task reaped or job cancelled)",
                               metadata: ["tasks": "\(done.count - accepted - unfit.count)"])
            }
            for (task, message) in failed + unfit {
                let state = try store.fail(worker: id, task: task, message: message)
                if state == .dead {
                    logger.error("task dead after \(task.attempt) attempts",
                                 metadata: ["job.id": "\(task.jobId)", "task.id": "\(task.id)", "error": "\(message)"])
                }
            }
            try store.release(worker: id, ids: released)
        } catch {
            // Only reached when stopping during an outage: the leases expire and are reaped.
            logger.error("could not record outcomes", metadata: ["error": "\(error)", "tasks": "\(batch.count)"])
        }
        lock.lock()
        for outcome in batch {
            switch outcome {
            case let .succeeded(task, _), let .failed(task, _), let .returned(task): held.remove(task.id)
            case let .released(task):
                held.remove(task.id)
                policy.finished(after: nil)
            }
        }
        lock.broadcast()
        lock.unlock()
    }

    /// Records successes in one batch. Rows that do not fit their table (a wrong column, bad
    /// JSON, a violated constraint) make the store refuse the whole batch; then each task is
    /// recorded on its own, and those whose rows do not fit are returned as failures with the
    /// store's message, so that the error shows on the task instead of its lease running out.
    private func complete(_ done: [(task: ClaimedTask, output: TaskOutput)], _ store: any TaskStore) throws
        -> (accepted: Int, unfit: [(ClaimedTask, String)]) {
        do {
            return (try store.complete(worker: id, done).count, [])
        } catch where Self.isUnfitRows(error) {
            var accepted = 0
            var unfit: [(ClaimedTask, String)] = []
            for item in done {
                do {
                    accepted += try store.complete(worker: id, [item]).count
                } catch where Self.isUnfitRows(error) {
                    logger.error("task results refused", metadata: ["task.id": "\(item.task.id)", "error": "\(error)"])
                    unfit.append((item.task, "results refused: \(error)"))
                }
            }
            return (accepted, unfit)
        }
    }

    /// Errors caused by the rows themselves: retrying the batch cannot help.
    private static func isUnfitRows(_ error: Error) -> Bool {
        if error is ResultTableError { return true }
        if case let DatabaseError.statementFailed(sqlstate, _) = error {
            return sqlstate.hasPrefix("22") || sqlstate.hasPrefix("23")  // data exception, integrity violation
        }
        return false
    }
}
