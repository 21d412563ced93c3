extension ResultRows {
    /// Writes rows of one table (for many tasks at once) with one INSERT … SELECT FROM
    /// unnest(…), each array cast to its column's type as the table declares it.
    static func insert(_ table: String, columns: [String],
                       rows: [(taskId: Int64, jobId: Int64, values: [(any PGValue)?])],
                       on conn: PGConnection) throws {
        guard let statement = try insertStatement(table, columns: columns, rows: rows, on: conn) else { return }
        try conn.exec(statement.sql, statement.params)
    }

    /// The INSERT that `insert` runs, for a caller that sends it in a pipeline; nil for no rows.
    static func insertStatement(_ table: String, columns: [String],
                                rows: [(taskId: Int64, jobId: Int64, values: [(any PGValue)?])],
                                on conn: PGConnection) throws -> PGStatement? {
        guard !rows.isEmpty else { return nil }
        let types = try conn.resultColumnTypes(table, needing: columns)
        var names = ["task_id", "job_id"]
        var casts = ["$1::bigint[]", "$2::bigint[]"]
        var params: [(any PGValue)?] = [PGArray(rows.map(\.taskId)), PGArray(rows.map(\.jobId))]
        for (index, column) in columns.enumerated() {
            names.append(column)
            casts.append("$\(index + 3)::\(types[column] ?? "text")[]")
            params.append(PGArray(rows.map { $0.values[index] }))
        }
        return PGStatement(
            "INSERT INTO \(table) (\(names.joined(separator: ", "))) SELECT * FROM unnest(\(casts.joined(separator: ", ")))",
            params)
    }
}

extension PGConnection {
    /// The columns of a results table and their SQL types (`format_type`), read from the
    /// catalog once per connection and table; read again if a column is missing (a migration
    /// may have added it since). Throws `ResultTableError` for a missing table or column.
    func resultColumnTypes(_ table: String, needing columns: [String]) throws -> [String: String] {
        if let cached = columnTypeCache[table], columns.allSatisfy({ cached[$0] != nil }) { return cached }
        guard try exec("SELECT to_regclass($1) IS NOT NULL", [table]).bool(0, 0) == true else {
            throw ResultTableError.unknownTable(table: table)
        }
        let r = try exec(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
            """, [table])
        var types: [String: String] = [:]
        for row in 0..<r.rowCount {
            if let name = r.string(row, 0), let type = r.string(row, 1) { types[name] = type }
        }
        columnTypeCache[table] = types
        return types
    }
}
