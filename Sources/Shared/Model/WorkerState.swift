/// A worker process's life in `workers`: running → stopping → stopped, or lost when its
/// heartbeat stops (and running again if it comes back).
public enum WorkerState: String, Sendable, Codable {
    case running, stopping, stopped, lost
}
