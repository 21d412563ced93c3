/// The task queue's state machine behind one interface, so that services and tests do not
/// depend on where it lives: `PostgresTaskStore` (the real queue, `schema.sql`'s functions)
/// and `InMemoryTaskStore` (a model of the same rules, for fast tests). One conformance suite
/// runs against both.
///
/// The rules: a job is planned into shard tasks, optional partial merges (each waits for its
/// range of shards to end) and an optional merge that waits for every partial and every shard
/// no partial covers. Claims take ready tasks by priority, then age, and lease them; completion and
/// failure are fenced on (task, attempt, worker), so a worker whose lease was reaped or whose
/// job was cancelled cannot record anything. A failed attempt is retried after a capped
/// exponential backoff, then the task is dead (`max_attempts` errors). A lost lease (expired,
/// or released by the worker that replaced a dead one on its host) is not an error: the task
/// is requeued at once on its own budget (`jobs.max_lost_leases`, default 10), then dead. A job ends `done`
/// when every task is done, `failed` if any died. A task's results replace an earlier
/// attempt's, never add to them.
///
/// A store value is one session: PostgreSQL stores hold one connection each and serialise
/// their callers, so a service opens one store per thread that talks to the queue (see
/// `TaskStoreSessions`); in-memory sessions share one queue (`InMemoryTaskStore.session()`).
public protocol TaskStore: AnyObject, Sendable {
    // MARK: Jobs

    /// Queues a job for a coordinator to plan. Returns its id.
    func submit(kind: String, input: String, params: [String: String], priority: Int, maxAttempts: Int,
                retryBaseSeconds: Double) throws -> Int64
    func job(_ id: Int64) throws -> JobRecord?
    /// The most recent jobs, newest first.
    func recentJobs(limit: Int) throws -> [JobRecord]
    /// Dead tasks of a job (and their errors), by task id.
    func failures(job: Int64, limit: Int) throws -> [TaskFailure]
    /// Counts of a job's tasks per state.
    func taskCounts(job: Int64) throws -> [TaskState: Int]
    /// Cancels a queued or running job and its unfinished tasks; false if it had already ended.
    func cancel(job: Int64) throws -> Bool
    /// A job's errors and lost leases, apart (see `AttemptSummary`).
    func attemptSummary(job: Int64) throws -> AttemptSummary
    /// Retention: deletes up to `batch` tasks of jobs that ended more than `seconds` ago, keeping
    /// their dead tasks and every results row; marks a job whose tasks are gone as pruned (it
    /// can no longer be retried). Returns how many it deleted: call until 0.
    func prune(olderThan seconds: Double, batch: Int) throws -> Int
    /// Requeues a finished job's dead and cancelled tasks and the done tasks that depend on
    /// them (its merge). Returns how many were requeued (0 for a done job, which stays done),
    /// or nil if the job is not finished.
    func retry(job: Int64) throws -> Int?
    /// Takes one queued job (the highest priority, then the oldest; jobs another coordinator is
    /// planning are skipped), fixes its `output_dir`, and inserts what `planner` returns: the
    /// shards, and the merge depending on all of them. If `planner` throws, the job fails with
    /// the error's description. Nil when no job is waiting.
    func planNext(_ planner: (QueuedJob) throws -> TaskPlan) throws -> PlanningOutcome?

    // MARK: Tasks

    /// Claims up to `limit` ready tasks for `worker`, leased for `leaseSeconds`.
    func claim(worker: String, limit: Int, leaseSeconds: Double) throws -> [ClaimedTask]
    /// Marks tasks done and writes their results (replacing earlier attempts'), all at once.
    /// Tasks whose lease this worker no longer holds are refused and their results dropped.
    /// Returns the ids accepted. Throws `ResultTableError` for rows that do not fit their table.
    @discardableResult
    func complete(worker: String, _ finished: [(task: ClaimedTask, output: TaskOutput)]) throws -> Set<Int64>
    /// Records a failed attempt. Returns the task's new state (`failed` = will be retried after
    /// the backoff, `dead`), or nil if the lease was no longer this worker's.
    @discardableResult
    func fail(worker: String, task: ClaimedTask, message: String) throws -> TaskState?
    /// Gives back held tasks without counting the attempt. Returns how many.
    @discardableResult
    func release(worker: String, ids: [Int64]) throws -> Int
    /// Records `worker`'s heartbeat, extends the leases of the tasks it knows it holds and
    /// releases those leased to it that it does not know of; answers how many it released and
    /// which of the `held` tasks are no longer leased to `worker` (cancelled, reaped, released).
    func renewLeases(worker: String, leaseSeconds: Double, holding held: [Int64]) throws -> LeaseRenewal
    /// Requeues tasks whose leases expired, each a lost lease (dead when out of the job's
    /// lost-lease budget). Returns both counts.
    func reapExpired() throws -> (requeued: Int, died: Int)
    /// A job's shards, by task id, with what each handed the merge (`shard_outputs`).
    func shardOutputs(job: Int64) throws -> [ShardRecord]
    /// The tasks `task` depends on (a partial's shards; a final merge's partials and uncovered
    /// shards), by task id, each with its role, state, payload and `shard_outputs` row.
    func dependencyOutputs(task: Int64) throws -> [ShardRecord]

    // MARK: Workers

    func registerWorker(id: String, host: String, pid: Int, slots: Int) throws
    func setWorkerState(id: String, state: WorkerState) throws
    /// For a worker starting on `host`: earlier workers there (not `except`) whose process is
    /// gone (`isAlive(pid)` false) are marked lost and their leases requeued at once, as lost
    /// leases, instead of waiting for expiry. Returns how many tasks were requeued.
    func releasePredecessors(host: String, except worker: String, isAlive: (Int) -> Bool) throws -> Int
    /// Marks running workers whose heartbeat is older than `seconds` as lost. Returns how many.
    func markLostWorkers(olderThan seconds: Double) throws -> Int

    // MARK: Sessions: waiting, leadership, closing

    /// Starts collecting `event` for this session, so that one that happens between a look at
    /// the queue and the next `wait` is not missed.
    func subscribe(to event: QueueEvent) throws
    /// Sleeps until `event` happens (subscribing first if needed) or `timeout` seconds pass.
    /// Returns whether it happened since the last wait. After a reconnect a PostgreSQL session
    /// reports its events as happened (it cannot know); polling stays the fallback.
    func wait(for event: QueueEvent, timeout: Double) throws -> Bool
    /// Whether this session holds the lead of the singleton duties (reaping leases, marking
    /// lost workers), taking it if it is free. PostgreSQL: a session advisory lock, dropped
    /// with a dead leader's session. In memory: always (one process).
    func holdLeadership() throws -> Bool
    /// Ends this session (PostgreSQL: closes its connection, which releases the lead). An
    /// in-memory queue stays as it is.
    func close()
}

extension TaskStore {
    /// Queues a job with the default priority (0), attempts (3) and backoff base (1 s).
    public func submit(kind: String, input: String, params: [String: String]) throws -> Int64 {
        try submit(kind: kind, input: input, params: params, priority: 0, maxAttempts: 3, retryBaseSeconds: 1.0)
    }

    public func recentJobs() throws -> [JobRecord] { try recentJobs(limit: 20) }

    /// `renewLeases`, returning only how many orphans it released.
    @discardableResult
    public func heartbeat(worker: String, leaseSeconds: Double, holding held: [Int64]) throws -> Int {
        try renewLeases(worker: worker, leaseSeconds: leaseSeconds, holding: held).orphansReleased
    }

    public func failures(job: Int64) throws -> [TaskFailure] { try failures(job: job, limit: 50) }
}
