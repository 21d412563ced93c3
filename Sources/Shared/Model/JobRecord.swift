import Foundation

/// A row of `jobs`, as the coordinator and `ctl status` see it.
public struct JobRecord: Sendable, Equatable {
    public let id: Int64
    public let kind: String
    public let input: String
    public let params: [String: String]
    public let state: JobState
    public let priority: Int
    public let nTasks: Int
    public let nDone: Int
    public let nDead: Int
    public let error: String?
    public let submittedAt: Date?
    public let startedAt: Date?
    public let finishedAt: Date?

    /// Selected `FROM jobs`. A running job planned with counter slots (migration 15) keeps its
    /// counts in `job_counters` until it ends: they are added here.
    static let columns = """
        id, kind, input, params, state, priority, n_tasks,
        n_done + coalesce((SELECT sum(c.n_done)::int FROM job_counters c WHERE c.job_id = jobs.id), 0),
        n_dead + coalesce((SELECT sum(c.n_dead)::int FROM job_counters c WHERE c.job_id = jobs.id), 0), error,
        extract(epoch from submitted_at), extract(epoch from started_at), extract(epoch from finished_at)
        """

    init(id: Int64, kind: String, input: String, params: [String: String], state: JobState, priority: Int,
         nTasks: Int, nDone: Int, nDead: Int, error: String?, submittedAt: Date?, startedAt: Date?, finishedAt: Date?) {
        self.id = id
        self.kind = kind
        self.input = input
        self.params = params
        self.state = state
        self.priority = priority
        self.nTasks = nTasks
        self.nDone = nDone
        self.nDead = nDead
        self.error = error
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    init(_ r: PGResult, _ row: Int) throws {
        id = r.int64(row, 0) ?? 0
        kind = r.string(row, 1) ?? ""
        input = r.string(row, 2) ?? ""
        params = try r.json([String: String].self, row, 3) ?? [:]
        state = JobState(rawValue: r.string(row, 4) ?? "") ?? .failed
        priority = r.int(row, 5) ?? 0
        nTasks = r.int(row, 6) ?? 0
        nDone = r.int(row, 7) ?? 0
        nDead = r.int(row, 8) ?? 0
        error = r.string(row, 9)
        submittedAt = r.double(row, 10).map(Date.init(timeIntervalSince1970:))
        startedAt = r.double(row, 11).map(Date.init(timeIntervalSince1970:))
        finishedAt = r.double(row, 12).map(Date.init(timeIntervalSince1970:))
    }
}
