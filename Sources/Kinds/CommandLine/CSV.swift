import Foundation
import Shared

/// CSV as `ctl sql --csv` and `ctl export --format csv` write it (RFC 4180 quoting).
public enum CSV {
    /// `value`, quoted when it holds a comma, a quote or a line break.
    public static func field(_ value: String) -> String {
        if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return value
    }

    /// A query result as CSV: a header line of column names, then one line per row.
    public static func render(_ result: PGResult) -> String {
        var out = (0..<result.columnCount).map { result.columnName($0) }.joined(separator: ",") + "\n"
        for row in result.allRows() {
            out += row.map { field($0 ?? "") }.joined(separator: ",") + "\n"
        }
        return out
    }
}
