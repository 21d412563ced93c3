/// A job's life: queued (not yet planned) → running → done | failed | cancelled.
public enum JobState: String, Sendable, Codable {
    case queued, running, done, failed, cancelled

    /// Whether the job has ended.
    public var isFinal: Bool { self == .done || self == .failed || self == .cancelled }
}

/// A task's life: queued → leased → done, or → failed (waiting to retry) → … → dead;
/// cancelled with its job.
public enum TaskState: String, Sendable, Codable {
    case queued, leased, done, failed, dead, cancelled
}
