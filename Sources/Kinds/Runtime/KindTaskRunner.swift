import Foundation
import Shared
import Worker

/// The one runner every kind's tasks go through: decodes the job's options and the task's
/// payload, checks the output directory, dispatches on the task's role, hands a merge its
/// shards' outputs (a partial its range's shards, a final merge the partials' outputs: see
/// `PartialMerging`), and turns the results into rows. Kinds see typed values only.
public struct KindTaskRunner<K: Kind>: TaskRunner {
    public let kind: K
    /// The last job's decoded parameters: consecutive tasks are mostly of one job, and
    /// decoding JSON per task cost more than a no-op task itself (`ctl bench queue`).
    private let lastJob = JobSettingsCache<K.Options>()

    public init(kind: K) {
        self.kind = kind
    }

    public var kinds: [String] { [kind.name] }

    public func run(_ task: ClaimedTask, context: TaskContext) throws -> TaskOutput {
        let (options, output) = try lastJob.settings(for: task.jobParams) { text in
            let params = try JobParams(json: text)
            return (try kind.options(params), try OutputDirectory(params: params))
        }
        let kindContext = KindContext(
            jobId: task.jobId, taskId: task.id, attempt: task.attempt, jobInput: task.jobInput, output: output,
            logger: context.logger, stop: context.giveUp, workerId: context.workerId, cancelled: context.cancelled)
        switch task.role {
        case .shard:
            let payload = try PayloadJSON.decode(K.ShardPayload.self, from: task.payload, what: "\(kind.name) shard task \(task.id) payload")
            let result = try kind.runShard(payload, options: options, context: kindContext)
            let handOver = ResultRows(table: ShardOutputs.table, columns: ShardOutputs.columns,
                                      rows: [[PGJSON(raw: try PayloadJSON.encode(result.output))]])
            return TaskOutput(results: result.rows + [handOver], alsoClearing: kind.shardTables + [ShardOutputs.table])
        case .partial:
            guard let hierarchical = kind as? any PartialMerging else {
                throw TaskError("\(kind.name) has no partial merges, but task \(task.id) is a partial")
            }
            return try hierarchical.runPartial(task, records: try context.store.dependencyOutputs(task: task.id), context: kindContext)
        case .merge:
            defer {
                let removed = output.removeStaleTemporaries()
                if !removed.isEmpty {
                    context.logger.notice("removed temporary files left by killed writers", metadata: [
                        "job.id": "\(task.jobId)", "files.count": "\(removed.count)"])
                }
            }
            let payload = try PayloadJSON.decode(K.MergePayload.self, from: task.payload, what: "\(kind.name) merge task \(task.id) payload")
            // A merge that waits for partials is the final step of a hierarchical merge; one that
            // waits for shards (every other kind, and jobs planned before partials) merges them all.
            let dependencies = try context.store.dependencyOutputs(task: task.id)
            let rows: [ResultRows]
            if let hierarchical = kind as? any PartialMerging, dependencies.contains(where: { $0.role == .partial }) {
                rows = try Self.final(hierarchical, task, payload: payload, records: dependencies, context: kindContext)
            } else {
                let shards = try context.store.shardOutputs(job: task.jobId).map { try kind.shardInput($0) }
                rows = try kind.merge(payload, shards: shards, options: options, context: kindContext)
            }
            return TaskOutput(results: rows, alsoClearing: kind.mergeTables,
                              refreshingWhenJobEnds: kind.shardTables + kind.mergeTables)
        }
    }
}

extension KindTaskRunner {
    /// `kind.runFinal` with the merge payload cast to the opened kind's own type (the same type).
    static func final<P: PartialMerging>(_ kind: P, _ task: ClaimedTask, payload: K.MergePayload, records: [ShardRecord],
                                         context: KindContext) throws -> [ResultRows] {
        guard let payload = payload as? P.MergePayload else { throw TaskError("\(kind.name) merge task \(task.id): payload type mismatch") }
        return try kind.runFinal(task, payload: payload, records: records, context: context)
    }
}

/// The shard-to-merge channel: one row per shard task in `shard_outputs` (schema migration
/// 7), written like any result so that a re-run replaces it.
public enum ShardOutputs {
    public static let table = "shard_outputs"
    public static let columns = ["output"]
}

/// The decoded settings of the most recent job parameters text, shared by a runner's slots.
final class JobSettingsCache<Options>: @unchecked Sendable {
    private let lock = NSLock()
    private var key: String?
    private var value: (Options, OutputDirectory)?

    /// The settings for `params` (JSON text), decoded by `decode` when they differ from the last.
    func settings(for params: String, decode: (String) throws -> (Options, OutputDirectory)) throws -> (Options, OutputDirectory) {
        lock.lock()
        if key == params, let value {
            lock.unlock()
            return value
        }
        lock.unlock()
        let fresh = try decode(params)
        lock.lock()
        key = params
        value = fresh
        lock.unlock()
        return fresh
    }
}
