/// Something a service may sleep until: PostgreSQL notification channels, or the in-memory
/// store's condition.
public enum QueueEvent: String, Sendable, CaseIterable {
    /// There may be tasks to claim (a plan, a retry, a release, merges whose shards ended).
    case tasksReady
    /// A job was submitted and needs planning.
    case jobSubmitted
    /// A job changed state (payload in PostgreSQL: its id).
    case jobChanged

    /// The PostgreSQL notification channel.
    public var channel: String {
        switch self {
        case .tasksReady: return TaskQueue.tasksChannel
        case .jobSubmitted: return TaskQueue.submittedChannel
        case .jobChanged: return TaskQueue.jobsChannel
        }
    }

    init?(channel: String) {
        guard let event = Self.allCases.first(where: { $0.channel == channel }) else { return nil }
        self = event
    }
}
