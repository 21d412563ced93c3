import Foundation

/// One numbered section of `schema.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// FNV-1a of the section's text: recorded when applied, so that a section edited after
    /// it was applied somewhere is caught instead of silently diverging.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
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
        var applied: [Int] = []
        try conn.transaction {
            // Transaction-scoped: released at commit, also if this process dies.
            try conn.exec("SELECT pg_advisory_xact_lock(hashtext('slipline.migrate'))")
            try conn.exec("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
            // Databases migrated before checksums were recorded: trust what is applied once.
            try conn.exec("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text")
            for migration in all {
                try conn.exec("UPDATE schema_migrations SET checksum = $2 WHERE version = $1 AND checksum IS NULL",
                              [migration.version, migration.checksum])
            }
            let rows = try conn.exec("SELECT version, checksum FROM schema_migrations").allRows()
            var done: [Int: String] = [:]
            for row in rows { if let v = row[0].flatMap(Int.init) { done[v] = row[1] ?? "" } }
            for migration in all {
                if let checksum = done[migration.version] {
                    if checksum != migration.checksum {
                        throw MigrationError.changedAfterApply(version: migration.version, name: migration.name)
                    }
                    continue
                }
                try conn.execScript(StaticOrEmbedded(migration: migration))
                try conn.exec(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [migration.version, migration.name, migration.checksum])
                applied.append(migration.version)
            }
            // Results tables added by any migration are writable by the worker role.
            if !applied.isEmpty,
               try conn.exec("SELECT to_regproc('slipline_grant_results') IS NOT NULL").bool(0, 0) == true {
                try conn.exec("SELECT slipline_grant_results()")
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

/// A schema problem that migrating cannot fix by itself.
public enum MigrationError: Error, CustomStringConvertible {
    case changedAfterApply(version: Int, name: String)

    public var description: String {
        switch self {
        case let .changedAfterApply(version, name):
            return "schema migration \(version) (\(name)) differs from the one applied to this database: "
                + "applied migrations must never be edited (add a new section to schema.sql); "
                + "for a throw-away embedded database, `ctl db stop` and delete $SLIPLINE_HOME/pg"
        }
    }
}
