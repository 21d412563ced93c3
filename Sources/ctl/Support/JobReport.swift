import Foundation
import Kinds
import Shared

/// The human summary printed when a job ends: its tasks, failures, and (from its kind) what it produced.
enum JobReport {
    static func lines(_ conn: PGConnection, job: JobRecord) throws -> [String] {
        var out: [String] = []
        let counts = try TaskQueue.taskCounts(conn, job: job.id)
        let parts = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }
        out.append("job \(job.id) (\(job.kind) \(job.input)): \(job.nTasks) tasks: \(parts.joined(separator: ", "))")
        if let started = job.startedAt, let finished = job.finishedAt {
            out.append(String(format: "  ran %.2f s", finished.timeIntervalSince(started)))
        }
        if let error = job.error { out.append("  note: \(error)") }
        for failure in try TaskQueue.failures(conn, job: job.id, limit: 20) {
            out.append("  task \(failure.taskId) (\(failure.kind)) dead after \(failure.attempts) attempts: \(failure.error)")
        }
        if let kind = Kinds.named(job.kind) { out += try kind.summary(of: job, on: conn) }
        return out
    }
}
