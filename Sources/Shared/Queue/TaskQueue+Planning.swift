import Foundation

extension TaskQueue {
    /// `TaskStore.planNext` in SQL: one transaction, so a coordinator that dies mid-plan leaves
    /// the job queued for another; SKIP LOCKED, so several coordinators share the work.
    public static func planNext(_ conn: PGConnection, _ planner: (QueuedJob) throws -> TaskPlan) throws -> PlanningOutcome? {
        try conn.transaction {
            let r = try conn.exec(
                """
                SELECT id, kind, input, params, priority, max_attempts FROM jobs WHERE state = 'queued'
                ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED
                """)
            guard r.rowCount == 1, let jobId = r.int64(0, 0) else { return nil }
            var params = try r.json([String: String].self, 0, 3) ?? [:]
            if params["output_dir"] == nil {
                let r = try conn.exec(
                    "SELECT current_database(), to_char(submitted_at AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS') FROM jobs WHERE id = $1",
                    [jobId])
                params["output_dir"] = defaultOutputDirectory(database: r.string(0, 0) ?? "db", job: jobId, submitted: r.string(0, 1) ?? "0")
                try conn.exec("UPDATE jobs SET params = $2::jsonb WHERE id = $1", [jobId, try PGJSON(params)])
            }
            let job = QueuedJob(id: jobId, kind: r.string(0, 1) ?? "", input: r.string(0, 2) ?? "", params: params,
                                priority: r.int(0, 4) ?? 0, maxAttempts: r.int(0, 5) ?? 3)
            let plan: TaskPlan
            let slots: Int
            do {
                plan = try planner(job).validated()
                slots = try counterSlots(job)
            } catch {
                try conn.exec(
                    "UPDATE jobs SET state = 'failed', error = $2, started_at = now(), finished_at = now() WHERE id = $1",
                    [jobId, "\(error)"])
                try conn.exec("SELECT pg_notify($1, $2)", [jobsChannel, String(jobId)])
                return .failed(job: jobId, error: "\(error)")
            }
            try insert(plan, job: job, counterSlots: slots, on: conn)
            return .planned(job: jobId, tasks: plan.taskCount, notes: plan.notes)
        }
    }

    /// Where a job's files go unless `--param output_dir=` says otherwise: under the planning
    /// coordinator's `$SLIPLINE_HOME/results`, by database (jobs of different databases sharing
    /// one home stay apart) and submission time (a recreated database's job 1 does not land on
    /// an older job 1's files).
    static func defaultOutputDirectory(database: String, job: Int64, submitted stamp: String) -> String {
        EmbeddedPostgres.defaultHome().appendingPathComponent("results/\(database)/job-\(job)-\(stamp)").path
    }

