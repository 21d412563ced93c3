import Foundation

/// The queue's operations in SQL, each one statement or one short transaction on a caller's
/// connection: what `PostgresTaskStore` runs, and what one-shot commands (`ctl status`, `ctl
/// cancel`) call on their connection. All SQL is parameterised; the heavy lifting is in
/// `schema.sql`'s functions.
public enum TaskQueue {
    /// Notification channel for "there may be tasks to claim".
    public static let tasksChannel = "slipline_tasks"
    /// Notification channel for "a job changed state" (payload: the job id).
    public static let jobsChannel = "slipline_jobs"
    /// Notification channel for "a job was submitted and needs planning".
    public static let submittedChannel = "slipline_submitted"

    // MARK: Jobs

    /// Queues a job for a coordinator to plan. Returns its id.
    public static func submit(
        _ conn: PGConnection, kind: String, input: String, params: [String: String],
        priority: Int = 0, maxAttempts: Int = 3, retryBaseSeconds: Double = 1.0
    ) throws -> Int64 {
        try conn.transaction {
            let id = try conn.exec(
                """
                INSERT INTO jobs (kind, input, params, priority, max_attempts, retry_base_s)
                VALUES ($1, $2, $3::jsonb, $4, $5, $6) RETURNING id
                """,
                [kind, input, try PGJSON(params), priority, maxAttempts, retryBaseSeconds]
            ).int64(0, 0) ?? 0
            try conn.exec("SELECT pg_notify($1, $2)", [submittedChannel, String(id)])
            return id
        }
    }

    public static func job(_ conn: PGConnection, id: Int64) throws -> JobRecord? {
        let r = try conn.exec("SELECT \(JobRecord.columns) FROM jobs WHERE id = $1", [id])
        return r.rowCount == 0 ? nil : try JobRecord(r, 0)
    }

    /// The most recent jobs, newest first.
    public static func recentJobs(_ conn: PGConnection, limit: Int = 20) throws -> [JobRecord] {
        let r = try conn.exec("SELECT \(JobRecord.columns) FROM jobs ORDER BY id DESC LIMIT $1", [limit])
        return try (0..<r.rowCount).map { try JobRecord(r, $0) }
    }

    /// Dead tasks of a job (and their errors), for reporting.
    public static func failures(_ conn: PGConnection, job: Int64, limit: Int = 50) throws -> [(taskId: Int64, kind: String, attempts: Int, error: String)] {
        let r = try conn.exec(
            "SELECT task_id, kind, attempts, coalesce(error, '') FROM tasks_overview WHERE job_id = $1 AND state = 'dead' ORDER BY task_id LIMIT $2",
            [job, limit])
        return (0..<r.rowCount).map { (r.int64($0, 0) ?? 0, r.string($0, 1) ?? "", r.int($0, 2) ?? 0, r.string($0, 3) ?? "") }
    }

    /// Counts of a job's tasks per state.
    public static func taskCounts(_ conn: PGConnection, job: Int64) throws -> [TaskState: Int] {
        let r = try conn.exec("SELECT state, count(*) FROM tasks WHERE job_id = $1 GROUP BY state", [job])
        var out: [TaskState: Int] = [:]
        for row in 0..<r.rowCount {
            if let state = TaskState(rawValue: r.string(row, 0) ?? "") { out[state] = r.int(row, 1) ?? 0 }
        }
        return out
    }

    /// A job's errors and lost leases (see `AttemptSummary`). An attempt that is running or
    /// succeeded is neither; `attempts - lost_leases` counts the rest as errors.
    public static func attemptSummary(_ conn: PGConnection, job: Int64) throws -> AttemptSummary {
        let r = try conn.exec(
            """
            SELECT coalesce(sum(greatest(0, t.attempts - t.lost_leases
                                 - CASE WHEN t.state IN ('done', 'leased') THEN 1 ELSE 0 END)), 0)::int,
                   coalesce(sum(t.lost_leases), 0)::int, coalesce(max(t.lost_leases), 0)::int,
                   (SELECT max_lost_leases FROM jobs WHERE id = $1)
            FROM tasks t WHERE t.job_id = $1
            """, [job])
        return AttemptSummary(errors: r.int(0, 0) ?? 0, lostLeases: r.int(0, 1) ?? 0,
                              maxLostLeasesOfATask: r.int(0, 2) ?? 0, lostLeaseBudget: r.int(0, 3) ?? 0)
    }

