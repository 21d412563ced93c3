import Foundation

/// One numbered section of `schema.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
}

/// Applies the numbered sections of `schema.sql` (embedded in the binary at build time).
public enum Migrations {
    /// All migrations, parsed from the embedded `schema.sql`.
    public static let all: [Migration] = parse(schemaText)

    /// The schema version this binary expects.
    public static var latestVersion: Int { all.last?.version ?? 0 }

    /// Splits schema text at `-- migrate: <version> <name>` lines.
    public static func parse(_ text: String) -> [Migration] {
        var result: [Migration] = []
        var current: (Int, String)?
        var body: [Substring] = []
        func flush() {
            if let (version, name) = current {
                result.append(Migration(version: version, name: name, sql: body.joined(separator: "\n")))
            }
            body = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- migrate:") {
                flush()
                let words = line.dropFirst("-- migrate:".count).split(separator: " ", maxSplits: 1)
                guard let version = words.first.flatMap({ Int($0) }) else { continue }
                current = (version, words.count > 1 ? String(words[1]) : "")
            } else if current != nil {
                body.append(line)
            }
        }
        flush()
        return result.sorted { $0.version < $1.version }
    }

    /// Applies every migration the database lacks; returns the versions applied now.
    /// Safe to run concurrently from several processes (advisory lock) and repeatedly.
    @discardableResult
    public static func migrate(_ conn: PGConnection) throws -> [Int] {
        try conn.exec("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version int PRIMARY KEY, name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        var applied: [Int] = []
        try conn.transaction {
            // Transaction-scoped: released at commit, also if this process dies.
            try conn.exec("SELECT pg_advisory_xact_lock(hashtext('slipline.migrate'))")
            let done = Set(try conn.exec("SELECT version FROM schema_migrations").allRows().compactMap { $0[0].flatMap(Int.init) })
            for migration in all where !done.contains(migration.version) {
                try conn.execScript(StaticOrEmbedded(migration: migration))
                try conn.exec(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    [migration.version, migration.name])
                applied.append(migration.version)
            }
        }
        return applied
    }

    /// The highest applied version, 0 for an empty database.
    public static func currentVersion(_ conn: PGConnection) throws -> Int {
        let exists = try conn.exec("SELECT to_regclass('schema_migrations') IS NOT NULL").bool(0, 0) ?? false
        guard exists else { return 0 }
        return try conn.exec("SELECT coalesce(max(version), 0) FROM schema_migrations").int(0, 0) ?? 0
    }

    /// Throws `schemaMismatch` unless the database is at this binary's version.
    public static func verify(_ conn: PGConnection) throws {
        let found = try currentVersion(conn)
        if found != latestVersion {
            throw DatabaseError.schemaMismatch(found: found, expected: latestVersion)
        }
    }
}
