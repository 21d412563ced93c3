/// A submitted job handed to a planner inside the store's planning transaction.
public struct QueuedJob: Sendable, Equatable {
    public let id: Int64
    public let kind: String
    public let input: String
    /// The job's `--param` values; `output_dir` is always set (the store fixes a default, once,
    /// so that workers on every host agree on it).
    public let params: [String: String]
    public let priority: Int
    public let maxAttempts: Int

    public init(id: Int64, kind: String, input: String, params: [String: String], priority: Int, maxAttempts: Int) {
        self.id = id
        self.kind = kind
        self.input = input
        self.params = params
        self.priority = priority
        self.maxAttempts = maxAttempts
    }
}

/// What `TaskStore.planNext` did with the job it took.
public enum PlanningOutcome: Sendable, Equatable {
    /// Its tasks were inserted (none: the job is done at once).
    case planned(job: Int64, tasks: Int, notes: [String])
    /// The planner threw; the job failed with this message.
    case failed(job: Int64, error: String)

    public var jobId: Int64 {
        switch self {
        case let .planned(job, _, _), let .failed(job, _): return job
        }
    }
}
