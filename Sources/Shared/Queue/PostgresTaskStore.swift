import Foundation
import Logging

/// The task queue in PostgreSQL: `TaskQueue`'s statements and `schema.sql`'s functions on one
/// session. Callers are serialised on it; a service opens one store per thread that talks to
/// the queue (`TaskStoreSessions.postgres`).
///
/// Opened with a connection string, the session reconnects with capped exponential backoff
/// after a server restart or network cut and repeats the interrupted operation (every queue
/// operation is fenced or idempotent); after a reconnect it LISTENs again, reports its
/// subscribed events as having happened (one may have been missed) and has lost the lead.
/// Opened on a `PGConnection` (tests, one-shot commands), an error is simply thrown.
public final class PostgresTaskStore: TaskStore, @unchecked Sendable {
    private enum Session {
        case resilient(ResilientConnection)
        case plain(PGConnection)
    }

    private let session: Session
    /// Guards everything below and the connection itself; recursive, so that a planner may
    /// read through the same store inside the planning transaction.
    private let lock = NSRecursiveLock()
    private var subscribed: Set<QueueEvent> = []
    private var listening: Set<QueueEvent> = []
    private var pending: Set<QueueEvent> = []
    private var leading = false

    /// Lock key of the coordinators' singleton duties.
    static let leaderLockKey = "slipline.coordinator.leader"

    /// A session that reconnects by itself; `stop` makes a reconnect loop give up (a service
    /// shutting down), nil keeps trying (a worker that still has outcomes to record).
    public init(conninfo: String, applicationName: String = "slipline", logger: Logger, stop: StopFlag? = nil) {
        let connection = ResilientConnection(conninfo: conninfo, applicationName: applicationName, logger: logger, stopFlag: stop)
        session = .resilient(connection)
        connection.onConnect = { [unowned self] fresh in
            // Called with `lock` held, from `run`.
            listening = []
            leading = false
            for event in subscribed {
                try fresh.listen(event.channel)
                listening.insert(event)
            }
            pending.formUnion(subscribed)
        }
    }

    /// A session on an open connection, used as it is (no reconnecting).
    public init(connection: PGConnection) {
        session = .plain(connection)
    }

