import Foundation

/// Applies `schema.sql` (embedded in the binary at build time): its numbered sections once
/// each, then its repeatable sections whenever their text changed.
public enum Migrations {
    /// All numbered migrations, parsed from the embedded `schema.sql`.
    public static let all: [Migration] = parse(schemaText)

    /// All repeatable sections, parsed from the embedded `schema.sql`.
    public static let repeatables: [RepeatableSection] = parseRepeatables(schemaText)

    /// The schema version this binary expects.
    public static var latestVersion: Int { all.last?.version ?? 0 }

    /// Checksums of earlier texts of applied sections that were later edited on purpose, and
    /// that `run` accepts and rewrites to the current checksum instead of refusing the database.
    /// Sections 1, 5 and 6 as of commit a2b4aba: their function bodies moved to the repeatable
    /// section `functions`, which re-creates every function in place.
    public static let supersededChecksums: [Int: Set<String>] = [
        1: ["4454c6abd74149b0"],
        5: ["5da459138e46942c"],
        6: ["86eef27dc87a1cff"],
    ]

    /// Splits schema text at `-- migrate: <version> <name>` lines.
    public static func parse(_ text: String) -> [Migration] {
        sections(text).compactMap { section in
            guard case let .numbered(version) = section.kind else { return nil }
            return Migration(version: version, name: section.name, sql: section.sql)
        }.sorted { $0.version < $1.version }
    }

    /// The `-- repeatable: <name>` sections of schema text, in file order.
    public static func parseRepeatables(_ text: String) -> [RepeatableSection] {
        sections(text).compactMap { section in
            guard case .repeatable = section.kind else { return nil }
            return RepeatableSection(name: section.name, sql: section.sql)
        }
    }

    private enum SectionKind { case numbered(Int), repeatable }

    /// Every section of schema text: a marker line, then the lines up to the next marker.
    private static func sections(_ text: String) -> [(kind: SectionKind, name: String, sql: String)] {
        var result: [(kind: SectionKind, name: String, sql: String)] = []
        var current: (kind: SectionKind, name: String)?
        var body: [Substring] = []
        func flush() {
            if let current { result.append((current.kind, current.name, body.joined(separator: "\n"))) }
            body = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- migrate:") {
                flush()
                current = nil
                let words = line.dropFirst("-- migrate:".count).split(separator: " ", maxSplits: 1)
                guard let version = words.first.flatMap({ Int($0) }) else { continue }
                current = (.numbered(version), words.count > 1 ? String(words[1]) : "")
            } else if line.hasPrefix("-- repeatable:") {
                flush()
                let name = line.dropFirst("-- repeatable:".count).trimmingCharacters(in: .whitespaces)
                current = (.repeatable, name)
            } else if current != nil {
                body.append(line)
            }
        }
        flush()
        return result
    }

    /// Applies every migration the database lacks and every repeatable section whose text it
    /// has not recorded; returns the versions applied now.
    /// Safe to run concurrently from several processes (advisory lock) and repeatedly.
    @discardableResult
    public static func migrate(_ conn: PGConnection) throws -> [Int] {
        try run(conn).versions
    }

    /// `migrate`, saying everything it changed.
    @discardableResult
    /// All in one transaction, so a failure leaves the database as it was.
    public static func run(_ conn: PGConnection) throws -> MigrationReport {
        var report = MigrationReport()
        try conn.transaction {
            // Transaction-scoped: released at commit, also if this process dies.
            try conn.exec("SELECT pg_advisory_xact_lock(hashtext('slipline.migrate'))")
            try conn.exec("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
            try conn.exec("""
                CREATE TABLE IF NOT EXISTS schema_repeatables (
                    name text PRIMARY KEY, checksum text NOT NULL,
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
                    if checksum == migration.checksum { continue }
                    guard supersededChecksums[migration.version]?.contains(checksum) == true else {
                        throw MigrationError.changedAfterApply(version: migration.version, name: migration.name)
                    }
                    try conn.exec("UPDATE schema_migrations SET checksum = $2 WHERE version = $1",
                                  [migration.version, migration.checksum])
                    report.adopted.append(migration.version)
                    continue
                }
                try conn.execScript(StaticOrEmbedded(migration: migration))
                try conn.exec(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [migration.version, migration.name, migration.checksum])
                report.versions.append(migration.version)
            }
            let recorded = try conn.exec("SELECT name, checksum FROM schema_repeatables").allRows()
            var current: [String: String] = [:]
            for row in recorded { if let name = row[0] { current[name] = row[1] ?? "" } }
            for section in repeatables where current[section.name] != section.checksum {
                try conn.execScript(StaticOrEmbedded(repeatable: section))
                try conn.exec(
                    """
                    INSERT INTO schema_repeatables (name, checksum) VALUES ($1, $2)
                    ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
                    """, [section.name, section.checksum])
                report.repeatables.append(section.name)
            }
            // Results tables added by any migration are writable by the worker role.
            if !report.versions.isEmpty || !report.repeatables.isEmpty,
               try conn.exec("SELECT to_regproc('slipline_grant_results') IS NOT NULL").bool(0, 0) == true {
                try conn.exec("SELECT slipline_grant_results()")
            }
        }
        return report
    }

    /// The highest applied version, 0 for an empty database.
    public static func currentVersion(_ conn: PGConnection) throws -> Int {
        let exists = try conn.exec("SELECT to_regclass('schema_migrations') IS NOT NULL").bool(0, 0) ?? false
        guard exists else { return 0 }
        return try conn.exec("SELECT coalesce(max(version), 0) FROM schema_migrations").int(0, 0) ?? 0
    }

    /// Throws `schemaMismatch` unless the database is at this binary's version, and
    /// `MigrationError.repeatableOutdated` if its functions are not this binary's.
    public static func verify(_ conn: PGConnection) throws {
        let found = try currentVersion(conn)
        if found != latestVersion {
            throw DatabaseError.schemaMismatch(found: found, expected: latestVersion)
        }
        // NULL: never recorded (migrated by an older ctl); false: this role may not read the
        // record (privileges set up by hand), which cannot tell and is not refused.
        let readable = try conn.exec("""
            SELECT CASE WHEN to_regclass('schema_repeatables') IS NOT NULL
                        THEN has_table_privilege('schema_repeatables', 'SELECT') END
            """).bool(0, 0)
        guard let readable else {
            if let first = repeatables.first { throw MigrationError.repeatableOutdated(name: first.name) }
            return
        }
        guard readable else { return }
        let rows = try conn.exec("SELECT name, checksum FROM schema_repeatables").allRows()
        var recorded: [String: String] = [:]
        for row in rows { if let name = row[0] { recorded[name] = row[1] ?? "" } }
        for section in repeatables where recorded[section.name] != section.checksum {
            throw MigrationError.repeatableOutdated(name: section.name)
        }
    }
}
