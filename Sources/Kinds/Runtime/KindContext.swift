import Foundation
import Logging
import Shared

/// What a shard or merge may use besides its payload and options: where it may read, where it
/// writes, a logger, and the worker's stop flag.
public struct KindContext: Sendable {
    public let jobId: Int64
    public let taskId: Int64
    /// Which attempt this is, from 1.
    public let attempt: Int
    /// The job's input path: every file a task reads must lie under it (`input(_:)`).
    public let jobInput: String
    /// Where the job's files go; every file a task writes must lie under it.
    public let output: OutputDirectory
    public let logger: Logger
    /// Set when the worker shuts down, or when this task's lease is no longer the worker's
    /// (`cancelled`); long tasks check it and give up early.
    public let stop: StopFlag
    /// Set only when this task's lease is no longer the worker's (its job was cancelled, the
    /// lease reaped): nothing it returns will be recorded. For loops that should run on through
    /// a graceful shutdown but not for a cancelled job (`checkCancelled()` between frames).
    public let cancelled: StopFlag
    /// The worker running the task (recorded by the bench kind).
    public let workerId: String

    public init(jobId: Int64, taskId: Int64, attempt: Int, jobInput: String, output: OutputDirectory,
                logger: Logger, stop: StopFlag = StopFlag(), workerId: String = "local", cancelled: StopFlag = StopFlag()) {
        self.jobId = jobId
        self.taskId = taskId
        self.attempt = attempt
        self.jobInput = jobInput
        self.output = output
        self.logger = logger
        self.stop = stop
        self.cancelled = cancelled
        self.workerId = workerId
    }

    /// Throws if this task's lease is no longer the worker's (see `cancelled`).
    public func checkCancelled() throws {
        if cancelled.isSet { throw TaskError("task \(taskId) stopped: its job was cancelled or its lease lost") }
    }

    /// `file`, resolved, if it lies under the job's input; else an error naming both.
    public func input(_ file: String) throws -> String {
        try InputGuard.check(file, within: jobInput)
    }
}
