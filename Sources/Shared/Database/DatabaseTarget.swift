import Foundation

/// Which database a command talks to: `--database`, else `SLIPLINE_DATABASE_URL`, else the
/// embedded cluster (started on demand).
public enum DatabaseTarget: Sendable {
    case external(String)
    case embedded(EmbeddedPostgres)

    public static func resolve(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> DatabaseTarget {
        if let option, !option.isEmpty { return .external(option) }
        if let env = environment["SLIPLINE_DATABASE_URL"], !env.isEmpty { return .external(env) }
        return .embedded(EmbeddedPostgres(home: EmbeddedPostgres.defaultHome(environment: environment)))
    }

    var isEmbedded: Bool {
        if case .embedded = self { return true }
        return false
    }

    /// A connection string for this target, starting the embedded cluster if needed.
    public func conninfo() throws -> String {
        switch self {
        case let .external(url): return url
        case let .embedded(pg):
            try pg.ensureRunning()
            return pg.url
        }
    }

    /// Prepares the database for use: for the embedded cluster starts it and applies the
    /// schema; for an external one applies the schema if `migrate`, else checks the version.
    /// `waitSeconds` > 0 (services: workers, coordinators) keeps trying to connect that long
    /// while the server is unreachable — a worker restarted while PostgreSQL restarts must not
    /// exit; interactive commands pass 0 and fail at once with the connection error.
    public func prepare(migrate: Bool, waitSeconds: Double = 0) throws -> String {
        let info = try conninfo()
        // The embedded database is ours: keep its schema current. An external one is migrated
        // only when asked (`ctl db migrate`, coordinators), so workers never alter a schema.
        try Self.retryingTransient(waitSeconds: waitSeconds) {
            let conn = try PGConnection(info)
            defer { conn.close() }
            if migrate || isEmbedded {
                try Migrations.migrate(conn)
            } else {
                try Migrations.verify(conn)
            }
        }
        return info
    }

    /// Runs `body`, running it again after transient failures (server unreachable, connection
    /// lost mid-check) with capped backoff until `waitSeconds` have passed.
    static func retryingTransient(waitSeconds: Double, _ body: () throws -> Void) throws {
        let deadline = Date(timeIntervalSinceNow: waitSeconds)
        var delay = 0.2, announced = false
        while true {
            do {
                return try body()
            } catch let error as DatabaseError where error.isTransient && Date() + delay < deadline {
                if !announced {
                    announced = true
                    FileHandle.standardError.write(Data("database unreachable, retrying for up to \(Int(waitSeconds)) s: \(error)".utf8))
                }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 2)
            }
        }
    }
}
