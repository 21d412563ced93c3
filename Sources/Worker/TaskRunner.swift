import Logging
import Shared

/// Runs the tasks of some kinds. Implementations are stateless and shared by all slots.
public protocol TaskRunner: Sendable {
    /// The task kinds this runner handles (a task's kind is its job's kind, e.g. `["bench"]`).
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
    /// The running task's own flag, set when its lease is no longer this worker's (its job
    /// was cancelled, the lease reaped): whatever it returns would be refused, so it may stop
    /// at once. Its outcome is not recorded either way.
    public private(set) var cancelled = StopFlag()
    /// Set by `stop` or by `cancelled`: what a long task checks to give up early.
    public private(set) var giveUp = StopFlag()
    private let stores: TaskStoreSessions
    private var session: (any TaskStore)?

    init(workerId: String, stores: TaskStoreSessions, logger: Logger, stop: StopFlag) {
        self.workerId = workerId
        self.stores = stores
        self.logger = logger
        self.stop = stop
    }

    /// The queue, for merges that read what their shards handed them
    /// (`store.shardOutputs(job:)`); one session per slot.
    public var store: any TaskStore {
        if let session { return session }
        let fresh = stores.session("slipline-task", logger: logger, stop: stop)
        session = fresh
        return fresh
    }

    /// Flags for the next task the slot runs.
    func begin(cancelled: StopFlag, giveUp: StopFlag) {
        self.cancelled = cancelled
        self.giveUp = giveUp
    }

    /// Closes the slot's connections.
    func close() {
        session?.close()
    }
}