    /// Retention (`slipline_prune`): one batch of up to `batch` tasks of jobs ended more than
    /// `seconds` ago. Returns how many it deleted.
    public static func prune(_ conn: PGConnection, olderThan seconds: Double, batch: Int) throws -> Int {
        try conn.exec("SELECT slipline_prune($1, $2)", [seconds, batch]).int(0, 0) ?? 0
    }

    /// Cancels a queued or running job; false if it had already ended.
    public static func cancel(_ conn: PGConnection, job: Int64) throws -> Bool {
        // Cancelling locks the job, then all its unfinished tasks, while completions lock tasks
        // and then the job: PostgreSQL may pick the cancel as a deadlock victim. It is safe to
        // run again (PostgreSQL's advice for 40P01), so it is, a few times.
        var attempt = 0
        while true {
            do {
                return try conn.exec("SELECT slipline_cancel($1)", [job]).bool(0, 0) ?? false
            } catch DatabaseError.statementFailed(let sqlstate, _) where sqlstate == "40P01" && attempt < 5 {
                attempt += 1
                usleep(useconds_t(20_000 * attempt))
            }
        }
    }

    /// Requeues a finished job's dead and cancelled tasks (and merges that depend on them).
    /// Returns the number of tasks requeued (0 for a done job, which stays done), or nil if the
    /// job is not finished.
    public static func retry(_ conn: PGConnection, job: Int64) throws -> Int? {
        let n = try conn.transaction { try conn.exec("SELECT slipline_retry($1)", [job]).int(0, 0) ?? -1 }
        return n < 0 ? nil : n
    }

    /// Why `retry` refused an existing job (it returned nil): the job's finished tasks were
    /// pruned (retention deleted what a retry would start from), or it has not ended yet.
    public static func retryRefusal(_ conn: PGConnection, job: Int64) throws -> String {
        let r = try conn.exec("SELECT state, to_char(pruned_at, 'YYYY-MM-DD HH24:MI TZ') FROM jobs WHERE id = $1", [job])
        if let pruned = r.string(0, 1) {
            return "job \(job) cannot be retried: its finished tasks were pruned on \(pruned) (`ctl db prune` or "
                + "`ctl coordinator --retention`); its results are kept. Submit its input again for a new run."
        }
        let state = r.string(0, 0) ?? "?"
        return "job \(job) is still \(state): wait for it to end (`ctl wait \(job)`) or cancel it first"
    }

    // MARK: Tasks

    /// Claims up to `limit` ready tasks for `worker`, leased for `leaseSeconds`.
    public static func claim(_ conn: PGConnection, worker: String, limit: Int, leaseSeconds: Double) throws -> [ClaimedTask] {
        claimedTasks(try conn.exec("SELECT * FROM slipline_claim($1, $2, $3)", [worker, limit, leaseSeconds]))
    }

    /// The rows of `slipline_claim` / `slipline_finish_claim` as tasks.
    static func claimedTasks(_ r: PGResult) -> [ClaimedTask] {
        (0..<r.rowCount).map { row in
            ClaimedTask(
                id: r.int64(row, 0) ?? 0, jobId: r.int64(row, 1) ?? 0, kind: r.string(row, 2) ?? "",
                role: TaskRole(rawValue: r.string(row, 3) ?? "") ?? .shard, payload: r.string(row, 4) ?? "{}",
                attempt: r.int(row, 5) ?? 0, maxAttempts: r.int(row, 6) ?? 0,
                jobInput: r.string(row, 7) ?? "", jobParams: r.string(row, 8) ?? "{}")
        }
    }

