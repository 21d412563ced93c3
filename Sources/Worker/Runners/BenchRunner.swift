import Foundation
import Shared

/// The built-in `bench` kind: each shard sleeps `sleep_ms` (0: a no-op) and records which
/// worker ran it; the merge counts the shard results. It exists to exercise and measure the
/// queue: `fail=always` makes every shard fail, `fail=first` fails every first attempt.
public struct BenchRunner: TaskRunner {
    public init() {}

    public var kinds: [String] { ["bench", "bench.merge"] }

    struct ShardPayload: Decodable {
        let item: Int
        let sleep_ms: Double?
        let fail: String?
    }

    public func run(_ task: ClaimedTask, context: TaskContext) throws -> TaskOutput {
        if task.kind == "bench.merge" { return try merge(task, context: context) }
        let payload = try JSONDecoder().decode(ShardPayload.self, from: Data(task.payload.utf8))
        if let ms = payload.sleep_ms, ms > 0 { Thread.sleep(forTimeInterval: ms / 1000) }
        switch payload.fail {
        case "always": throw TaskError("bench item \(payload.item): failing as asked (fail=always)")
        case "first" where task.attempt == 1: throw TaskError("bench item \(payload.item): failing the first attempt as asked")
        default: break
        }
        let rows = ResultRows(
            table: "bench_results",
            columns: ["item", "worker_id", "attempt"],
            rows: [[payload.item, context.workerId, task.attempt]])
        return TaskOutput(results: [rows])
    }

    private func merge(_ task: ClaimedTask, context: TaskContext) throws -> TaskOutput {
        let (results, expected) = try context.database().run { conn in
            let r = try conn.exec(
                """
                SELECT (SELECT count(*) FROM bench_results WHERE job_id = $1),
                       (SELECT count(*) FROM tasks WHERE job_id = $1 AND role = 'shard')
                """, [task.jobId])
            return (r.int(0, 0) ?? 0, r.int(0, 1) ?? 0)
        }
        let rows = ResultRows(
            table: "bench_merges", columns: ["n_results", "n_expected"],
            rows: [[results, expected]])
        return TaskOutput(results: [rows])
    }
}
