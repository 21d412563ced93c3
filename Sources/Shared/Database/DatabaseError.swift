/// Errors from the database layer. Descriptions never contain passwords.
public enum DatabaseError: Error, CustomStringConvertible, Equatable {
    /// Could not connect at all.
    case connectionFailed(target: String, detail: String)
    /// The connection broke mid-use (server restart, network cut); the caller may reconnect.
    case connectionLost(detail: String)
    /// The server rejected a statement.
    case statementFailed(sqlstate: String, message: String)
    /// The schema in the database is not the one this binary expects.
    case schemaMismatch(found: Int, expected: Int)

    public var description: String {
        switch self {
        case let .connectionFailed(target, detail):
            return "cannot connect to the database at \(target): \(detail)\n"
                + "  (for the embedded database run `ctl db start`; otherwise check --database / SLIPLINE_DATABASE_URL)"
        case let .connectionLost(detail):
            return "lost the database connection: \(detail)"
        case let .statementFailed(sqlstate, message):
            return "database error \(sqlstate): \(message)"
        case let .schemaMismatch(found, expected):
            return "the database schema is at version \(found) but this ctl needs \(expected): run `ctl db migrate`"
        }
    }

    /// Whether reconnecting and trying again may succeed.
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .connectionLost: return true
        case let .statementFailed(sqlstate, _):
            // serialization failure, deadlock, cannot connect now (startup/shutdown)
            return sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "57P03"
        case .schemaMismatch: return false
        }
    }
}
