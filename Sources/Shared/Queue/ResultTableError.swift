/// Result rows that do not fit their table: a programming error in a runner, reported with
/// the table and column so that the fix is obvious.
public enum ResultTableError: Error, CustomStringConvertible, Equatable {
    case unknownTable(table: String)
    case unknownColumn(table: String, column: String, known: [String])
    case reservedColumn(table: String, column: String)
    case rowWidth(table: String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .unknownTable(table):
            return "results table '\(table)' does not exist: create it in a new section of schema.sql (with task_id and job_id columns) or fix the table name"
        case let .unknownColumn(table, column, known):
            return "results table '\(table)' has no column '\(column)' (it has \(known.joined(separator: ", "))): "
                + "add the column in a new section of schema.sql or fix the ResultRows column name"
        case let .reservedColumn(table, column):
            return "results table '\(table)': column '\(column)' is filled in by the queue; leave it out of ResultRows.columns"
        case let .rowWidth(table, expected, found):
            return "results for '\(table)': a row has \(found) values for \(expected) columns"
        }
    }
}
