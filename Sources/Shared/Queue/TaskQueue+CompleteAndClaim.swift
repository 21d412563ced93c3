import Foundation

extension TaskQueue {
    /// What `completeAndClaim` did: the finished tasks it recorded and the tasks it claimed.
    public struct CompletedAndClaimed {
        /// Ids of the finished tasks recorded (all of them, or none of those this worker no
        /// longer held: see `completeAndClaim`).
        public var accepted: Set<Int64>
        /// Tasks now leased to the worker (at most the limit asked for).
        public var claimed: [ClaimedTask]
    }

    /// Records `finished` tasks (results, fenced completion, bookkeeping) **and** claims up to
    /// `limit` next tasks, in one transaction and one round trip: the results statements and
    /// `slipline_finish_claim` sent as one pipeline (`PGConnection.pipeline`). With `finished`
    /// empty it is a plain claim; with `limit` 0 a plain completion.
    ///
    /// Same guarantees as `complete` then `claim`: a task whose lease this worker no longer
    /// holds (reaped, cancelled) is refused by the fence (SQLSTATE SL001), which rolls back the
    /// whole pipeline — its rows never stay — and the call repeats with the tasks still held.
    /// When another worker records a reaped task while this worker's completion of it runs, its
    /// rows (committed after this transaction's `DELETE` looked) can refuse the insert before the
    /// fence runs (a results table's unique key, 23505): handled the same way, and passed on as
    /// the error it is only if every task is still held (then the rows themselves are at fault).
    public static func completeAndClaim(
        _ conn: PGConnection, worker: String, _ finished: [(task: ClaimedTask, output: TaskOutput)],
        limit: Int, leaseSeconds: Double
    ) throws -> CompletedAndClaimed {
        var pending = finished
        var refused = Set<Int64>()
        for _ in 0..<16 {  // each round normally drops a refused task
            let ids = PGArray(pending.map(\.task.id)), attempts = PGArray(pending.map(\.task.attempt))
            var statements = try resultStatements(pending, on: conn)
            statements.append(PGStatement(
                "SELECT * FROM slipline_finish_claim($1, $2::bigint[], $3::int[], $4, $5)",
                [worker, ids, attempts, limit, leaseSeconds]))
            let claimIndex = statements.count - 1
            if let refresh = statisticsStatement(pending) { statements.append(refresh) }
            do {
                let results = try conn.pipeline(statements)
                return CompletedAndClaimed(accepted: Set(pending.map(\.task.id)), claimed: claimedTasks(results[claimIndex]))
            } catch DatabaseError.statementFailed(let sqlstate, let message) where sqlstate == "SL001" || sqlstate == uniqueViolation {
                // Nothing of the pipeline stayed; keep the tasks this worker still holds.
                let held = try conn.exec(
                    """
                    SELECT t.id FROM unnest($1::bigint[], $2::int[]) AS c(id, attempt) JOIN tasks t ON t.id = c.id
                    WHERE t.attempts = c.attempt AND t.worker_id = $3 AND t.state = 'leased'
                    """, [ids, attempts, worker])
                let still = Set((0..<held.rowCount).compactMap { held.int64($0, 0) })
                // A duplicate key with every task still held is the rows' own fault, not a refusal.
                if sqlstate == uniqueViolation && still.count == pending.count {
                    throw DatabaseError.statementFailed(sqlstate: sqlstate, message: message)
                }
                refused.formUnion(pending.map(\.task.id).filter { !still.contains($0) })
                pending = pending.filter { still.contains($0.task.id) }
            }
        }
        throw DatabaseError.statementFailed(sqlstate: "SL001", message: "completion kept being refused (\(refused.count) task(s) refused)")
    }

    /// `slipline_refresh_statistics` for the `statisticsTables` of `recorded` (nil when none
    /// names any): in the same transaction, after `slipline_finish_claim`, it analyzes them if
    /// the completion ended one of their jobs (schema.sql says why).
    static func statisticsStatement(_ recorded: [(task: ClaimedTask, output: TaskOutput)]) -> PGStatement? {
        let asking = recorded.filter { !$0.output.statisticsTables.isEmpty }
        guard !asking.isEmpty else { return nil }
        return PGStatement("SELECT slipline_refresh_statistics($1::bigint[], $2::text[])", [
            PGArray(Array(Set(asking.map(\.task.jobId))).sorted()),
            PGArray(Array(Set(asking.flatMap(\.output.statisticsTables))).sorted()),
        ])
    }

    /// SQLSTATE unique_violation.
    static let uniqueViolation = "23505"
}
