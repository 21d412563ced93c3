import Foundation
import Shared

/// Plans `bench` jobs: `--param tasks=N` shards (default 100) that sleep `sleep_ms`
/// (default 0), optionally failing (`fail=always|first`), plus a merge (`merge=false` to omit).
public struct BenchPlanner: JobPlanner {
    public init() {}

    public var kind: String { "bench" }

    public func plan(input: String, params: JobParams, context: PlanContext) throws -> JobPlan {
        let count = try params.int("tasks", default: 100, range: 0...10_000_000)
        let sleepMs = try params.double("sleep_ms", default: 0, range: 0...3_600_000)
        let fail = params.string("fail", default: "never")
        guard ["never", "always", "first"].contains(fail) else {
            throw PlanError("--param fail=\(fail): expected never, always or first")
        }
        let merge = try params.bool("merge", default: true)
        let shards = (0..<count).map { item in
            PlannedTask(kind: "bench", payload: #"{"item":\#(item),"sleep_ms":\#(sleepMs),"fail":"\#(fail)"}"#)
        }
        return JobPlan(shards: shards, merge: merge ? PlannedTask(kind: "bench.merge", payload: "{}") : nil)
    }
}
