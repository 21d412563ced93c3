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
    /// Set when the worker shuts down; long tasks check it and give up early.
    public let stop: StopFlag
    /// The worker running the task (recorded by the bench kind).
    public let workerId: String

    public init(jobId: Int64, taskId: Int64, attempt: Int, jobInput: String, output: OutputDirectory,
                logger: Logger, stop: StopFlag = StopFlag(), workerId: String = "local") {
        self.jobId = jobId
        self.taskId = taskId
        self.attempt = attempt
        self.jobInput = jobInput
        self.output = output
        self.logger = logger
        self.stop = stop
        self.workerId = workerId
    }

    /// `file`, resolved, if it lies under the job's input; else an error naming both.
    public func input(_ file: String) throws -> String {
        try InputGuard.check(file, within: jobInput)
    }
}
