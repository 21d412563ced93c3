import Foundation
import Logging

/// A connection that reconnects with capped exponential backoff when the server goes away,
/// for long-running services (workers, coordinators) that must outlive a PostgreSQL restart.
/// Handed from thread to thread but used by one at a time, hence `@unchecked Sendable`.
public final class ResilientConnection: @unchecked Sendable {
    public let conninfo: String
    private let applicationName: String
    private let logger: Logger
    private var connection: PGConnection?
    /// Called after every successful (re)connect, e.g. to LISTEN again.
    public var onConnect: ((PGConnection) throws -> Void)?
    /// Set from another thread to make a reconnect loop give up.
    private let stopFlag: StopFlag?

    public init(conninfo: String, applicationName: String, logger: Logger, stopFlag: StopFlag? = nil) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        self.logger = logger
        self.stopFlag = stopFlag
    }

    /// Runs `body` on a healthy connection; on a transient failure reconnects and runs it again.
    /// `body` must therefore be safe to repeat (every queue operation is fenced or idempotent).
    public func run<T>(_ body: (PGConnection) throws -> T) throws -> T {
        var delay = 0.1
        while true {
            do {
                let conn = try connected()
                return try body(conn)
            } catch let error as DatabaseError where error.isTransient {
                connection?.close()
                connection = nil
                if stopFlag?.isSet == true { throw error }
                logger.warning("database unavailable, retrying", metadata: [
                    "error": "\(error)", "retry.in_s": "\(String(format: "%.1f", delay))",
                ])
                let jittered = delay * Double.random(in: 0.75...1.25)
                if let stopFlag { stopFlag.wait(timeout: jittered) } else { Thread.sleep(forTimeInterval: jittered) }
                if stopFlag?.isSet == true { throw error }
                delay = min(delay * 2, 5)
            }
        }
    }

    /// The current connection, opening one if needed.
    public func connected() throws -> PGConnection {
        if let connection, connection.isHealthy { return connection }
        connection?.close()
        let fresh = try PGConnection(conninfo, applicationName: applicationName)
        connection = fresh
        try onConnect?(fresh)
        return fresh
    }

    public func close() {
        connection?.close()
        connection = nil
    }
}
