import Coordinator
import Foundation
import Kinds
import Logging
import Shared

/// Runs a kind's job in this process without a database, the way the queue would: the plan
/// through the coordinator's adapter (options checked, output directory prepared, payloads
/// encoded), every shard, then the merge handed the shards' outputs through the same JSON
/// round trip as `shard_outputs`. A shard that throws is `dead` for the merge.
struct KindHarness<K: Kind> {
    let kind: K
    let input: String
    let params: JobParams
    let output: OutputDirectory

    init(_ kind: K, input: String, params: [String: String] = [:], output: String? = nil) throws {
        self.kind = kind
        self.input = input
        var values = params
        values["output_dir"] = try output ?? values["output_dir"] ?? Self.temporaryDirectory("out")
        self.params = JobParams(values)
        self.output = OutputDirectory(path: values["output_dir"]!)
    }

    static func temporaryDirectory(_ label: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-kinds-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The plan as the coordinator stores it.
    func jobPlan() throws -> JobPlan {
        try kind.planner.plan(input: input, params: params, context: PlanContext(jobId: 1, outputDirectory: output.path))
    }

    /// The plan, decoded back into typed payloads.
    func plan() throws -> (shards: [K.ShardPayload], merge: K.MergePayload?, notes: [String]) {
        let plan = try jobPlan()
        return (try plan.shards.map { try PayloadJSON.decode(K.ShardPayload.self, from: $0.payload, what: "shard payload") },
                try plan.merge.map { try PayloadJSON.decode(K.MergePayload.self, from: $0.payload, what: "merge payload") },
                plan.notes)
    }

    func context(task: Int64, attempt: Int = 1) -> KindContext {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return KindContext(jobId: 1, taskId: task, attempt: attempt, jobInput: input, output: output, logger: logger)
    }

    /// Shard `index` of `shards`, as a worker runs it.
    func runShard(_ payload: K.ShardPayload, index: Int) throws -> ShardResult<K.ShardOutput> {
        try kind.runShard(payload, options: try kind.options(params), context: context(task: Int64(index + 1)))
    }

    /// Every shard (errors kept, as the queue would after the last attempt), then the merge.
    func run() throws -> (shards: [ShardInput<K.ShardPayload, K.ShardOutput>], shardRows: [[ResultRows]], errors: [Error],
                          mergeRows: [ResultRows]) {
        let plan = try plan()
        var inputs: [ShardInput<K.ShardPayload, K.ShardOutput>] = []
        var rows: [[ResultRows]] = []
        var errors: [Error] = []
        for (i, payload) in plan.shards.enumerated() {
            do {
                let result = try runShard(payload, index: i)
                let handed = try PayloadJSON.decode(K.ShardOutput.self, from: try PayloadJSON.encode(result.output), what: "output")
                inputs.append(ShardInput(taskId: Int64(i + 1), payload: payload, state: .done, output: handed))
                rows.append(result.rows)
            } catch {
                inputs.append(ShardInput(taskId: Int64(i + 1), payload: payload, state: .dead, output: nil))
                rows.append([])
                errors.append(error)
            }
        }
        guard let merge = plan.merge else { return (inputs, rows, errors, []) }
        let mergeRows = try kind.merge(merge, shards: inputs, options: try kind.options(params),
                                       context: context(task: Int64(plan.shards.count + 1)))
        return (inputs, rows, errors, mergeRows)
    }
}

extension Array where Element == ResultRows {
    /// The rows written to `table`, as dictionaries by column.
    func rows(of table: String) -> [[String: (any PGValue)?]] {
        filter { $0.table == table }.flatMap { r in r.rows.map { Dictionary(uniqueKeysWithValues: zip(r.columns, $0)) } }
    }
}

extension KindHarness where K: PartialMerging {
    /// Every shard, then the partials the planner made (each handed its range's shards), then the
    /// final merge handed the partials' outputs — each output through the JSON round trip of
    /// `shard_outputs`. `killPartial` makes that partial dead (as after its last lost lease).
    func runHierarchical(killPartial: Int? = nil) throws -> (partials: [PartialRange], partialRows: [[ResultRows]], finalRows: [ResultRows]) {
        let plan = try jobPlan()
        let options = try kind.options(params)
        let shards = try run().shards
        let ranges = try plan.partials.map { try PayloadJSON.decode(PartialRange.self, from: $0.task.payload, what: "partial payload") }
        var inputs: [ShardInput<PartialRange, K.PartialOutput>] = []
        var rows: [[ResultRows]] = []
        for (i, range) in ranges.enumerated() {
            let id = Int64(plan.shards.count + 1 + i)
            guard range.index != killPartial else {
                inputs.append(ShardInput(taskId: id, payload: range, state: .dead, output: nil))
                rows.append([])
                continue
            }
            let mine = Array(shards[range.firstShard..<(range.firstShard + range.shardCount)])
            let result = try kind.mergePartial(range, shards: mine, options: options, context: context(task: id))
            let handed = try PayloadJSON.decode(K.PartialOutput.self, from: try PayloadJSON.encode(result.output), what: "partial output")
            inputs.append(ShardInput(taskId: id, payload: range, state: .done, output: handed))
            rows.append(result.rows)
        }
        guard let mergeTask = plan.merge else { return (ranges, rows, []) }
        let merge = try PayloadJSON.decode(K.MergePayload.self, from: mergeTask.payload, what: "merge payload")
        let finalRows = try kind.mergeFinal(merge, partials: inputs, options: options,
                                            context: context(task: Int64(plan.shards.count + ranges.count + 1)))
        return (ranges, rows, finalRows)
    }
}
