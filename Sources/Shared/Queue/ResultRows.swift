/// Rows a task writes to one results table. Every results table has `task_id` and `job_id`
/// columns; the completion transaction first deletes the rows of the accepted tasks and then
/// inserts these, so a re-run task replaces what an earlier attempt wrote, never duplicates it.
public struct ResultRows: Sendable {
    /// A results table (a fixed identifier from code, never user input).
    public let table: String
    /// The other columns by name; their types are the table's own (looked up in the catalog
    /// when the rows are written), so `CREATE TABLE` is the one declaration of them.
    public let columns: [String]
    /// One array per row, values in `columns` order.
    public var rows: [[(any PGValue)?]]

    public init(table: String, columns: [String], rows: [[(any PGValue)?]] = []) {
        precondition(([table] + columns).allSatisfy { $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } },
                     "table and columns are identifiers")
        self.table = table
        self.columns = columns
        self.rows = rows
    }
}

/// What running a task produced: rows for results tables (files it wrote are already in place,
/// written atomically under names fixed by the task, so a re-run overwrites them).
public struct TaskOutput: Sendable {
    public var results: [ResultRows]
    /// Results tables this task writes to even when it has no rows for them now, so that a
    /// re-run that finds less still removes what an earlier attempt wrote.
    public var tables: [String]

    public init(results: [ResultRows] = [], alsoClearing tables: [String] = []) {
        self.results = results
        self.tables = Array(Set(tables + results.map(\.table))).sorted()
    }

    public static let none = TaskOutput()
}

extension ResultRows {
    /// Writes these rows (for many tasks at once) with one INSERT … SELECT FROM unnest(…).
    static func insert(_ table: String, columns: [String],
                       rows: [(taskId: Int64, jobId: Int64, values: [(any PGValue)?])],
                       on conn: PGConnection) throws {
        guard !rows.isEmpty else { return }
        let types = try columnTypes(of: table, on: conn)
        var names = ["task_id", "job_id"]
        var casts = ["$1::bigint[]", "$2::bigint[]"]
        var params: [(any PGValue)?] = [PGArray(rows.map(\.taskId)), PGArray(rows.map(\.jobId))]
        for (index, column) in columns.enumerated() {
            guard let type = types[column] else {
                throw DatabaseError.statementFailed(sqlstate: "42703", message: "results table \(table) has no column \(column) (is the database migrated? `ctl db migrate`)")
            }
            names.append(column)
            casts.append("$\(index + 3)::\(type)[]")
            params.append(PGArray(rows.map { $0.values[index] }))
        }
        try conn.exec(
            "INSERT INTO \(table) (\(names.joined(separator: ", "))) SELECT * FROM unnest(\(casts.joined(separator: ", ")))",
            params)
    }

    /// The SQL types of `table`'s columns, from the catalog (cached on the connection).
    static func columnTypes(of table: String, on conn: PGConnection) throws -> [String: String] {
        if let cached = conn.resultColumnTypes[table] { return cached }
        let r = try conn.exec(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
            """, [table])
        var types: [String: String] = [:]
        for row in 0..<r.rowCount {
            if let name = r.string(row, 0), let type = r.string(row, 1) { types[name] = type }
        }
        guard !types.isEmpty else {
            throw DatabaseError.statementFailed(sqlstate: "42P01", message: "results table \(table) does not exist (is the database migrated? `ctl db migrate`)")
        }
        conn.resultColumnTypes[table] = types
        return types
    }
}
