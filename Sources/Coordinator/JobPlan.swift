import Shared

/// One task to create.
public struct PlannedTask: Sendable, Equatable {
    public let kind: String
    /// Task parameters as a JSON object.
    public let payload: String

    public init(kind: String, payload: String) {
        self.kind = kind
        self.payload = payload
    }
}

/// How a job is split: shards that run in parallel, optionally partial merges of consecutive
/// shard ranges, and optionally one merge task that runs after every partial and every shard
/// no partial covers has finished (done, or dead after its retries).
public struct JobPlan: Sendable, Equatable {
    public var shards: [PlannedTask]
    /// Each partial with the range of shard indices it merges (see `TaskPlan.partials`).
    public var partials: [(task: PlannedTask, shards: Range<Int>)]
    public var merge: PlannedTask?
    /// Things the planner noticed and the user should hear about (e.g. ignored files).
    public var notes: [String]

    public init(shards: [PlannedTask], partials: [(task: PlannedTask, shards: Range<Int>)] = [], merge: PlannedTask? = nil,
                notes: [String] = []) {
        self.shards = shards
        self.partials = partials
        self.merge = merge
        self.notes = notes
    }

    public static func == (a: JobPlan, b: JobPlan) -> Bool {
        a.shards == b.shards && a.merge == b.merge && a.notes == b.notes
            && a.partials.map(\.task) == b.partials.map(\.task) && a.partials.map(\.shards) == b.partials.map(\.shards)
    }
}

/// What a planner knows besides the job's input and parameters.
public struct PlanContext: Sendable {
    public let jobId: Int64
    /// Where the job's files go (Ψ volumes, virtual images, reports): `--param output_dir=`,
    /// else `$SLIPLINE_HOME/results/<database>/job-<id>-<submitted, UTC>` of the planning coordinator. An absolute path
    /// that every worker of the job must be able to write (a shared filesystem on a cluster).
    public let outputDirectory: String

    public init(jobId: Int64, outputDirectory: String) {
        self.jobId = jobId
        self.outputDirectory = outputDirectory
    }
}

/// Splits jobs of some kinds into tasks. Runs in the coordinator; reads only directory
/// listings and file headers, never whole datasets.
public protocol JobPlanner: Sendable {
    var kind: String { get }
    /// Throws `PlanError` (or any error) with a message naming the input and the fix.
    func plan(input: String, params: JobParams, context: PlanContext) throws -> JobPlan
}

/// A job that cannot be planned (missing input, bad parameter).
public struct PlanError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
