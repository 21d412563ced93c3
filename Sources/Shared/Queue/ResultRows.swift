/// Rows a task writes to one results table. Every results table has `task_id` and `job_id`
/// columns, which the store fills in; the completion transaction first deletes the rows of the
/// accepted tasks and then inserts these, so a re-run task replaces what an earlier attempt
/// wrote, never duplicates it. Column types come from the table itself (`CREATE TABLE` in
/// schema.sql is their one declaration).
public struct ResultRows: Sendable {
    /// A results table (a fixed identifier from code, never user input).
    public let table: String
    /// The columns the rows fill, besides `task_id` and `job_id`.
    public let columns: [String]
    /// One array per row, values in `columns` order.
    public var rows: [[(any PGValue)?]]

    public init(table: String, columns: [String], rows: [[(any PGValue)?]] = []) {
        precondition(table.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "table is an identifier")
        self.table = table
        self.columns = columns
        self.rows = rows
    }

    /// Checks these rows against the table's columns (name → SQL type); throws
    /// `ResultTableError` naming the table and the offending column.
    func validate(against tableColumns: [String: String]) throws {
        for column in columns {
            if column == "task_id" || column == "job_id" {
                throw ResultTableError.reservedColumn(table: table, column: column)
            }
            if tableColumns[column] == nil {
                throw ResultTableError.unknownColumn(table: table, column: column, known: tableColumns.keys.sorted())
            }
        }
        for row in rows where row.count != columns.count {
            throw ResultTableError.rowWidth(table: table, expected: columns.count, found: row.count)
        }
    }
}