    /// Closes the session's connection (a resilient one reopens on next use).
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        switch session {
        case let .resilient(connection): connection.close()
        case let .plain(connection): connection.close()
        }
    }

    /// Runs `body` on the session's connection, serialised with every other caller.
    public func run<T>(_ body: (PGConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        switch session {
        case let .resilient(connection): return try connection.run(body)
        case let .plain(connection): return try body(connection)
        }
    }

    // MARK: Jobs

    public func submit(kind: String, input: String, params: [String: String], priority: Int, maxAttempts: Int,
                       retryBaseSeconds: Double) throws -> Int64 {
        try run {
            try TaskQueue.submit($0, kind: kind, input: input, params: params, priority: priority,
                                 maxAttempts: maxAttempts, retryBaseSeconds: retryBaseSeconds)
        }
    }

    public func job(_ id: Int64) throws -> JobRecord? {
        try run { try TaskQueue.job($0, id: id) }
    }

    public func recentJobs(limit: Int) throws -> [JobRecord] {
        try run { try TaskQueue.recentJobs($0, limit: limit) }
    }

    public func failures(job: Int64, limit: Int) throws -> [TaskFailure] {
        try run { try TaskQueue.failures($0, job: job, limit: limit) }
            .map { TaskFailure(taskId: $0.taskId, kind: $0.kind, attempts: $0.attempts, error: $0.error) }
    }

    public func taskCounts(job: Int64) throws -> [TaskState: Int] {
        try run { try TaskQueue.taskCounts($0, job: job) }
    }

    public func cancel(job: Int64) throws -> Bool {
        try run { try TaskQueue.cancel($0, job: job) }
    }

    public func attemptSummary(job: Int64) throws -> AttemptSummary {
        try run { try TaskQueue.attemptSummary($0, job: job) }
    }

    public func prune(olderThan seconds: Double, batch: Int) throws -> Int {
        try run { try TaskQueue.prune($0, olderThan: seconds, batch: batch) }
    }

    public func retry(job: Int64) throws -> Int? {
        try run { try TaskQueue.retry($0, job: job) }
    }

    public func planNext(_ planner: (QueuedJob) throws -> TaskPlan) throws -> PlanningOutcome? {
        try run { try TaskQueue.planNext($0, planner) }
    }

    // MARK: Tasks

    public func claim(worker: String, limit: Int, leaseSeconds: Double) throws -> [ClaimedTask] {
        try run { try TaskQueue.claim($0, worker: worker, limit: limit, leaseSeconds: leaseSeconds) }
    }

    @discardableResult
    public func complete(worker: String, _ finished: [(task: ClaimedTask, output: TaskOutput)]) throws -> Set<Int64> {
        try run { try TaskQueue.complete($0, worker: worker, finished) }
    }

    @discardableResult
    public func fail(worker: String, task: ClaimedTask, message: String) throws -> TaskState? {
        try run { try TaskQueue.fail($0, worker: worker, task: task, message: message) }
    }

    @discardableResult
    public func release(worker: String, ids: [Int64]) throws -> Int {
        try run { try TaskQueue.release($0, worker: worker, ids: ids) }
    }

    public func renewLeases(worker: String, leaseSeconds: Double, holding held: [Int64]) throws -> LeaseRenewal {
        try run { try TaskQueue.renewLeases($0, worker: worker, leaseSeconds: leaseSeconds, holding: held) }
    }

    public func reapExpired() throws -> (requeued: Int, died: Int) {
        try run { try TaskQueue.reapExpired($0) }
    }

    public func shardOutputs(job: Int64) throws -> [ShardRecord] {
        try run { try TaskQueue.shardOutputs($0, job: job) }
    }

    public func dependencyOutputs(task: Int64) throws -> [ShardRecord] {
        try run { try TaskQueue.dependencyOutputs($0, task: task) }
    }

    // MARK: Workers

    public func registerWorker(id: String, host: String, pid: Int, slots: Int) throws {
        try run { try TaskQueue.registerWorker($0, id: id, host: host, pid: pid, slots: slots) }
    }

    public func setWorkerState(id: String, state: WorkerState) throws {
        try run { try TaskQueue.setWorkerState($0, id: id, state: state.rawValue) }
    }

    public func releasePredecessors(host: String, except worker: String, isAlive: (Int) -> Bool) throws -> Int {
        try run { try TaskQueue.releasePredecessors($0, host: host, except: worker, isAlive: isAlive) }
    }

    public func markLostWorkers(olderThan seconds: Double) throws -> Int {
        try run { try TaskQueue.markLostWorkers($0, olderThan: seconds) }
    }

    // MARK: Waiting and leadership

    public func subscribe(to event: QueueEvent) throws {
        try run { conn in try listen(event, conn) }
    }

    public func wait(for event: QueueEvent, timeout: Double) throws -> Bool {
        try run { conn in
            try listen(event, conn)
            if pending.remove(event) != nil { return true }
            let deadline = Date(timeIntervalSinceNow: timeout)
            while true {
                let remaining = deadline.timeIntervalSinceNow
                for note in try conn.waitForNotifications(timeout: max(0, remaining)) {
                    if let happened = QueueEvent(channel: note.channel) { pending.insert(happened) }
                }
                if pending.remove(event) != nil { return true }
                if remaining <= 0 { return false }
            }
        }
    }

    public func holdLeadership() throws -> Bool {
        try run { conn in
            if !leading {
                leading = try conn.exec("SELECT pg_try_advisory_lock(hashtext($1))", [Self.leaderLockKey]).bool(0, 0) ?? false
            }
            return leading
        }
    }

    /// LISTENs for `event` on `conn` unless it already does (lock held).
    private func listen(_ event: QueueEvent, _ conn: PGConnection) throws {
        subscribed.insert(event)
        guard !listening.contains(event) else { return }
        try conn.listen(event.channel)
        listening.insert(event)
    }
}
