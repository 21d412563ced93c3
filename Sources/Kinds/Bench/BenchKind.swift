import ArgumentParser
import Coordinator
import Foundation
import Shared

/// The built-in `bench` kind, to exercise and measure the queue itself: `--param tasks=N`
/// shards (default 100) that sleep `sleep_ms` (default 0: a no-op) and record which worker
/// ran them, optionally failing (`fail=always` every attempt, `fail=first` every first
/// attempt), and a merge that counts the shards that handed it an output (`merge=false` omits it).
public struct BenchKind: Kind {
    public init() {}

    public var name: String { "bench" }
    public var inputDescription: String { "a label (no data is read)" }
    public var readsInputPath: Bool { false }
    public var writesFiles: Bool { false }

    public struct Options: Sendable {
        public var tasks: Int
        public var sleepMs: Double
        public var fail: String
        public var merge: Bool
    }

    public struct ShardPayload: Codable, Sendable, Equatable {
        public var item: Int
        public var sleep_ms: Double?
        public var fail: String?
    }

    public struct ShardOutput: Codable, Sendable, Equatable {
        public var item: Int
    }

    public func options(_ params: JobParams) throws -> Options {
        let fail = params.string("fail", default: "never")
        guard ["never", "always", "first"].contains(fail) else {
            throw ParamError(message: "--param fail=\(fail): expected never, always or first")
        }
        return Options(
            tasks: try params.int("tasks", default: 100, range: 0...10_000_000),
            sleepMs: try params.double("sleep_ms", default: 0, range: 0...3_600_000),
            fail: fail, merge: try params.bool("merge", default: true))
    }

    public func recognise(_ input: InputListing) -> InputMatch { .no }

    public func plan(input: String, options: Options, context: PlanContext) throws -> KindPlan<ShardPayload, NoOutput> {
        let shards = (0..<options.tasks).map { ShardPayload(item: $0, sleep_ms: options.sleepMs, fail: options.fail) }
        return KindPlan(shards: shards, merge: options.merge ? NoOutput() : nil)
    }

    public func runShard(_ payload: ShardPayload, options: Options, context: KindContext) throws -> ShardResult<ShardOutput> {
        // Sleeps through a graceful shutdown, but not past its job's cancellation.
        if let ms = payload.sleep_ms, ms > 0, context.cancelled.wait(timeout: ms / 1000) { try context.checkCancelled() }
        switch payload.fail {
        case "always": throw TaskError("bench item \(payload.item): failing as asked (fail=always)")
        case "first" where context.attempt == 1: throw TaskError("bench item \(payload.item): failing the first attempt as asked")
        default: break
        }
        let row = ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                             rows: [[payload.item, context.workerId, context.attempt]])
        return ShardResult(output: ShardOutput(item: payload.item), rows: [row])
    }

    public func merge(_ payload: NoOutput, shards: [ShardInput<ShardPayload, ShardOutput>], options: Options,
                      context: KindContext) throws -> [ResultRows] {
        [ResultRows(table: "bench_merges", columns: ["n_results", "n_expected"],
                    rows: [[shards.filter(\.succeeded).count, shards.count]])]
    }

    public var shardTables: [String] { ["bench_results"] }
    public var mergeTables: [String] { ["bench_merges"] }

    public func summary(of job: JobRecord, on conn: PGConnection) throws -> [String] {
        let r = try conn.exec(
            "SELECT (SELECT count(*) FROM bench_results WHERE job_id = $1), (SELECT n_results FROM bench_merges WHERE job_id = $1)",
            [job.id])
        return ["  results: \(r.int(0, 0) ?? 0) shard rows; merge saw \(r.int(0, 1).map(String.init) ?? "–")"]
    }

    public var benchCommand: (any ParsableCommand.Type)? { BenchQueueCommand.self }
}
