import Foundation

/// The task queue in memory: the state machine of `schema.sql`'s functions, rule for rule, for
/// tests that need no database and for running services in one process. Thread-safe (one lock
/// over the whole queue); `session()` gives further sessions of the same queue, each with its
/// own event subscriptions. Time comes from an injectable clock, so leases and backoffs
/// expire when a test says so. Result rows are checked against the tables of the
/// embedded schema (`SchemaCatalog`) and kept as text, replaced per task like PostgreSQL's.
public final class InMemoryTaskStore: TaskStore, @unchecked Sendable {
    struct Job {
        let id: Int64
        let kind: String
        let input: String
        var params: [String: String]
        var state: JobState = .queued
        let priority: Int
        let maxAttempts: Int
        let retryBaseSeconds: Double
        /// `jobs.max_lost_leases`.
        var maxLostLeases = 10
        /// When `prune` removed its tasks (`jobs.pruned_at`).
        var prunedAt: Date?
        var nTasks = 0
        var nDone = 0
        var nDead = 0
        var error: String?
        let submittedAt: Date
        var startedAt: Date?
        var finishedAt: Date?
    }

    struct Task {
        let id: Int64
        let jobId: Int64
        let kind: String
        let role: TaskRole
        let payload: String
        var state: TaskState = .queued
        let priority: Int
        var attempts = 0
        /// Leases lost with their worker (`tasks.lost_leases`); errors = attempts - lostLeases.
        var lostLeases = 0
        let maxAttempts: Int
        var depsPending = 0
        var runAfter: Date
        var workerId: String?
        var leaseExpiresAt: Date?
        var error: String?
        var startedAt: Date?
        var finishedAt: Date?
        /// Whether its end was booked on its job and dependants (`tasks.counted`).
        var counted = false
        /// The tasks it waits for (`task_deps.depends_on`).
        var dependsOn: [Int64] = []
        /// Its place in the virtual time that interleaves jobs of equal priority (`tasks.fair_seq`).
        var fairSeq: Int64 = 0
    }

    struct Worker {
        let id: String
        var host: String
        var pid: Int
        var slots: Int
        var state: WorkerState = .running
        var heartbeatAt: Date
        var stoppedAt: Date?
    }

    /// One row of a results table: its owner and its other columns as PostgreSQL text.
    public struct ResultRecord: Sendable, Equatable {
        public let taskId: Int64
        public let jobId: Int64
        public let values: [String: String?]
    }

    /// The queue itself, shared by every session of one store.
    final class Storage: @unchecked Sendable {
        /// Guards everything here and every session's cursors; also what waiters sleep on.
        let condition = NSCondition()
        var jobs: [Int64: Job] = [:]
        var tasks: [Int64: Task] = [:]
        /// Task id → the tasks that depend on it.
        var dependants: [Int64: [Int64]] = [:]
        var workers: [String: Worker] = [:]
        var results: [String: [ResultRecord]] = [:]
        var nextJobId: Int64 = 1
        var nextTaskId: Int64 = 1
        /// Jobs a `planNext` call is planning right now (PostgreSQL: their rows are locked).
        var planning: Set<Int64> = []
        /// How often each event happened so far; sessions wait until theirs moves on.
        var happened: [QueueEvent: Int] = [:]
    }

    let storage: Storage
    let clock: @Sendable () -> Date
    let random: @Sendable () -> Double
    let catalog: SchemaCatalog
    /// Stands in for `current_database()` in default output directories.
    let databaseName: String
    /// Per event this session subscribed to: how many of it it has seen (lock held).
    var seen: [QueueEvent: Int] = [:]

    /// - Parameters:
    ///   - clock: the time leases, backoffs and heartbeats are measured against.
    ///   - random: in 0..<1, for the retry backoff's jitter.
    ///   - catalog: the tables result rows may be written to.
    ///   - databaseName: used in default output directories (`results/<database>/job-…`).
    public init(clock: @escaping @Sendable () -> Date = { Date() },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                catalog: SchemaCatalog = .embedded, databaseName: String = "memory") {
        storage = Storage()
        self.clock = clock
        self.random = random
        self.catalog = catalog
        self.databaseName = databaseName
    }

