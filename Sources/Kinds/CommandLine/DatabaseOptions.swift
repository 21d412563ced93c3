import ArgumentParser
import Foundation
import Logging
import Shared

/// Options every database-touching command shares.
public struct DatabaseOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp(
        "A libpq connection string or URI (default: $SLIPLINE_DATABASE_URL, else the embedded database).",
        valueName: "url"))
    public var database: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: Logger.Level?

    public var target: DatabaseTarget { DatabaseTarget.resolve(option: database) }

    /// Connects, starting/migrating the embedded database as needed.
    /// The connection string, the schema checked (or applied when `migrate`); `waitSeconds` > 0
    /// keeps trying that long while the server is unreachable (services only).
    public func conninfo(migrate: Bool = false, waitSeconds: Double = 0) throws -> String {
        try target.prepare(migrate: migrate, waitSeconds: waitSeconds)
    }

    public func connect(migrate: Bool = false) throws -> PGConnection {
        try PGConnection(try conninfo(migrate: migrate), applicationName: "slipline-ctl")
    }

    /// Sets up logging to stderr once per process.
    public func logger(_ label: String, default level: Logger.Level) -> Logger {
        LoggingSetup.bootstrap(level: logLevel ?? level)
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

public enum LoggingSetup {
    nonisolated(unsafe) private static var done = false
    public static func bootstrap(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

