import Logging

/// Opens the store sessions a service needs, one per thread that talks to the queue: a
/// PostgreSQL connection each, or a session of one in-memory queue each.
public struct TaskStoreSessions: Sendable {
    /// The database behind the sessions, for tasks that read results with SQL themselves;
    /// nil for an in-memory store.
    public let conninfo: String?
    private let open: @Sendable (_ applicationName: String, _ logger: Logger, _ stop: StopFlag?) -> any TaskStore

    public init(conninfo: String?,
                open: @escaping @Sendable (_ applicationName: String, _ logger: Logger, _ stop: StopFlag?) -> any TaskStore) {
        self.conninfo = conninfo
        self.open = open
    }

    /// A reconnecting `PostgresTaskStore` per session.
    public static func postgres(conninfo: String) -> TaskStoreSessions {
        TaskStoreSessions(conninfo: conninfo) { name, logger, stop in
            PostgresTaskStore(conninfo: conninfo, applicationName: name, logger: logger, stop: stop)
        }
    }

    /// Sessions of one in-memory queue (`InMemoryTaskStore.session()`).
    public static func inMemory(_ store: InMemoryTaskStore) -> TaskStoreSessions {
        TaskStoreSessions(conninfo: nil) { _, _, _ in store.session() }
    }

    /// A session named `applicationName` (PostgreSQL's `application_name`); `stop` makes its
    /// reconnect loop give up, nil keeps it trying.
    public func session(_ applicationName: String, logger: Logger, stop: StopFlag?) -> any TaskStore {
        open(applicationName, logger, stop)
    }
}
