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

/// How a job is split: shards that run in parallel, and optionally one merge task that runs
/// after every shard has finished (done, or dead after its retries).
public struct JobPlan: Sendable, Equatable {
    public var shards: [PlannedTask]
    public var merge: PlannedTask?
    /// Things the planner noticed and the user should hear about (e.g. ignored files).
    public var notes: [String]

    public init(shards: [PlannedTask], merge: PlannedTask? = nil, notes: [String] = []) {
        self.shards = shards
        self.merge = merge
        self.notes = notes
    }
}

/// Splits jobs of some kinds into tasks. Runs in the coordinator; reads only directory
/// listings and file headers, never whole datasets.
public protocol JobPlanner: Sendable {
    var kind: String { get }
    /// Throws `PlanError` (or any error) with a message naming the input and the fix.
    func plan(input: String, params: JobParams) throws -> JobPlan
}

/// A job that cannot be planned (missing input, bad parameter).
public struct PlanError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
