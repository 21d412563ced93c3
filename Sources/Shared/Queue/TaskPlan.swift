/// One task a plan creates.
public struct TaskSpec: Sendable, Equatable {
    public let kind: String
    /// The task's parameters as a JSON object.
    public let payload: String

    public init(kind: String, payload: String) {
        self.kind = kind
        self.payload = payload
    }
}

/// The tasks a planned job gets, as the store inserts them: shards that run in parallel and
/// optionally one merge that waits for every shard to end (done or dead).
public struct TaskPlan: Sendable, Equatable {
    public var shards: [TaskSpec]
    public var merge: TaskSpec?
    /// Kept on the job (`jobs.error`) for the user: things the planner noticed.
    public var notes: [String]

    public init(shards: [TaskSpec], merge: TaskSpec? = nil, notes: [String] = []) {
        self.shards = shards
        self.merge = merge
        self.notes = notes
    }

    /// Shards plus the merge.
    public var taskCount: Int { shards.count + (merge == nil ? 0 : 1) }
}