    /// Marks tasks done and writes their results, all in one transaction and one round trip
    /// (`completeAndClaim` claiming nothing). Tasks whose lease this worker no longer holds
    /// (reaped, cancelled) are refused and their results dropped. Returns the ids accepted.
    @discardableResult
    public static func complete(_ conn: PGConnection, worker: String, _ finished: [(task: ClaimedTask, output: TaskOutput)]) throws -> Set<Int64> {
        guard !finished.isEmpty else { return [] }
        return try completeAndClaim(conn, worker: worker, finished, limit: 0, leaseSeconds: 0).accepted
    }

    /// `complete` as it was before the one-round-trip path (issue 14): BEGIN, the results
    /// statements, the staged arguments, then `slipline_finish_staged(); COMMIT` — five round
    /// trips. Kept for `ctl bench workers|history --two-calls`, the before/after comparison.
    @discardableResult
    public static func completeInSteps(_ conn: PGConnection, worker: String, _ finished: [(task: ClaimedTask, output: TaskOutput)]) throws -> Set<Int64> {
        // Results first, then `slipline_finish` (fence, done, bookkeeping) and COMMIT in one
        // round trip (slipline_finish_staged), so the job row it locks is not held across this
        // thread's next wake-up. A refused task (its lease was reaped or cancelled) must not keep
        // the rows just written for it: roll back, repeat with the ones this worker still holds.
        var pending = finished
        for _ in 0..<16 where !pending.isEmpty {  // each round normally drops a refused task
            let ids = PGArray(pending.map(\.task.id)), attempts = PGArray(pending.map(\.task.attempt))
            try conn.exec("BEGIN")
            do {
                try writeResults(pending, on: conn)
                try conn.exec(
                    """
                    SELECT set_config('slipline.finish_worker', $1, true), set_config('slipline.finish_ids', $2, true),
                           set_config('slipline.finish_attempts', $3, true)
                    """, [worker, ids.pgText, attempts.pgText])
                try conn.execScript(StaticOrEmbedded(constant: "SELECT slipline_finish_staged(); COMMIT"))
                return Set(pending.map(\.task.id))
            } catch DatabaseError.statementFailed(let sqlstate, let message) where sqlstate == "SL001" || sqlstate == uniqueViolation {
                // 23505: a reaped task recorded meanwhile by another worker (see completeAndClaim).
                try conn.exec("ROLLBACK")
                let held = try conn.exec(
                    """
                    SELECT t.id FROM unnest($1::bigint[], $2::int[]) AS c(id, attempt) JOIN tasks t ON t.id = c.id
                    WHERE t.attempts = c.attempt AND t.worker_id = $3 AND t.state = 'leased'
                    """, [ids, attempts, worker])
                let still = Set((0..<held.rowCount).compactMap { held.int64($0, 0) })
                if sqlstate == uniqueViolation && still.count == pending.count {
                    throw DatabaseError.statementFailed(sqlstate: sqlstate, message: message)
                }
                pending = pending.filter { still.contains($0.task.id) }
            } catch {
                if conn.isHealthy { _ = try? conn.exec("ROLLBACK") }
                throw error
            }
        }
        guard pending.isEmpty else { throw DatabaseError.statementFailed(sqlstate: "SL001", message: "completion kept being refused") }
        return []
    }

    /// Replaces the results of `finished` tasks: check every row against its table, delete by
    /// task id (see `resultStatements`), then bulk insert (one statement per table and column
    /// list).
    static func writeResults(_ finished: [(task: ClaimedTask, output: TaskOutput)], on conn: PGConnection) throws {
        for statement in try resultStatements(finished, on: conn) {
            try conn.exec(statement.sql, statement.params)
        }
    }

