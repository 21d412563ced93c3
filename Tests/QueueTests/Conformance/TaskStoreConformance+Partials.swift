import Foundation
import Shared
import XCTest

/// Hierarchical merges: partials wait for their shards, the merge for the partials (and any
/// shard no partial covers); `dependencyOutputs` hands each what it waits for.
extension TaskStoreConformance {
    func handOver(_ json: String) -> TaskOutput {
        TaskOutput(results: [ResultRows(table: "shard_outputs", columns: ["output"], rows: [[PGJSON(raw: json)]])])
    }

    func partialMergesWaitForTheirShardsAndHandOnTheirOutputs() throws {
        // 5 shards: partials over shards 0–1 and 2–3, shard 4 straight to the merge.
        let id = try job(tasks: 5, merge: true, maxAttempts: 1, params: ["partials": "2"])
        XCTAssertEqual(try store.job(id)?.nTasks, 8)
        let shards = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(shards.map(\.role), Array(repeating: .shard, count: 5), "partials and merge wait")
        try store.complete(worker: "w", [(shards[0], handOver(#"{"n": 0}"#))])
        XCTAssertEqual(try store.claim(worker: "w", limit: 10, leaseSeconds: 60), [], "a partial waits for all its shards")
        XCTAssertEqual(try store.fail(worker: "w", task: shards[1], message: "boom"), .dead)

        let first = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(first.map(\.role), [.partial], "a dead shard ends too")
        XCTAssertEqual(first.first?.payload.contains("\"first\""), true)
        let deps = try store.dependencyOutputs(task: first[0].id)
        XCTAssertEqual(deps.map(\.taskId), [shards[0].id, shards[1].id])
        XCTAssertEqual(deps.map(\.role), [.shard, .shard])
        XCTAssertEqual(deps.map(\.state), [.done, .dead])
        XCTAssertEqual(deps.map { $0.output == nil }, [false, true])
        XCTAssertEqual(deps.map { item(ClaimedTask(id: 0, jobId: 0, kind: "", role: .shard, payload: $0.payload, attempt: 0,
                                                    maxAttempts: 0, jobInput: "", jobParams: "")) }, [0, 1])
        try store.complete(worker: "w", [(first[0], handOver(#"{"tracklets": 3}"#))])

        try store.complete(worker: "w", shards[2...4].map { ($0, handOver(#"{"n": 1}"#)) })
        let second = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(second.map(\.role), [.partial], "the merge waits for the second partial")
        XCTAssertEqual(try store.dependencyOutputs(task: second[0].id).map(\.taskId), [shards[2].id, shards[3].id])
        try store.complete(worker: "w", [(second[0], handOver(#"{"tracklets": 5}"#))])

        let merge = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(merge.map(\.role), [.merge])
        let inputs = try store.dependencyOutputs(task: merge[0].id)
        XCTAssertEqual(inputs.map(\.taskId), [shards[4].id, first[0].id, second[0].id], "by task id")
        XCTAssertEqual(inputs.map(\.role), [.shard, .partial, .partial])
        let decoded = try inputs.map { try JSONSerialization.jsonObject(with: Data(($0.output ?? "null").utf8), options: .fragmentsAllowed) as? NSDictionary }
        XCTAssertEqual(decoded, [["n": 1], ["tracklets": 3], ["tracklets": 5]] as [NSDictionary?])
        XCTAssertEqual(try store.shardOutputs(job: id).map(\.taskId), shards.map(\.id), "shardOutputs stays shards only")
        try store.complete(worker: "w", [(merge[0], .none)])
        XCTAssertEqual(try store.job(id)?.state, .failed, "a dead shard fails the job once everything ended")
        XCTAssertEqual(try store.taskCounts(job: id), [.done: 7, .dead: 1])
        XCTAssertEqual(try store.dependencyOutputs(task: shards[0].id), [], "a shard waits for nothing")
        XCTAssertEqual(try store.dependencyOutputs(task: 9_999_999), [])

        // Retry requeues the dead shard and, transitively, its partial and the merge.
        XCTAssertEqual(try store.retry(job: id), 3)
        let again = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(again.map(\.role), [.shard])
        try store.complete(worker: "w", [(again[0], handOver(#"{"n": 2}"#))])
        let partialAgain = try store.claim(worker: "w", limit: 10, leaseSeconds: 60)
        XCTAssertEqual(partialAgain.map(\.id), [first[0].id])
        XCTAssertEqual(try store.dependencyOutputs(task: first[0].id).map(\.state), [.done, .done])
    }

    func plansWithOverlappingPartialsFailTheJob() throws {
        let id = try store.submit(kind: "bench", input: "conformance", params: ["tasks": "3", "merge": "true", "partials": "overlap"])
        guard case let .failed(job, error)? = try store.planNext(Self.plan) else { return XCTFail("planned") }
        XCTAssertEqual(job, id)
        XCTAssertTrue(error.contains("shard 0 is covered by two partials"), error)
        XCTAssertEqual(try store.job(id)?.state, .failed)
        XCTAssertEqual(try store.taskCounts(job: id), [:])
    }
}
