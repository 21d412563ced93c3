/// A dead task of a job and why it died, for reporting (`ctl status JOB`).
public struct TaskFailure: Sendable, Equatable {
    public let taskId: Int64
    public let kind: String
    public let attempts: Int
    public let error: String

    public init(taskId: Int64, kind: String, attempts: Int, error: String) {
        self.taskId = taskId
        self.kind = kind
        self.attempts = attempts
        self.error = error
    }
}
