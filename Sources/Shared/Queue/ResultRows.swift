/// Rows a task writes to one results table. Every results table has `task_id` and `job_id`
/// columns; the completion transaction first deletes the rows of the accepted tasks and then
/// inserts these, so a re-run task replaces what an earlier attempt wrote, never duplicates it.
public struct ResultRows: Sendable {
    /// A results table (a fixed identifier from code, never user input).
    public let table: String
    /// The other columns and their SQL types, e.g. `("frame_index", "int")`.
    public let columns: [(name: String, type: String)]
    /// One array per row, values in `columns` order.
    public var rows: [[(any PGValue)?]]

    public init(table: String, columns: [(name: String, type: String)], rows: [[(any PGValue)?]] = []) {
        precondition(table.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "table is an identifier")
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
    static func insert(_ table: String, columns: [(name: String, type: String)],
                       rows: [(taskId: Int64, jobId: Int64, values: [(any PGValue)?])],
                       on conn: PGConnection) throws {
        guard !rows.isEmpty else { return }
        var names = ["task_id", "job_id"]
        var casts = ["$1::bigint[]", "$2::bigint[]"]
        var params: [(any PGValue)?] = [PGArray(rows.map(\.taskId)), PGArray(rows.map(\.jobId))]
        for (index, column) in columns.enumerated() {
            names.append(column.name)
            casts.append("$\(index + 3)::\(column.type)[]")
            params.append(PGArray(rows.map { $0.values[index] }))
        }
        try conn.exec(
            "INSERT INTO \(table) (\(names.joined(separator: ", "))) SELECT * FROM unnest(\(casts.joined(separator: ", ")))",
            params)
    }
}
