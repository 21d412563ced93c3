import Foundation
import Shared

/// Renders a job's progress: a bar on a terminal, with rate, ETA and failures.
public struct ProgressLine {
    public init() {}

    private var samples: [(time: Date, finished: Int)] = []

    public static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    public mutating func render(_ job: JobRecord, width: Int = 30) -> String {
        let finished = job.nDone + job.nDead
        let now = Date()
        samples.append((now, finished))
        samples.removeAll { now.timeIntervalSince($0.time) > 10 }
        var rate = 0.0
        if let first = samples.first, now.timeIntervalSince(first.time) > 2 {
            rate = Double(finished - first.finished) / now.timeIntervalSince(first.time)
        } else if let started = job.startedAt {
            // Too few samples yet (e.g. a one-shot `ctl status`): the average since the start.
            let end = job.finishedAt ?? now
            rate = Double(finished) / max(end.timeIntervalSince(started), 1e-3)
        }
        let total = max(job.nTasks, 1)
        let filled = min(width, width * finished / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var eta = "–"
        if rate > 0, job.nTasks > finished {
            let s = Int(Double(job.nTasks - finished) / rate)
            eta = s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : "\(s / 60):\(String(format: "%02d", s % 60))"
        }
        let failures = job.nDead > 0 ? "  \(job.nDead) failed" : ""
        return "job \(job.id) \(job.state.rawValue) \(bar) \(finished)/\(job.nTasks) tasks  \(String(format: "%.0f", rate))/s  ETA \(eta)\(failures)"
    }
}
