import Foundation
import Logging
import Shared

/// Takes queued jobs one at a time (SKIP LOCKED, so several coordinators share the work),
/// plans them and inserts their tasks, all in one transaction: a coordinator that dies
/// mid-plan leaves the job queued for another.
public struct JobPlanning: Sendable {
    let planners: [String: any JobPlanner]

    public init(planners: [any JobPlanner]) {
        var table: [String: any JobPlanner] = [:]
        for planner in planners { table[planner.kind] = planner }
        self.planners = table
    }

    /// Plans one queued job if there is one; returns its id.
    public func planNext(_ conn: PGConnection, logger: Logger) throws -> Int64? {
        try conn.transaction {
            let r = try conn.exec(
                """
                SELECT id, kind, input, params, priority, max_attempts FROM jobs WHERE state = 'queued'
                ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED
                """)
            guard r.rowCount == 1, let jobId = r.int64(0, 0) else { return nil }
            let kind = r.string(0, 1) ?? ""
            let input = r.string(0, 2) ?? ""
            var paramValues = try r.json([String: String].self, 0, 3) ?? [:]
            let priority = r.int(0, 4) ?? 0
            let maxAttempts = r.int(0, 5) ?? 3
            var jobLogger = logger
            jobLogger[metadataKey: "job.id"] = "\(jobId)"

            // Fix the output directory now, once, so that workers on every host agree on it.
            // The database name keeps jobs of different databases sharing one SLIPLINE_HOME apart.
            if paramValues["output_dir"] == nil {
                // … and the submission time keeps a recreated database's job 1 from landing
                // on an older job 1's files.
                let r = try conn.exec(
                    "SELECT current_database(), to_char(submitted_at AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS') FROM jobs WHERE id = $1",
                    [jobId])
                let database = r.string(0, 0) ?? "db"
                let stamp = r.string(0, 1) ?? "0"
                paramValues["output_dir"] = EmbeddedPostgres.defaultHome()
                    .appendingPathComponent("results/\(database)/job-\(jobId)-\(stamp)").path
                try conn.exec("UPDATE jobs SET params = $2::jsonb WHERE id = $1", [jobId, try PGJSON(paramValues)])
            }
            let params = JobParams(paramValues)
            let context = PlanContext(jobId: jobId, outputDirectory: paramValues["output_dir"] ?? "")

            let plan: JobPlan
            do {
                guard let planner = planners[kind] else {
                    throw PlanError("job kind '\(kind)' has no planner in this coordinator (known: \(planners.keys.sorted().joined(separator: ", ")))")
                }
                plan = try planner.plan(input: input, params: params, context: context)
            } catch {
                jobLogger.error("job cannot be planned", metadata: ["error": "\(error)"])
                try conn.exec(
                    "UPDATE jobs SET state = 'failed', error = $2, started_at = now(), finished_at = now() WHERE id = $1",
                    [jobId, "\(error)"])
                try conn.exec("SELECT pg_notify($1, $2)", [TaskQueue.jobsChannel, String(jobId)])
                return jobId
            }
            try insert(plan, job: jobId, priority: priority, maxAttempts: maxAttempts, on: conn)
            for note in plan.notes { jobLogger.notice("\(note)") }
            jobLogger.info("job planned", metadata: ["tasks": "\(plan.shards.count + (plan.merge == nil ? 0 : 1))"])
            return jobId
        }
    }

    /// Inserts a plan's tasks in bulk and marks the job running (or done if it is empty).
    func insert(_ plan: JobPlan, job: Int64, priority: Int, maxAttempts: Int, on conn: PGConnection) throws {
        let total = plan.shards.count + (plan.merge == nil ? 0 : 1)
        let notes: String? = plan.notes.isEmpty ? nil : plan.notes.joined(separator: "\n")
        try conn.exec(
            """
            UPDATE jobs SET state = CASE WHEN $2 = 0 THEN 'done' ELSE 'running' END, n_tasks = $2,
                   started_at = now(), finished_at = CASE WHEN $2 = 0 THEN now() END, error = $3
            WHERE id = $1
            """, [job, total, notes])
        guard total > 0 else {
            try conn.exec("SELECT pg_notify($1, $2)", [TaskQueue.jobsChannel, String(job)])
            return
        }
        // Chunked so that a 10-million-task job does not build one giant parameter.
        var shardIds: [Int64] = []
        shardIds.reserveCapacity(plan.shards.count)
        let chunk = 50_000
        var start = 0
        while start < plan.shards.count {
            let part = plan.shards[start..<min(start + chunk, plan.shards.count)]
            let r = try conn.exec(
                """
                INSERT INTO tasks (job_id, kind, role, payload, priority, max_attempts)
                SELECT $1, k, 'shard', p, $4, $5 FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS u(k, p, n)
                ORDER BY n RETURNING id
                """, [job, PGArray(part.map(\.kind)), PGArray(part.map(\.payload)), priority, maxAttempts])
            shardIds += (0..<r.rowCount).compactMap { r.int64($0, 0) }
            start += chunk
        }
        if let merge = plan.merge {
            let mergeId = try conn.exec(
                """
                INSERT INTO tasks (job_id, kind, role, payload, priority, max_attempts, deps_pending)
                VALUES ($1, $2, 'merge', $3::jsonb, $4, $5, $6) RETURNING id
                """, [job, merge.kind, merge.payload, priority, maxAttempts, shardIds.count]).int64(0, 0) ?? 0
            try conn.exec(
                "INSERT INTO task_deps (task_id, depends_on) SELECT $1, unnest($2::bigint[])",
                [mergeId, PGArray(shardIds)])
        }
        // One notification per plan, however many tasks: idle workers wake once.
        try conn.exec("SELECT pg_notify($1, '')", [TaskQueue.tasksChannel])
    }
}
