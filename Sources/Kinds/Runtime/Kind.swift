import ArgumentParser
import Coordinator
import Worker
import Foundation
import Shared

/// A data kind: everything Slipline knows about one sort of dataset, in one folder.
///
/// Modelled on LiberTEM's user-defined functions: a job is planned into shards that run in
/// parallel (`runShard`, one partition of the data each) and one merge that is handed every
/// shard's typed output (`merge`). A kind declares its typed options, payloads and shard
/// output; the generic `KindTaskRunner` and `KindPlanner` do the decoding, the output guard,
/// the housekeeping and the dispatch on the task's role, so a kind never sees JSON or SQL of
/// the queue. Adding a kind is one folder, one line in `Kinds.all` and one migration (its
/// result tables).
public protocol Kind: Sendable {
    /// The job's `--param` options, parsed and checked once per task.
    associatedtype Options: Sendable
    /// What one shard task processes (written by `plan`, stored in the task row).
    associatedtype ShardPayload: Codable & Sendable
    /// What one shard hands to the merge (stored in `shard_outputs`, replaced on re-run).
    associatedtype ShardOutput: Codable & Sendable
    /// What the merge task needs besides the shard outputs.
    associatedtype MergePayload: Codable & Sendable

    /// The kind's name: `--kind` value, `jobs.kind` and `tasks.kind`.
    var name: String { get }
    /// One line for help texts: what the input is.
    var inputDescription: String { get }
    /// Whether the job's input is a path to read (false for `bench`, whose input is a label).
    var readsInputPath: Bool { get }
    /// Whether tasks write files (then the output directory is checked when the job is planned).
    var writesFiles: Bool { get }

    /// Parses and checks the job's parameters; errors name the parameter.
    func options(_ params: JobParams) throws -> Options

    /// How sure this kind is that `input` is its data (kind detection without `--kind`).
    func recognise(_ input: InputListing) -> InputMatch

    /// What `input` was found to hold, a line each (format and variant, shape, type, axes,
    /// calibration, ensemble members), read from headers; `ctl run`/`ctl submit` print them.
    /// `params` are the job's `--param` values (a dataset or scan shape the file lacks).
    func describe(_ input: InputListing, params: [String: String]) -> [String]

    /// Splits a job into shards and an optional merge. Runs in the coordinator; reads only
    /// listings and headers. Errors (`PlanError`) name the input and the fix.
    func plan(input: String, options: Options, context: PlanContext) throws -> KindPlan<ShardPayload, MergePayload>

    /// Runs one shard: reads its part of the input, writes its files under the output
    /// directory (atomically, under names fixed by the payload) and returns what the merge
    /// needs plus rows for the kind's shard tables. Throwing fails the attempt.
    func runShard(_ payload: ShardPayload, options: Options, context: KindContext) throws -> ShardResult<ShardOutput>

    /// Merges: handed the merge payload and every shard (its payload, final state and output),
    /// returns the merge's rows. Touches no database.
    func merge(_ payload: MergePayload, shards: [ShardInput<ShardPayload, ShardOutput>], options: Options,
               context: KindContext) throws -> [ResultRows]

    /// Results tables shard tasks write (cleared for a task when it re-runs).
    var shardTables: [String] { get }
    /// Results tables the merge task writes.
    var mergeTables: [String] { get }

    /// Lines `ctl run` and `ctl status JOB` print about a finished job's results.
    func summary(of job: JobRecord, on conn: PGConnection) throws -> [String]

    /// `ctl export` for this kind (nil: not exportable; query the views).
    var exporter: (any JobExporter)? { get }

    /// `ctl synth NAME`, `ctl eval NAME`, `ctl bench NAME` (nil where the kind has none).
    var synthCommand: (any ParsableCommand.Type)? { get }
    var evalCommand: (any ParsableCommand.Type)? { get }
    var benchCommand: (any ParsableCommand.Type)? { get }
}

extension Kind {
    public var readsInputPath: Bool { true }
    public func describe(_ input: InputListing, params: [String: String]) -> [String] { [] }
    public var writesFiles: Bool { true }
    public var exporter: (any JobExporter)? { nil }
    public var synthCommand: (any ParsableCommand.Type)? { nil }
    public var evalCommand: (any ParsableCommand.Type)? { nil }
    public var benchCommand: (any ParsableCommand.Type)? { nil }

    /// The worker side of this kind, for `WorkerService`.
    public var runner: any TaskRunner { KindTaskRunner(kind: self) }
    /// The coordinator side of this kind, for `CoordinatorService`.
    public var planner: any JobPlanner { KindPlanner(kind: self) }
}

/// A shard's or merge's plan as typed values (the planner adapter encodes them).
public struct KindPlan<ShardPayload: Codable & Sendable, MergePayload: Codable & Sendable>: Sendable {
    public var shards: [ShardPayload]
    public var merge: MergePayload?
    /// Things the user should hear about (ignored files, substituted defaults).
    public var notes: [String]

    public init(shards: [ShardPayload], merge: MergePayload?, notes: [String] = []) {
        self.shards = shards
        self.merge = merge
        self.notes = notes
    }
}

/// What a shard produced.
public struct ShardResult<Output: Codable & Sendable>: Sendable {
    /// Handed to the merge.
    public var output: Output
    /// Rows for the kind's shard tables (user-visible per-item results).
    public var rows: [ResultRows]

    public init(output: Output, rows: [ResultRows] = []) {
        self.output = output
        self.rows = rows
    }
}

/// One shard as its merge sees it.
public struct ShardInput<Payload: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    public var taskId: Int64
    public var payload: Payload
    /// `done`, or `dead` when it failed every attempt (then `output` is nil).
    public var state: TaskState
    public var output: Output?

    public init(taskId: Int64, payload: Payload, state: TaskState, output: Output?) {
        self.taskId = taskId
        self.payload = payload
        self.state = state
        self.output = output
    }

    /// Done with an output.
    public var succeeded: Bool { state == .done && output != nil }
}

/// A shard output for kinds whose shards hand nothing but their completion.
public struct NoOutput: Codable, Sendable, Equatable {
    public init() {}
}
