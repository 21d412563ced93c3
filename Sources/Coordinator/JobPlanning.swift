import Foundation
import Logging
import Shared

/// Plans queued jobs one at a time with the planner of their kind. The store takes the job
/// (SKIP LOCKED in PostgreSQL, so several coordinators share the work), fixes its output
/// directory and inserts the tasks, all in one transaction: a coordinator that dies mid-plan
/// leaves the job queued for another.
public struct JobPlanning: Sendable {
    let planners: [String: any JobPlanner]

    public init(planners: [any JobPlanner]) {
        var table: [String: any JobPlanner] = [:]
        for planner in planners { table[planner.kind] = planner }
        self.planners = table
    }

    /// Plans one queued job if there is one; returns its id.
    public func planNext(_ store: any TaskStore, logger: Logger) throws -> Int64? {
        guard let outcome = try store.planNext(plan) else { return nil }
        var jobLogger = logger
        jobLogger[metadataKey: "job.id"] = "\(outcome.jobId)"
        switch outcome {
        case let .failed(_, error):
            jobLogger.error("job cannot be planned", metadata: ["error": "\(error)"])
        case let .planned(_, tasks, notes):
            for note in notes { jobLogger.notice("\(note)") }
            jobLogger.info("job planned", metadata: ["tasks": "\(tasks)"])
        }
        return outcome.jobId
    }

    /// Plans one queued job on `conn` (tests, one-shot commands).
    public func planNext(_ conn: PGConnection, logger: Logger) throws -> Int64? {
        try planNext(PostgresTaskStore(connection: conn), logger: logger)
    }

    /// The plan of one job by the planner of its kind.
    func plan(_ job: QueuedJob) throws -> TaskPlan {
        guard let planner = planners[job.kind] else {
            throw PlanError("job kind '\(job.kind)' has no planner in this coordinator (known: \(planners.keys.sorted().joined(separator: ", ")))")
        }
        let context = PlanContext(jobId: job.id, outputDirectory: job.params["output_dir"] ?? "")
        let plan = try planner.plan(input: job.input, params: JobParams(job.params), context: context)
        return TaskPlan(
            shards: plan.shards.map { TaskSpec(kind: $0.kind, payload: $0.payload) },
            partials: plan.partials.map { PartialSpec(task: TaskSpec(kind: $0.task.kind, payload: $0.task.payload), shards: $0.shards) },
            merge: plan.merge.map { TaskSpec(kind: $0.kind, payload: $0.payload) },
            notes: plan.notes)
    }
}
