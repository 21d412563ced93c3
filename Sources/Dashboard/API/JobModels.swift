import Foundation
import Shared

/// A job as the jobs page and `/api/jobs` show it.
public struct JobSummary: Codable, Sendable, Equatable {
    public let id: Int64
    public let kind: String
    public let state: String
    public let input: String
    public let nTasks: Int
    public let nDone: Int
    public let nFailed: Int
    public let submittedAt: Date?
    public let startedAt: Date?
    public let finishedAt: Date?
    /// Tasks done per second over the last 30 s (or since the job started, if later).
    public let tasksPerSecond: Double

    /// Columns for `init(_:_:)`, over `jobs_overview o JOIN jobs j`.
    static let columns = """
        o.job_id, o.kind, o.state, o.input, o.n_tasks, o.n_done, o.n_failed,
        extract(epoch from o.submitted_at), extract(epoch from j.started_at), extract(epoch from o.finished_at),
        (SELECT count(*) FROM tasks x WHERE x.job_id = o.job_id AND x.state = 'done'
            AND x.finished_at > now() - interval '30 seconds')::float8
          / greatest(1, least(30, extract(epoch from now() - coalesce(j.started_at, now()))))
        """
    static let from = "jobs_overview o JOIN jobs j ON j.id = o.job_id"

    init(_ r: PGResult, _ row: Int) {
        id = r.int64(row, 0) ?? 0
        kind = r.string(row, 1) ?? ""
        state = r.string(row, 2) ?? ""
        input = r.string(row, 3) ?? ""
        nTasks = r.int(row, 4) ?? 0
        nDone = r.int(row, 5) ?? 0
        nFailed = r.int(row, 6) ?? 0
        submittedAt = r.double(row, 7).map(Date.init(timeIntervalSince1970:))
        startedAt = r.double(row, 8).map(Date.init(timeIntervalSince1970:))
        finishedAt = r.double(row, 9).map(Date.init(timeIntervalSince1970:))
        let rate = state == "running" ? (r.double(row, 10) ?? 0) : 0
        tasksPerSecond = rate.isFinite ? rate : 0
    }

    /// The newest `limit` jobs, newest first.
    static func recent(_ conn: PGConnection, limit: Int) throws -> [JobSummary] {
        let r = try conn.exec("SELECT \(columns) FROM \(from) ORDER BY o.job_id DESC LIMIT $1", [limit])
        return (0..<r.rowCount).map { JobSummary(r, $0) }
    }

    static func one(_ conn: PGConnection, id: Int64) throws -> JobSummary? {
        let r = try conn.exec("SELECT \(columns) FROM \(from) WHERE o.job_id = $1", [id])
        return r.rowCount == 0 ? nil : JobSummary(r, 0)
    }
}

/// `/api/jobs`: the newest jobs.
public struct JobList: Codable, Sendable {
    public let jobs: [JobSummary]
}

/// `/api/jobs/{id}`: a job with its tasks per state and its first failures.
public struct JobDetail: Codable, Sendable {
    public let job: JobSummary
    public let tasks: [String: Int]
    public let failures: [TaskFailure]

    public struct TaskFailure: Codable, Sendable {
        public let taskId: Int64
        public let kind: String
        public let attempts: Int
        public let error: String
    }

    static func load(_ conn: PGConnection, id: Int64) throws -> JobDetail? {
        guard let job = try JobSummary.one(conn, id: id) else { return nil }
        let counts = try conn.exec("SELECT state, count(*)::int FROM tasks_overview WHERE job_id = $1 GROUP BY state", [id])
        var tasks: [String: Int] = [:]
        for row in 0..<counts.rowCount { tasks[counts.string(row, 0) ?? "?"] = counts.int(row, 1) ?? 0 }
        let failures = try TaskQueue.failures(conn, job: id, limit: 20).map {
            TaskFailure(taskId: $0.taskId, kind: $0.kind, attempts: $0.attempts, error: $0.error)
        }
        return JobDetail(job: job, tasks: tasks, failures: failures)
    }
}

/// The answer to cancel and retry.
public struct JobActionResult: Codable, Sendable {
    public let id: Int64
    public let action: String
    public let message: String
    public let job: JobSummary?
}