    /// The statements of `writeResults`, in order, for a caller that pipelines them. Checking
    /// the rows may read the catalog (once per connection and table).
    ///
    /// Every task's earlier rows are deleted first, so a re-run replaces what an earlier attempt
    /// (or anything else) left, never adds to it
    /// (`LeaseFencingTests.testRerunReplacesEarlierResultsInsteadOfAddingToThem`). Leaving a
    /// shard's `DELETE` out was measured (≈ 0.07 ms of database CPU per completion, no change in
    /// the 1,000-worker overhead; docs/scaling.md) and not kept.
    static func resultStatements(_ finished: [(task: ClaimedTask, output: TaskOutput)], on conn: PGConnection) throws -> [PGStatement] {
        var clear: [String: [Int64]] = [:]
        struct Group: Hashable { let table: String; let columns: [String] }
        var byGroup: [Group: [(taskId: Int64, jobId: Int64, values: [(any PGValue)?])]] = [:]
        for (task, output) in finished {
            for table in output.tables { clear[table, default: []].append(task.id) }
            for rows in output.results {
                try rows.validate(against: try conn.resultColumnTypes(rows.table, needing: rows.columns))
                byGroup[Group(table: rows.table, columns: rows.columns), default: []] += rows.rows.map { (task.id, task.jobId, $0) }
            }
        }
        var statements: [PGStatement] = []
        for (table, ids) in clear.sorted(by: { $0.key < $1.key }) {
            _ = try conn.resultColumnTypes(table, needing: [])
            statements.append(PGStatement("DELETE FROM \(table) WHERE task_id = ANY($1::bigint[])", [PGArray(ids)]))
        }
        let groups = byGroup.sorted { ($0.key.table, $0.key.columns.joined(separator: ",")) < ($1.key.table, $1.key.columns.joined(separator: ",")) }
        for (group, rows) in groups {
            if let insert = try ResultRows.insertStatement(group.table, columns: group.columns, rows: rows, on: conn) {
                statements.append(insert)
            }
        }
        return statements
    }

    /// A job's shards, by task id, with their `shard_outputs` rows (see `TaskStore.shardOutputs`).
    public static func shardOutputs(_ conn: PGConnection, job: Int64) throws -> [ShardRecord] {
        let r = try conn.exec(
            """
            SELECT t.id, t.state, t.payload::text, o.output::text
            FROM tasks t LEFT JOIN shard_outputs o ON o.task_id = t.id
            WHERE t.job_id = $1 AND t.role = 'shard' ORDER BY t.id
            """, [job])
        return (0..<r.rowCount).map { row in
            ShardRecord(taskId: r.int64(row, 0) ?? 0, state: TaskState(rawValue: r.string(row, 1) ?? "") ?? .queued,
                        payload: r.string(row, 2) ?? "{}", output: r.string(row, 3))
        }
    }

    /// What `task` depends on, by task id, with `shard_outputs` (see `TaskStore.dependencyOutputs`).
    public static func dependencyOutputs(_ conn: PGConnection, task: Int64) throws -> [ShardRecord] {
        let r = try conn.exec(
            """
            SELECT t.id, t.state, t.role, t.payload::text, o.output::text
            FROM task_deps d JOIN tasks t ON t.id = d.depends_on LEFT JOIN shard_outputs o ON o.task_id = t.id
            WHERE d.task_id = $1 ORDER BY t.id
            """, [task])
        return (0..<r.rowCount).map { row in
            ShardRecord(taskId: r.int64(row, 0) ?? 0, state: TaskState(rawValue: r.string(row, 1) ?? "") ?? .queued,
                        role: TaskRole(rawValue: r.string(row, 2) ?? "") ?? .shard,
                        payload: r.string(row, 3) ?? "{}", output: r.string(row, 4))
        }
    }

    /// Records a failed attempt. Returns the task's new state (`failed` = will retry, `dead`),
    /// or nil if the lease was no longer this worker's.
    @discardableResult
    public static func fail(_ conn: PGConnection, worker: String, task: ClaimedTask, message: String) throws -> TaskState? {
        let r = try conn.exec("SELECT slipline_fail($1, $2, $3, $4)", [worker, task.id, task.attempt, String(message.prefix(4000))])
        return r.string(0, 0).flatMap(TaskState.init(rawValue:))
    }

