import Coordinator
import Foundation
import Shared

/// The coordinator side of a kind: parses the options (a bad `--param` fails the job at
/// planning), checks the output directory, plans, and encodes the typed plan into tasks
/// (shards, the partials of a `PartialMerging` kind, the merge).
public struct KindPlanner<K: Kind>: JobPlanner {
    public let dataKind: K

    public init(kind: K) {
        dataKind = kind
    }

    public var kind: String { dataKind.name }

    public func plan(input: String, params: JobParams, context: PlanContext) throws -> JobPlan {
        let options = try dataKind.options(params)
        if dataKind.writesFiles { try OutputDirectory(path: context.outputDirectory).prepare() }
        let plan = try dataKind.plan(input: input, options: options, context: context)
        // A kind with hierarchical merges gets partials over consecutive shards (see `PartialMerging`).
        var partials: [(task: PlannedTask, shards: Range<Int>)] = []
        if plan.merge != nil, let hierarchical = dataKind as? any PartialMerging {
            partials = try Self.partials(of: hierarchical, shards: plan.shards, options: options)
        }
        return JobPlan(
            shards: try plan.shards.map { PlannedTask(kind: dataKind.name, payload: try PayloadJSON.encode($0)) },
            partials: partials,
            merge: try plan.merge.map { PlannedTask(kind: dataKind.name, payload: try PayloadJSON.encode($0)) },
            notes: plan.notes)
    }

    /// `kind.partialTasks` with the plan's values cast to the opened kind's own types (the same
    /// types: `kind` is `dataKind`).
    private static func partials<P: PartialMerging>(of kind: P, shards: [K.ShardPayload], options: K.Options) throws
        -> [(task: PlannedTask, shards: Range<Int>)] {
        guard let shards = shards as? [P.ShardPayload], let options = options as? P.Options else { return [] }
        return try kind.partialTasks(shards: shards, options: options)
    }
}
