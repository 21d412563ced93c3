import ArgumentParser
import Foundation
import Kinds
import Shared

struct SqlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run one read-only query against the results.",
        discussion: """
            The query runs in a READ ONLY transaction as the slipline_reader role (where it exists) with a \
            statement timeout, and is always rolled back. Only one statement is accepted.
            """)

    @Argument(help: "One SQL statement, e.g. \"SELECT * FROM jobs_overview\".")
    var query: String

    @Flag(name: .long, help: "Print CSV (with a header) instead of an aligned table.")
    var csv = false

    @Option(name: .long, help: "Statement timeout in seconds.")
    var timeout: Int = 300

    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let conn = try db.connect()
        try conn.exec("BEGIN READ ONLY")
        try conn.exec("SELECT set_config('statement_timeout', $1, true)", ["\(timeout * 1000)"])
        // Long read transactions hold back vacuum on the queue; cap idle time too.
        try conn.exec("SELECT set_config('idle_in_transaction_session_timeout', '60000', true)")
        let canRead = try conn.exec(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'slipline_reader') AND pg_has_role(current_user, 'slipline_reader', 'MEMBER')"
        ).bool(0, 0) ?? false
        if canRead { try conn.exec("SET LOCAL ROLE slipline_reader") }
        let result: PGResult
        do {
            result = try conn.exec(query)
        } catch let error as DatabaseError {
            throw UserError("query failed: \(error)")
        }
        _ = try? conn.exec("ROLLBACK")
        let header = (0..<result.columnCount).map { result.columnName($0) }
        let rows = result.allRows()
        if csv {
            print(header.map(CSV.field).joined(separator: ","))
            for row in rows { print(row.map { CSV.field($0 ?? "") }.joined(separator: ",")) }
            return
        }
        var widths = header.map(\.count)
        for row in rows { for (i, v) in row.enumerated() { widths[i] = min(60, max(widths[i], (v ?? "").count)) } }
        print(zip(header, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " | "))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-"))
        for row in rows {
            print(zip(row, widths).map { v, w in
                let text = v ?? ""
                return text.count > w ? String(text.prefix(w - 1)) + "…" : text.padding(toLength: w, withPad: " ", startingAt: 0)
            }.joined(separator: " | "))
        }
        print("(\(rows.count) row\(rows.count == 1 ? "" : "s"))")
    }
}
