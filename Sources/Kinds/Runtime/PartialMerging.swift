import Coordinator
import Foundation
import Shared

/// Hierarchical merges, for a kind whose merge would otherwise grow with the job (a long video's
/// tracking): consecutive shards are merged in groups by `partial` tasks, each handing a small
/// output to the final merge, so no task reads the whole job and a killed one loses only itself.
///
/// Optional: a kind that does not adopt it keeps one `merge` over every shard. One that does gets
/// from `KindPlanner` a partial per `shardsPerPartial(shards:options:)` consecutive shards (when
/// its plan has a merge); `KindTaskRunner` hands each partial its shards (`mergePartial`) and the
/// final merge the partials' outputs (`mergeFinal`). The fair-sequence, retry and lost-lease rules
/// of the queue apply to partials unchanged.
public protocol PartialMerging: Kind {
    /// What a partial hands the final merge (stored in `shard_outputs`, replaced on re-run).
    associatedtype PartialOutput: Codable & Sendable

    /// How many consecutive shards one partial merges (≥ 1), given the job's shards.
    func shardsPerPartial(shards: [ShardPayload], options: Options) -> Int

    /// Merges one group of consecutive shards (done or dead, with their outputs): returns what
    /// the final merge needs and rows for `partialTables`. Touches no database.
    func mergePartial(_ range: PartialRange, shards: [ShardInput<ShardPayload, ShardOutput>], options: Options,
                      context: KindContext) throws -> ShardResult<PartialOutput>

    /// The final merge over every partial (done or dead, by range), returning the merge's rows.
    func mergeFinal(_ payload: MergePayload, partials: [ShardInput<PartialRange, PartialOutput>], options: Options,
                    context: KindContext) throws -> [ResultRows]

    /// Results tables partial tasks write (cleared for a partial when it re-runs).
    var partialTables: [String] { get }
}

/// A partial task's payload: which shards it merges.
public struct PartialRange: Codable, Sendable, Equatable {
    /// Its place among the job's partials, from 0.
    public var index: Int
    /// Shard indices (positions in the plan's shards) it merges: `firstShard..<firstShard + shardCount`.
    public var firstShard: Int
    public var shardCount: Int

    public init(index: Int, firstShard: Int, shardCount: Int) {
        self.index = index
        self.firstShard = firstShard
        self.shardCount = shardCount
    }

    enum CodingKeys: String, CodingKey {
        case index, firstShard = "first_shard", shardCount = "shard_count"
    }

    /// Consecutive ranges of `perPartial` shards covering `shards` shards.
    public static func ranges(shards: Int, perPartial: Int) -> [PartialRange] {
        let size = max(1, perPartial)
        return stride(from: 0, to: shards, by: size).enumerated().map { index, first in
            PartialRange(index: index, firstShard: first, shardCount: min(size, shards - first))
        }
    }
}

extension PartialMerging {
    /// The partial tasks of a plan of `shards` shards.
    func partialTasks(shards: [ShardPayload], options: Options) throws -> [(task: PlannedTask, shards: Range<Int>)] {
        try PartialRange.ranges(shards: shards.count, perPartial: shardsPerPartial(shards: shards, options: options)).map {
            (PlannedTask(kind: name, payload: try PayloadJSON.encode($0)), $0.firstShard..<($0.firstShard + $0.shardCount))
        }
    }

    /// Runs a `partial` task: its shards' records decoded, `mergePartial`, the output handed on.
    func runPartial(_ task: ClaimedTask, records: [ShardRecord], context: KindContext) throws -> TaskOutput {
        let options = try self.options(try JobParams(json: task.jobParams))
        let range = try PayloadJSON.decode(PartialRange.self, from: task.payload, what: "\(name) partial task \(task.id) payload")
        let shards = try records.filter { $0.role == .shard }.map { try shardInput($0) }
        let result = try mergePartial(range, shards: shards, options: options, context: context)
        let handOver = ResultRows(table: ShardOutputs.table, columns: ShardOutputs.columns,
                                  rows: [[PGJSON(raw: try PayloadJSON.encode(result.output))]])
        return TaskOutput(results: result.rows + [handOver], alsoClearing: partialTables + [ShardOutputs.table])
    }

    /// Runs the final merge over the partials' records (shards no partial covers are not expected
    /// from `KindPlanner`; they are refused by name so a mixed plan fails loudly).
    func runFinal(_ task: ClaimedTask, payload: MergePayload, records: [ShardRecord], context: KindContext) throws -> [ResultRows] {
        let options = try self.options(try JobParams(json: task.jobParams))
        if let stray = records.first(where: { $0.role != .partial }) {
            throw TaskError("\(name) merge task \(task.id): task \(stray.taskId) it waits for is a \(stray.role.rawValue), not a partial")
        }
        let partials = try records.map { record in
            ShardInput(
                taskId: record.taskId,
                payload: try PayloadJSON.decode(PartialRange.self, from: record.payload, what: "\(name) partial task \(record.taskId) payload"),
                state: record.state,
                output: try record.output.map { try PayloadJSON.decode(PartialOutput.self, from: $0, what: "output of \(name) partial task \(record.taskId)") })
        }
        return try mergeFinal(payload, partials: partials.sorted { $0.payload.index < $1.payload.index }, options: options, context: context)
    }
}

extension Kind {
    /// A shard's record as its merge sees it.
    func shardInput(_ record: ShardRecord) throws -> ShardInput<ShardPayload, ShardOutput> {
        ShardInput(
            taskId: record.taskId,
            payload: try PayloadJSON.decode(ShardPayload.self, from: record.payload, what: "\(name) shard task \(record.taskId) payload"),
            state: record.state,
            output: try record.output.map { try PayloadJSON.decode(ShardOutput.self, from: $0, what: "output of \(name) shard task \(record.taskId)") })
    }
}
