/// A task a worker holds a lease on, with what it needs to run it.
public struct ClaimedTask: Sendable, Equatable {
    public let id: Int64
    public let jobId: Int64
    /// The task kind: its job's kind, e.g. `bench` (shard or merge is `role`).
    public let kind: String
    public let role: TaskRole
    /// The task's own parameters (JSON text).
    public let payload: String
    /// Which attempt this is, from 1. Completion is fenced on it.
    public let attempt: Int
    public let maxAttempts: Int
    /// The job's input path and parameters.
    public let jobInput: String
    public let jobParams: String

    public init(
        id: Int64, jobId: Int64, kind: String, role: TaskRole, payload: String, attempt: Int,
        maxAttempts: Int, jobInput: String, jobParams: String
    ) {
        self.id = id
        self.jobId = jobId
        self.kind = kind
        self.role = role
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.jobInput = jobInput
        self.jobParams = jobParams
    }
}

/// Shards run in parallel; a partial merges a consecutive group of shards once they have
/// ended (hierarchical merges); the merge runs once its shards (or partials) have ended.
public enum TaskRole: String, Sendable, Codable {
    case shard, partial, merge
}
