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

/// A partial merge of a plan: a task (role `partial`) that waits for the shards of
/// `shards` (indices into `TaskPlan.shards`) and hands its own output to the final merge.
public struct PartialSpec: Sendable, Equatable {
    public let task: TaskSpec
    public let shards: Range<Int>

    public init(task: TaskSpec, shards: Range<Int>) {
        self.task = task
        self.shards = shards
    }
}

/// The tasks a planned job gets, as the store inserts them: shards that run in parallel,
/// optionally partial merges of consecutive shard ranges, and optionally one merge that waits
/// for every partial and for every shard no partial covers to end (done or dead).
public struct TaskPlan: Sendable, Equatable {
    public var shards: [TaskSpec]
    /// Hierarchical merges: each depends on its range of shards, the merge on all of them.
    /// Ranges must lie within `shards` and not overlap (`validated`).
    public var partials: [PartialSpec]
    public var merge: TaskSpec?
    /// Kept on the job (`jobs.error`) for the user: things the planner noticed.
    public var notes: [String]

    public init(shards: [TaskSpec], partials: [PartialSpec] = [], merge: TaskSpec? = nil, notes: [String] = []) {
        self.shards = shards
        self.partials = partials
        self.merge = merge
        self.notes = notes
    }

    /// Shards, partials and the merge.
    public var taskCount: Int { shards.count + partials.count + (merge == nil ? 0 : 1) }

    /// For each shard index, the partial that covers it (nil: the merge depends on it directly).
    public var partialOfShard: [Int?] {
        var owner = [Int?](repeating: nil, count: shards.count)
        for (p, partial) in partials.enumerated() { for s in partial.shards { owner[s] = p } }
        return owner
    }

    /// Throws `PlanError`-like text when a partial's range is empty, out of bounds or overlaps
    /// another's (a planner bug, reported on the job rather than inserted).
    public func validated() throws -> TaskPlan {
        var seen = [Bool](repeating: false, count: shards.count)
        for (p, partial) in partials.enumerated() {
            guard !partial.shards.isEmpty, partial.shards.lowerBound >= 0, partial.shards.upperBound <= shards.count else {
                throw TaskPlanError(description: "partial \(p) covers shards \(partial.shards) of \(shards.count)")
            }
            for s in partial.shards {
                guard !seen[s] else { throw TaskPlanError(description: "shard \(s) is covered by two partials") }
                seen[s] = true
            }
        }
        return self
    }
}

/// A plan that cannot be inserted as it is (see `TaskPlan.validated`).
public struct TaskPlanError: Error, CustomStringConvertible, Equatable {
    public let description: String
}
