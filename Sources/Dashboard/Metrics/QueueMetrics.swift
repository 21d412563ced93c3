import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Shared

/// The cluster's numbers for Prometheus, read from the queue at each scrape and recorded
/// through swift-metrics into a registry of this server's own (so several servers in one
/// process, as in the tests, do not share figures):
///
/// - `slipline_queue_tasks{state}`: tasks per state (the queue depth is `state="queued"`)
/// - `slipline_jobs{state}`: jobs per state
/// - `slipline_tasks_per_second`: tasks done over the last minute, per second
/// - `slipline_task_duration_seconds{kind,role}`: histogram of run times of tasks that
///   finished since the previous scrape (claim to completion)
/// - `slipline_tasks_finished_total{kind,role,state}`: tasks seen finishing (done or dead)
/// - `slipline_workers_alive`: workers running or stopping with a heartbeat in the last 2 min
/// - `slipline_leases_expired`: leases past their expiry not yet reaped
/// - `slipline_leases_reaped`: tasks whose last attempt ended by its lease being reaped
/// - `slipline_leases_reaped_total`: leases taken back from workers that stopped renewing them
///   or died, ever (the queue's cumulative counter: retries and pruning do not lower it)
public actor QueueMetrics {
    public nonisolated let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let database: DashboardDatabase
    /// Tasks that finished after this instant (database clock) are yet to be recorded.
    private var watermark: Double?
    /// The queue's reaped-leases total as far as this registry's counter has counted it.
    private var reapedCounted: Int64 = 0
    /// On the first scrape, look back this far for durations.
    static let firstLookbackSeconds = 600.0
    static let taskStates = ["queued", "leased", "done", "failed", "dead", "cancelled"]
    static let jobStates = ["queued", "running", "done", "failed", "cancelled"]

    public init(database: DashboardDatabase) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = DurationBuckets.tasks
        self.factory = factory
        self.database = database
    }

    /// Reads the queue and returns the exposition text.
    public func scrape() async throws -> [UInt8] {
        let since = watermark
        let snapshot = try await database.read { try QueueSnapshot.read($0, finishedAfter: since, lookback: Self.firstLookbackSeconds) }
        record(snapshot)
        return registry.emitToBuffer()
    }

    private func record(_ s: QueueSnapshot) {
        for state in Self.taskStates {
            Gauge(label: "slipline_queue_tasks", dimensions: [("state", state)], factory: factory).record(s.tasksByState[state] ?? 0)
        }
        for state in Self.jobStates {
            Gauge(label: "slipline_jobs", dimensions: [("state", state)], factory: factory).record(s.jobsByState[state] ?? 0)
        }
        Gauge(label: "slipline_tasks_per_second", factory: factory).record(s.tasksPerSecond)
        Gauge(label: "slipline_workers_alive", factory: factory).record(s.workersAlive)
        Gauge(label: "slipline_leases_expired", factory: factory).record(s.leasesExpired)
        Gauge(label: "slipline_leases_reaped", factory: factory).record(s.leasesReaped)
        // swift-metrics counters only go up: add what the queue's total gained since the last scrape.
        let reaped = Counter(label: "slipline_leases_reaped_total", factory: factory)
        if s.leasesReapedTotal > reapedCounted {
            reaped.increment(by: s.leasesReapedTotal - reapedCounted)
            reapedCounted = s.leasesReapedTotal
        }
        for task in s.finished {
            let labels = [("kind", task.kind), ("role", task.role)]
            Counter(label: "slipline_tasks_finished_total", dimensions: labels + [("state", task.state)], factory: factory).increment()
            if task.state == "done", let seconds = task.seconds, seconds >= 0 {
                CoreMetrics.Timer(label: "slipline_task_duration_seconds", dimensions: labels, factory: factory)
                    .recordNanoseconds(Int64(seconds * 1e9))
            }
        }
        if let latest = s.latestFinish { watermark = max(watermark ?? latest, latest) }
    }
}

/// Histogram buckets for task run times: 10 ms to 10 min.
public enum DurationBuckets {
    public static let tasks: [Duration] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]
        .map { Duration.milliseconds(Int64($0 * 1000)) }
}

/// One read of the queue's state for the metrics.
struct QueueSnapshot: Sendable {
    struct FinishedTask: Sendable {
        let kind: String
        let role: String
        let state: String
        let seconds: Double?
    }
    var tasksByState: [String: Double] = [:]
    var jobsByState: [String: Double] = [:]
    var tasksPerSecond = 0.0
    var workersAlive = 0.0
    var leasesExpired = 0.0
    var leasesReaped = 0.0
    var leasesReapedTotal: Int64 = 0
    var finished: [FinishedTask] = []
    var latestFinish: Double?

    /// Most finished tasks recorded per scrape (a huge backlog is counted over several).
    static let finishedLimit = 100_000

    static func read(_ conn: PGConnection, finishedAfter since: Double?, lookback: Double) throws -> QueueSnapshot {
        var s = QueueSnapshot()
        let states = try conn.exec("SELECT state, count(*)::float8 FROM tasks_overview GROUP BY state")
        for row in 0..<states.rowCount { s.tasksByState[states.string(row, 0) ?? "?"] = states.double(row, 1) ?? 0 }
        let jobs = try conn.exec("SELECT state, count(*)::float8 FROM jobs_overview GROUP BY state")
        for row in 0..<jobs.rowCount { s.jobsByState[jobs.string(row, 0) ?? "?"] = jobs.double(row, 1) ?? 0 }
        let scalars = try conn.exec("""
            SELECT (SELECT count(*) FROM tasks WHERE state = 'done' AND finished_at > now() - interval '60 seconds')::float8 / 60,
                   (SELECT count(*) FROM workers WHERE state IN ('running', 'stopping') AND heartbeat_at > now() - interval '2 minutes')::float8,
                   (SELECT count(*) FROM tasks_overview WHERE state = 'leased' AND lease_expires_at < now())::float8,
                   (SELECT count(*) FROM tasks_overview WHERE error LIKE 'lease expired:%')::float8,
                   extract(epoch from now()),
                   (SELECT value FROM queue_counters WHERE name = 'leases_reaped')
            """)
        s.tasksPerSecond = scalars.double(0, 0) ?? 0
        s.workersAlive = scalars.double(0, 1) ?? 0
        s.leasesExpired = scalars.double(0, 2) ?? 0
        s.leasesReaped = scalars.double(0, 3) ?? 0
        let now = scalars.double(0, 4) ?? 0
        s.leasesReapedTotal = scalars.int64(0, 5) ?? 0
        let after = since ?? (now - lookback)
        let finished = try conn.exec("""
            SELECT kind, role, state, extract(epoch from finished_at - started_at), extract(epoch from finished_at)
            FROM tasks
            WHERE state IN ('done', 'dead') AND finished_at > to_timestamp($1)
            ORDER BY finished_at LIMIT $2
            """, [after, finishedLimit])
        for row in 0..<finished.rowCount {
            s.finished.append(FinishedTask(
                kind: finished.string(row, 0) ?? "?", role: finished.string(row, 1) ?? "?",
                state: finished.string(row, 2) ?? "?", seconds: finished.double(row, 3)))
            s.latestFinish = finished.double(row, 4)
        }
        return s
    }
}
