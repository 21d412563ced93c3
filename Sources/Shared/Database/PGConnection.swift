import CLibPQ
import Foundation

/// One libpq connection, owned by one thread at a time.
///
/// Every statement goes through `PQexecParams` with text-format parameters, so SQL text and
/// values never mix, and a statement string can hold only one statement.
public final class PGConnection {
    /// The libpq handle (nil once closed); `PGConnection+Pipeline` sends on it too.
    var handle: OpaquePointer?
    /// The connection string, kept to reconnect; never printed (it may hold a password).
    let conninfo: String
    /// Column name → SQL type of the results tables this connection wrote to.
    var columnTypeCache: [String: [String: String]] = [:]

    /// Opens a connection. Throws `DatabaseError` with a message that hides any password.
    public init(_ conninfo: String, applicationName: String = "slipline") throws {
        self.conninfo = conninfo
        let keys = ["dbname", "application_name", "connect_timeout"]
        let values = [conninfo, applicationName, "10"]
        // expand_dbname = 1: the first "dbname" value may be a full conninfo string or URI.
        handle = withCStringArray(keys) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let detail = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw DatabaseError.connectionFailed(
                target: Self.redacted(conninfo), detail: detail.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        _ = try? exec("SET client_min_messages = warning")
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Closes the connection now (it is also closed on deinit).
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// The SCRAM-SHA-256 verifier of `password` for role `user`, computed here by libpq, so
    /// that `CREATE/ALTER ROLE … PASSWORD` sends the server (and its logs) no clear text.
    public func scramVerifier(user: String, password: String) throws -> String {
        guard let handle else { throw DatabaseError.statementFailed(sqlstate: "08003", message: "connection closed") }
        guard let raw = PQencryptPasswordConn(handle, password, user, "scram-sha-256") else {
            let detail = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw DatabaseError.statementFailed(sqlstate: "", message: "cannot hash the password: \(detail)")
        }
        defer { PQfreemem(raw) }
        return String(cString: raw)
    }

    /// Whether libpq still believes the connection is usable.
    public var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Runs one statement with positional parameters `$1…$n` and returns its rows.
    @discardableResult
    public func exec(_ sql: String, _ params: [PGValue?] = []) throws -> PGResult {
        guard let handle else { throw DatabaseError.connectionLost(detail: "connection is closed") }
        let encoded: [String?] = params.map { $0?.pgText }
        let result: OpaquePointer? = withOptionalCStrings(encoded) { values in
            PQexecParams(handle, sql, Int32(encoded.count), nil, values, nil, nil, 0)
        }
        guard let result else {
            throw DatabaseError.connectionLost(detail: String(cString: PQerrorMessage(handle)))
        }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PGResult(result)
        default:
            let message = String(cString: PQresultErrorMessage(result))
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let sqlstate = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            PQclear(result)
            if PQstatus(handle) != CONNECTION_OK || sqlstate.hasPrefix("08") || sqlstate.hasPrefix("57P") {
                throw DatabaseError.connectionLost(detail: message.isEmpty ? "server closed the connection" : message)
            }
            throw DatabaseError.statementFailed(sqlstate: sqlstate, message: message)
        }
    }

    /// Runs a trusted multi-statement script from the binary itself (schema migrations).
    /// Never pass user input here: it takes no parameters and allows several statements.
    public func execScript(_ sql: StaticOrEmbedded) throws {
        guard let handle else { throw DatabaseError.connectionLost(detail: "connection is closed") }
        guard let result = PQexec(handle, sql.text) else {
            throw DatabaseError.connectionLost(detail: String(cString: PQerrorMessage(handle)))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        if status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY {
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            let sqlstate = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            throw DatabaseError.statementFailed(sqlstate: sqlstate, message: message)
        }
    }

    /// Runs `body` inside a transaction; commits if it returns, rolls back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN")
        do {
            let value = try body()
            try exec("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? exec("ROLLBACK") }
            throw error
        }
    }

    // MARK: LISTEN/NOTIFY

    /// Subscribes this connection to a notification channel (a fixed identifier from code).
    public func listen(_ channel: String) throws {
        precondition(channel.allSatisfy { $0.isLetter || $0 == "_" }, "channel names are identifiers")
        try exec("LISTEN \(channel)")
    }

    /// Waits up to `timeout` seconds for notifications and returns the ones that arrived
    /// (possibly none). Sleeps in `poll(2)` on the socket: no busy loop.
    public func waitForNotifications(timeout: Double) throws -> [PGNotification] {
        guard let handle else { throw DatabaseError.connectionLost(detail: "connection is closed") }
        var found = drainNotifications(handle)
        if !found.isEmpty { return found }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw DatabaseError.connectionLost(detail: "no socket") }
        var fd = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&fd, 1, Int32(max(0, timeout) * 1000))
        if ready > 0 {
            if PQconsumeInput(handle) == 0 {
                throw DatabaseError.connectionLost(detail: String(cString: PQerrorMessage(handle)))
            }
            found = drainNotifications(handle)
        }
        return found
    }

    private func drainNotifications(_ handle: OpaquePointer) -> [PGNotification] {
        var out: [PGNotification] = []
        PQconsumeInput(handle)
        while let note = PQnotifies(handle) {
            out.append(PGNotification(
                channel: String(cString: note.pointee.relname), payload: String(cString: note.pointee.extra)))
            PQfreemem(note)
        }
        return out
    }

    /// A connection string with any password replaced, safe to print.
    public static func redacted(_ conninfo: String) -> String {
        var text = conninfo
        // URI form: scheme://user:password@host
        if let range = text.range(of: #"://[^/@:]*:[^/@]*@"#, options: .regularExpression) {
            let part = String(text[range])
            let user = part.dropFirst(3).prefix { $0 != ":" }
            text.replaceSubrange(range, with: "://\(user):***@")
        }
        // keyword form and URI query: password=...
        text = text.replacingOccurrences(
            of: #"password\s*=\s*('[^']*'|[^\s&]*)"#, with: "password=***", options: .regularExpression)
        return text
    }
}

/// One asynchronous notification.
public struct PGNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
}

private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0) }
    }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { pointers.forEach { free($0) } }
    if pointers.isEmpty { return body(nil) }
    return pointers.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0) }
    }
}

/// SQL text that comes from the binary, not from a user: the only kind `execScript` takes.
public struct StaticOrEmbedded: Sendable {
    let text: String
    /// A migration section of the embedded schema.
    public init(migration: Migration) { text = migration.sql }
    /// A repeatable section of the embedded schema.
    public init(repeatable: RepeatableSection) { text = repeatable.sql }
    /// A constant script written in the source (no values: those go in parameters of earlier statements).
    public init(constant: StaticString) { text = constant.description }
}