    /// Inserts a plan's tasks in bulk and marks the job running (or done if it is empty).
    static func insert(_ plan: TaskPlan, job: QueuedJob, counterSlots: Int, on conn: PGConnection) throws {
        let total = plan.taskCount
        let notes: String? = plan.notes.isEmpty ? nil : plan.notes.joined(separator: "\n")
        try conn.exec(
            """
            UPDATE jobs SET state = CASE WHEN $2 = 0 THEN 'done' ELSE 'running' END, n_tasks = $2,
                   started_at = now(), finished_at = CASE WHEN $2 = 0 THEN now() END, error = $3
            WHERE id = $1
            """, [job.id, total, notes])
        guard total > 0 else {
            try conn.exec("SELECT pg_notify($1, $2)", [jobsChannel, String(job.id)])
            return
        }
        // Fairness: the job's tasks take their places in the virtual time from the head of the
        // ready queue at its priority, so that it alternates with the jobs already running.
        let head = try conn.exec(
            """
            SELECT coalesce((SELECT fair_seq FROM tasks
                             WHERE state IN ('queued', 'failed') AND deps_pending = 0 AND priority = $1 AND run_after <= now()
                             ORDER BY priority DESC, fair_seq, id LIMIT 1), 0)
            """, [job.priority]).int64(0, 0) ?? 0
        // Chunked so that a 10-million-task job does not build one giant parameter.
        var shardIds: [Int64] = []
        shardIds.reserveCapacity(plan.shards.count)
        let chunk = 50_000
        var start = 0
        while start < plan.shards.count {
            let part = plan.shards[start..<min(start + chunk, plan.shards.count)]
            let r = try conn.exec(
                """
                INSERT INTO tasks (job_id, kind, role, payload, priority, max_attempts, fair_seq)
                SELECT $1, k, 'shard', p, $4, $5, $6 + n - 1 FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS u(k, p, n)
                ORDER BY n RETURNING id
                """, [job.id, PGArray(part.map(\.kind)), PGArray(part.map(\.payload)), job.priority, job.maxAttempts,
                      head + Int64(start)])
            shardIds += (0..<r.rowCount).compactMap { r.int64($0, 0) }
            start += chunk
        }
        // Partials after the shards in the fair sequence, then the merge.
        var place = head + Int64(shardIds.count)
        func addWaiting(_ spec: TaskSpec, role: TaskRole, on dependencies: [Int64]) throws -> Int64 {
            let id = try conn.exec(
                """
                INSERT INTO tasks (job_id, kind, role, payload, priority, max_attempts, deps_pending, fair_seq)
                VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8) RETURNING id
                """, [job.id, spec.kind, role.rawValue, spec.payload, job.priority, job.maxAttempts, dependencies.count,
                      place]).int64(0, 0) ?? 0
            place += 1
            try conn.exec("INSERT INTO task_deps (task_id, depends_on) SELECT $1, unnest($2::bigint[])", [id, PGArray(dependencies)])
            return id
        }
        let partialIds = try plan.partials.map { try addWaiting($0.task, role: .partial, on: Array(shardIds[$0.shards])) }
        let uncovered = zip(shardIds, plan.partialOfShard).compactMap { $1 == nil ? $0 : nil }
        var mergeIds: [Int64] = []
        if let merge = plan.merge { mergeIds.append(try addWaiting(merge, role: .merge, on: partialIds + uncovered)) }
        try addCounterSlots(job: job.id, slots: counterSlots, taskIds: shardIds + partialIds + mergeIds, on: conn)
        // One notification per plan, however many tasks: idle workers wake once.
        try conn.exec("SELECT pg_notify($1, '')", [tasksChannel])
    }

    /// Counter slots per job unless its `counter_slots` parameter says otherwise (0: count on
    /// the job row, as before migration 15). 64 rows keep two of a server's concurrent
    /// completions off one row nearly always; filling them locks the job row 64 times per job.
    public static let defaultCounterSlots = 64

    /// How many counter slots a job asks for: its `counter_slots` parameter, or the default.
    static func counterSlots(_ job: QueuedJob) throws -> Int {
        guard let text = job.params["counter_slots"] else { return defaultCounterSlots }
        guard let n = Int(text), (0...4096).contains(n) else {
            throw TaskError("counter_slots must be a whole number from 0 to 4096 (0: count on the job row), got \"\(text)\"")
        }
        return n
    }

    /// The job's counter slots (migration 15): slot `id % S` counts task `id`; each slot's task
    /// count comes from the ids themselves, so the job's end is exact however they fall.
    static func addCounterSlots(job: Int64, slots wanted: Int, taskIds: [Int64], on conn: PGConnection) throws {
        let slots = min(wanted, taskIds.count)
        guard slots > 0 else { return }
        var perSlot = [Int](repeating: 0, count: slots)
        for id in taskIds { perSlot[Int(id % Int64(slots))] += 1 }
        let used = perSlot.indices.filter { perSlot[$0] > 0 }
        try conn.exec(
            "INSERT INTO job_counters (job_id, slot, n_tasks) SELECT $1, unnest($2::int[]), unnest($3::int[])",
            [job, PGArray(used), PGArray(used.map { perSlot[$0] })])
        try conn.exec("UPDATE jobs SET counter_slots = $2, slots_open = $3 WHERE id = $1", [job, slots, used.count])
    }
}
