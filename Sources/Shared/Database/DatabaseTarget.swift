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
    public func prepare(migrate: Bool) throws -> String {
        let info = try conninfo()
        let conn = try PGConnection(info)
        // The embedded database is ours: keep its schema current. An external one is migrated
        // only when asked (`ctl db migrate`, coordinators), so workers never alter a schema.
        if migrate || isEmbedded {
            try Migrations.migrate(conn)
        } else {
            try Migrations.verify(conn)
        }
        return info
    }
}