    /// A store whose time is `clock`'s.
    public convenience init(clock: ManualClock) {
        self.init(clock: { clock.now })
    }

    private init(sharing other: InMemoryTaskStore) {
        storage = other.storage
        clock = other.clock
        random = other.random
        catalog = other.catalog
        databaseName = other.databaseName
    }

    /// Another session on the same queue: it shares every job, task, worker and result row,
    /// and keeps its own event subscriptions (what PostgreSQL's sessions LISTEN to).
    public func session() -> InMemoryTaskStore {
        InMemoryTaskStore(sharing: self)
    }

    /// Runs `body` with the state locked.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        storage.condition.lock()
        defer { storage.condition.unlock() }
        return try body()
    }

    /// Records `event` and wakes its waiters (lock held): what `pg_notify` does in SQL.
    func notify(_ event: QueueEvent) {
        storage.happened[event, default: 0] += 1
        storage.condition.broadcast()
    }

    // MARK: Jobs

    public func submit(kind: String, input: String, params: [String: String], priority: Int, maxAttempts: Int,
                       retryBaseSeconds: Double) throws -> Int64 {
        guard maxAttempts >= 1 else {
            throw DatabaseError.statementFailed(sqlstate: "23514", message: "max_attempts must be at least 1 (jobs_max_attempts_check)")
        }
        return locked {
            let id = storage.nextJobId
            storage.nextJobId += 1
            storage.jobs[id] = Job(id: id, kind: kind, input: input, params: params, priority: priority, maxAttempts: maxAttempts,
                           retryBaseSeconds: retryBaseSeconds, submittedAt: clock())
            notify(.jobSubmitted)
            return id
        }
    }

    public func job(_ id: Int64) throws -> JobRecord? {
        locked { storage.jobs[id].map(record) }
    }

    public func recentJobs(limit: Int) throws -> [JobRecord] {
        locked { storage.jobs.keys.sorted(by: >).prefix(max(0, limit)).compactMap { storage.jobs[$0].map(record) } }
    }

    public func failures(job: Int64, limit: Int) throws -> [TaskFailure] {
        locked {
            tasks(of: job).filter { $0.state == .dead }.prefix(max(0, limit))
                // As tasks_overview shows it: a merge task as `KIND.merge`.
                .map { TaskFailure(taskId: $0.id, kind: $0.kind + ($0.role == .shard ? "" : "." + $0.role.rawValue), attempts: $0.attempts,
                                   error: $0.error ?? "") }
        }
    }

    public func taskCounts(job: Int64) throws -> [TaskState: Int] {
        locked {
            var counts: [TaskState: Int] = [:]
            for task in tasks(of: job) { counts[task.state, default: 0] += 1 }
            return counts
        }
    }

    public func cancel(job id: Int64) throws -> Bool {
        locked {
            // PostgreSQL: the job's row is locked while it is planned; cancelling waits.
            while storage.planning.contains(id) { storage.condition.wait() }
            guard var job = storage.jobs[id], job.state == .queued || job.state == .running else { return false }
            let now = clock()
            job.state = .cancelled
            job.finishedAt = now
            storage.jobs[id] = job
            for task in tasks(of: id) where [.queued, .leased, .failed].contains(task.state) {
                update(task.id) {
                    $0.state = .cancelled
                    $0.leaseExpiresAt = nil
                    $0.finishedAt = now
                }
            }
            notify(.jobChanged)
            return true
        }
    }

    public func retry(job id: Int64) throws -> Int? {
        locked {
            guard var job = storage.jobs[id], [.failed, .cancelled, .done].contains(job.state), job.prunedAt == nil else { return nil }
            let now = clock()
            var requeued = 0
            for task in tasks(of: id) where task.state == .dead || task.state == .cancelled {
                update(task.id) { requeue(&$0, at: now) }
                requeued += 1
            }
            // Done tasks that depend on a requeued one (its merge), transitively.
            while true {
                let again = tasks(of: id).filter { task in
                    task.state == .done && task.dependsOn.contains { storage.tasks[$0]?.state == .queued }
                }
                if again.isEmpty { break }
                for task in again { update(task.id) { requeue(&$0, at: now) } }
                requeued += again.count
            }
            // Nothing failed or was cancelled (a done job): a no-op, as in PostgreSQL.
            if requeued == 0 && job.nTasks > 0 { return 0 }
            for task in tasks(of: id) {
                update(task.id) { task in
                    task.depsPending = task.dependsOn.filter { ![.done, .dead].contains(storage.tasks[$0]?.state ?? .done) }.count
                }
            }
            let all = tasks(of: id)
            job.state = job.nTasks == 0 ? .queued : .running
            job.finishedAt = nil
            job.error = nil
            job.nDone = all.filter { $0.state == .done }.count
            job.nDead = all.filter { $0.state == .dead }.count
            storage.jobs[id] = job
            notify(.tasksReady)
            return requeued
        }
    }

    public func attemptSummary(job id: Int64) throws -> AttemptSummary {
        locked {
            let all = tasks(of: id)
            let errors = all.reduce(0) { sum, task in
                sum + max(0, task.attempts - task.lostLeases - (task.state == .done || task.state == .leased ? 1 : 0))
            }
            return AttemptSummary(errors: errors, lostLeases: all.reduce(0) { $0 + $1.lostLeases },
                                  maxLostLeasesOfATask: all.map(\.lostLeases).max() ?? 0,
                                  lostLeaseBudget: storage.jobs[id]?.maxLostLeases ?? 0)
        }
    }

    public func prune(olderThan seconds: Double, batch: Int) throws -> Int {
        locked {
            let cutoff = clock().addingTimeInterval(-seconds)
            let ended = storage.jobs.values.filter {
                [.done, .failed, .cancelled].contains($0.state) && $0.prunedAt == nil && ($0.finishedAt ?? cutoff) < cutoff
            }.map(\.id)
            var deleted = 0
            for jobId in ended.sorted() {
                for task in tasks(of: jobId) where task.state != .dead && deleted < batch {
                    storage.tasks[task.id] = nil
                    storage.dependants[task.id] = nil
                    deleted += 1
                }
            }
            if deleted < batch {
                for jobId in ended where !tasks(of: jobId).contains(where: { $0.state != .dead }) {
                    storage.jobs[jobId]?.prunedAt = clock()
                }
            }
            return deleted
        }
    }

    // MARK: Helpers (lock held)

    /// A job's tasks by id.
    func tasks(of job: Int64) -> [Task] {
        storage.tasks.values.filter { $0.jobId == job }.sorted { $0.id < $1.id }
    }

    func update(_ id: Int64, _ change: (inout Task) -> Void) {
        guard var task = storage.tasks[id] else { return }
        change(&task)
        storage.tasks[id] = task
    }

    private func requeue(_ task: inout Task, at now: Date) {
        task.state = .queued
        task.attempts = 0
        task.lostLeases = 0
        task.error = nil
        task.runAfter = now
        task.workerId = nil
        task.leaseExpiresAt = nil
        task.finishedAt = nil
        task.counted = false
    }

    func record(_ job: Job) -> JobRecord {
        JobRecord(id: job.id, kind: job.kind, input: job.input, params: job.params, state: job.state, priority: job.priority,
                  nTasks: job.nTasks, nDone: job.nDone, nDead: job.nDead, error: job.error,
                  submittedAt: job.submittedAt, startedAt: job.startedAt, finishedAt: job.finishedAt)
    }
}
