import Logging
import Shared

/// Runs the tasks of some kinds. Implementations are stateless and shared by all slots.
public protocol TaskRunner: Sendable {
    /// The task kinds this runner handles, e.g. `["bench", "bench.merge"]`.
    var kinds: [String] { get }
    /// Runs one task. Files go to paths fixed by the task (written atomically), rows are
    /// returned and written by the worker in the completion transaction. Throwing fails the
    /// attempt: it is retried with backoff, and dead after the job's maximum attempts.
    func run(_ task: ClaimedTask, context: TaskContext) throws -> TaskOutput
}

/// What a running task may use besides its own inputs.
public final class TaskContext {
    public let workerId: String
    public let logger: Logger
    /// Set when the worker is shutting down; long tasks may check it and give up early.
    public let stop: StopFlag
    private let conninfo: String
    private var connection: ResilientConnection?

    init(workerId: String, conninfo: String, logger: Logger, stop: StopFlag) {
        self.workerId = workerId
        self.conninfo = conninfo
        self.logger = logger
        self.stop = stop
    }

    /// A connection for tasks that read other tasks' results (merge steps); one per slot.
    public func database() -> ResilientConnection {
        if let connection { return connection }
        let fresh = ResilientConnection(conninfo: conninfo, applicationName: "slipline-task", logger: logger, stopFlag: stop)
        connection = fresh
        return fresh
    }
}
