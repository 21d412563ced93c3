import Dispatch
import Foundation
import Kernels
import Logging
import Shared

/// The dashboard's way to the database: a few read-only connections (each a READ ONLY
/// session as `slipline_reader` where that role exists, like `ctl sql`) and one connection for
/// operator actions. libpq blocks, so every statement runs on the connection's own serial
/// queue and the calling task awaits it without holding a thread of the cooperative pool.
public final class DashboardDatabase: Sendable {
    private let readers: [ConnectionSlot]
    private let writer: ConnectionSlot
    private let next = NextIndex()

    /// Connects the first reader at once, so a wrong URL fails at start with libpq's message.
    public init(conninfo: String, readers count: Int = 3) throws {
        readers = (0..<max(1, count)).map { ConnectionSlot(conninfo: conninfo, readOnly: true, index: $0) }
        writer = ConnectionSlot(conninfo: conninfo, readOnly: false, index: 0)
        try readers[0].connectNow()
    }

    /// Runs `body` on a read-only connection. The body must not keep the connection.
    public func read<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await readers[next.advance(readers.count)].run(body)
    }

    /// Runs `body` on the operator connection (cancel, retry), which writes.
    public func write<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await writer.run(body)
    }

    /// Closes every connection (on shutdown).
    public func close() {
        for slot in readers + [writer] { slot.close() }
    }
}

/// Round-robin over the reader connections.
private final class NextIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func advance(_ count: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        value = (value + 1) % count
        return value
    }
}

/// One connection and the serial queue that owns it; reconnects once after a lost connection.
private final class ConnectionSlot: @unchecked Sendable {
    private let conninfo: String
    private let readOnly: Bool
    private let queue: DispatchQueue
    /// Touched only on `queue`.
    private var connection: PGConnection?

    init(conninfo: String, readOnly: Bool, index: Int) {
        self.conninfo = conninfo
        self.readOnly = readOnly
        queue = DispatchQueue(label: "slipline.dashboard.db.\(readOnly ? "read" : "write").\(index)")
    }

    func connectNow() throws {
        try queue.sync { _ = try self.connected() }
    }

    func close() {
        queue.sync { connection?.close(); connection = nil }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.runHere(body) })
            }
        }
    }

    private func runHere<T>(_ body: (PGConnection) throws -> T) throws -> T {
        do {
            return try body(try connected())
        } catch let error as DatabaseError where error.isTransient {
            // The server restarted or the network blinked: one fresh connection, one more try.
            connection?.close()
            connection = nil
            return try body(try connected())
        }
    }

    private func connected() throws -> PGConnection {
        if let connection, connection.isHealthy { return connection }
        let conn = try PGConnection(conninfo, applicationName: readOnly ? "slipline-serve" : "slipline-serve-operator")
        if readOnly { try ReadOnlySession.configure(conn) }
        connection = conn
        return conn
    }

}

/// Makes a session read-only the way `ctl sql` does: every transaction READ ONLY, statements
/// capped in time, and the `slipline_reader` role where it exists and this login may use it.
enum ReadOnlySession {
    static func configure(_ conn: PGConnection) throws {
        try conn.exec("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        try conn.exec("SELECT set_config('statement_timeout', '15000', false)")
        let canRead = try conn.exec(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'slipline_reader') AND pg_has_role(current_user, 'slipline_reader', 'MEMBER')"
        ).bool(0, 0) ?? false
        if canRead { try conn.exec("SET ROLE slipline_reader") }
    }
}
