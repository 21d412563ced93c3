/// One shard (or partial) of a job as its merge sees it: the task, how it ended, its payload
/// and what it handed the merge (its row of `shard_outputs`, if it wrote one).
public struct ShardRecord: Sendable, Equatable {
    public let taskId: Int64
    public let state: TaskState
    /// `shard`, or `partial` for a partial merge's record (`TaskStore.dependencyOutputs`).
    public let role: TaskRole
    /// The shard task's payload (JSON text).
    public let payload: String
    /// The JSON text of the shard's `shard_outputs.output`; nil if it wrote none (it died, or
    /// has not run). PostgreSQL's jsonb normalises whitespace and key order: decode it.
    public let output: String?

    public init(taskId: Int64, state: TaskState, role: TaskRole = .shard, payload: String, output: String?) {
        self.taskId = taskId
        self.state = state
        self.role = role
        self.payload = payload
        self.output = output
    }
}
