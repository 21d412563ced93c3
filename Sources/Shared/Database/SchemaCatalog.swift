/// The tables of schema text and their columns (name → SQL type as written), read from its
/// `CREATE TABLE` and `ALTER TABLE … ADD COLUMN` statements: what the in-memory store checks
/// result rows against, as PostgreSQL checks them against the real tables.
///
/// A reader of schema.sql's own layout (one column per line, `);` closing a table at the start
/// of a line), not of SQL in general.
public struct SchemaCatalog: Sendable, Equatable {
    public let tables: [String: [String: String]]

    /// The catalog of the embedded `schema.sql`.
    public static let embedded = SchemaCatalog(parsing: schemaText)

    private static let constraintWords: Set<String> = ["PRIMARY", "UNIQUE", "CHECK", "CONSTRAINT", "FOREIGN", "EXCLUDE"]
    private static let typeEnd: Set<String> = [
        "NOT", "NULL", "DEFAULT", "PRIMARY", "REFERENCES", "CHECK", "UNIQUE", "GENERATED", "COLLATE", "CONSTRAINT",
    ]

    public init(parsing text: String) {
        var tables: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if let table = current {
                if raw.hasPrefix(")") { current = nil; continue }
                guard let name = words.first, !line.hasPrefix("--"), !Self.constraintWords.contains(name.uppercased()),
                      name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
                tables[table, default: [:]][name] = Self.type(words.dropFirst())
            } else if words.count >= 3, words[0].uppercased() == "CREATE", words[1].uppercased() == "TABLE" {
                var rest = words.dropFirst(2)
                if rest.first?.uppercased() == "IF" { rest = rest.dropFirst(3) }
                guard let name = rest.first else { continue }
                let table = String(name.prefix { $0 != "(" })
                if tables[table] == nil { tables[table] = [:] }
                current = table
            } else if words.count >= 6, words[0].uppercased() == "ALTER", words[1].uppercased() == "TABLE",
                      words[3].uppercased() == "ADD", words[4].uppercased() == "COLUMN" {
                // One or more `ADD COLUMN [IF NOT EXISTS] name type …` clauses, comma-separated.
                var i = 3
                while i + 2 < words.count {
                    guard words[i].uppercased() == "ADD", words[i + 1].uppercased() == "COLUMN" else { i += 1; continue }
                    var j = i + 2
                    if words[j].uppercased() == "IF" { j += 3 }
                    guard j < words.count else { break }
                    tables[words[2], default: [:]][words[j]] = Self.type(words[(j + 1)...])
                    i = j + 1
                }
            }
        }
        self.tables = tables
    }

    /// The type words of a column definition: up to its first constraint keyword or comma.
    private static func type(_ words: ArraySlice<String>) -> String {
        var parts: [String] = []
        for word in words {
            if typeEnd.contains(word.uppercased()) { break }
            let trimmed = word.hasSuffix(",") ? String(word.dropLast()) : word
            parts.append(trimmed)
            if word.hasSuffix(",") { break }
        }
        return parts.joined(separator: " ")
    }
}
