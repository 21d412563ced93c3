/// One shard task of a job as its merge sees it: payload, final state and the output it
/// handed over (`shard_outputs`; nil when it never completed).
public struct ShardRecord: Sendable, Equatable {
    public let taskId: Int64
    public let state: TaskState
    /// The task's payload (JSON text).
    public let payload: String
    /// The shard's output (JSON text), or nil.
    public let output: String?

    public init(taskId: Int64, state: TaskState, payload: String, output: String?) {
        self.taskId = taskId
        self.state = state
        self.payload = payload
        self.output = output
    }
}
