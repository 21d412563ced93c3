import Coordinator
import Foundation
import Shared

/// The coordinator side of a kind: parses the options (a bad `--param` fails the job at
/// planning), checks the output directory, plans, and encodes the typed plan into tasks.
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
        return JobPlan(
            shards: try plan.shards.map { PlannedTask(kind: dataKind.name, payload: try PayloadJSON.encode($0)) },
            merge: try plan.merge.map { PlannedTask(kind: dataKind.name, payload: try PayloadJSON.encode($0)) },
            notes: plan.notes)
    }
}