    /// Gives back held tasks without counting the attempt.
    @discardableResult
    public static func release(_ conn: PGConnection, worker: String, ids: [Int64]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try conn.exec("SELECT slipline_release($1, $2::bigint[])", [worker, PGArray(ids)]).int(0, 0) ?? 0
    }

    /// Records `worker`'s heartbeat and extends the leases of the tasks it knows it holds.
    /// Tasks leased to it that it does not know of (a claim whose reply was lost with the
    /// connection) are released, so they neither stay leased forever nor wait for expiry.
    /// Returns the number of such orphans released.
    @discardableResult
    public static func heartbeat(_ conn: PGConnection, worker: String, leaseSeconds: Double, holding held: [Int64]) throws -> Int {
        // One function (schema migration 5) so that a worker's database role needs no UPDATE
        // privilege on `tasks` or `workers`.
        try conn.exec("SELECT slipline_heartbeat($1, $2, $3::bigint[])", [worker, leaseSeconds, PGArray(held)]).int(0, 0) ?? 0
    }

    /// `heartbeat`, also answering which of the `held` tasks are no longer leased to `worker`
    /// (their job was cancelled, their lease reaped or released), so that it stops them.
    public static func renewLeases(_ conn: PGConnection, worker: String, leaseSeconds: Double, holding held: [Int64]) throws -> LeaseRenewal {
        let r = try conn.exec("SELECT released, array_to_string(lost, ',') FROM slipline_renew_leases($1, $2, $3::bigint[])",
                              [worker, leaseSeconds, PGArray(held)])
        let lost = (r.string(0, 1) ?? "").split(separator: ",").compactMap { Int64($0) }
        return LeaseRenewal(orphansReleased: r.int(0, 0) ?? 0, lost: Set(lost))
    }

    /// Requeues tasks whose leases expired. Returns (requeued, died).
    public static func reapExpired(_ conn: PGConnection) throws -> (requeued: Int, died: Int) {
        let r = try conn.exec("SELECT requeued, died FROM slipline_reap_expired()")
        return (r.int(0, 0) ?? 0, r.int(0, 1) ?? 0)
    }

    // MARK: Workers

    public static func registerWorker(_ conn: PGConnection, id: String, host: String, pid: Int, slots: Int) throws {
        try conn.exec("SELECT slipline_register_worker($1, $2, $3, $4)", [id, host, pid, slots])
    }

    /// See `TaskStore.releasePredecessors`: the pid check runs here, on the worker's host.
    public static func releasePredecessors(_ conn: PGConnection, host: String, except worker: String,
                                           isAlive: (Int) -> Bool) throws -> Int {
        let r = try conn.exec(
            "SELECT id, pid FROM workers WHERE host = $1 AND id <> $2 AND state IN ('running', 'stopping', 'lost')",
            [host, worker])
        var released = 0
        for row in 0..<r.rowCount {
            guard let id = r.string(row, 0), let pid = r.int(row, 1), !isAlive(pid) else { continue }
            released += try conn.exec("SELECT slipline_release_gone_worker($1, $2)", [id, host]).int(0, 0) ?? 0
        }
        return released
    }

    public static func setWorkerState(_ conn: PGConnection, id: String, state: String) throws {
        try conn.exec("SELECT slipline_set_worker_state($1, $2)", [id, state])
    }

    /// Marks workers whose heartbeat is older than `seconds` as lost. Returns how many.
    public static func markLostWorkers(_ conn: PGConnection, olderThan seconds: Double) throws -> Int {
        try conn.exec(
            """
            UPDATE workers SET state = 'lost'
            WHERE state IN ('running', 'stopping') AND heartbeat_at < now() - make_interval(secs => $1)
            """, [seconds]).affectedRows
    }
}
