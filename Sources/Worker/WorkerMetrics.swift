import CoreMetrics

/// The worker's figures through swift-metrics: recorded always, kept only when the process
/// bootstrapped a backend (`ctl worker --metrics-port`); otherwise they cost a no-op call.
///
/// - `slipline_task_duration_seconds{kind,role}`: run time of each task this worker ran
/// - `slipline_worker_tasks_total{kind,role,outcome}`: tasks run, `succeeded` or `failed`
/// - `slipline_worker_tasks_running`: tasks running now
enum WorkerMetrics {
    static func taskFinished(kind: String, role: String, seconds: Double, succeeded: Bool) {
        let labels = [("kind", kind), ("role", role)]
        CoreMetrics.Timer(label: "slipline_task_duration_seconds", dimensions: labels)
            .recordNanoseconds(Int64(max(0, seconds) * 1e9))
        Counter(label: "slipline_worker_tasks_total", dimensions: labels + [("outcome", succeeded ? "succeeded" : "failed")])
            .increment()
    }

    static func running(_ count: Int) {
        Gauge(label: "slipline_worker_tasks_running").record(count)
    }
}
