import ArgumentParser
import Foundation
import Logging
import Shared

/// Options every database-touching command shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A libpq connection string or URI (default: $SLIPLINE_DATABASE_URL, else the embedded database).",
        valueName: "url"))
    var database: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level?

    var target: DatabaseTarget { DatabaseTarget.resolve(option: database) }

    /// Connects, starting/migrating the embedded database as needed.
    func conninfo(migrate: Bool = false) throws -> String {
        try target.prepare(migrate: migrate)
    }

    func connect(migrate: Bool = false) throws -> PGConnection {
        try PGConnection(try conninfo(migrate: migrate), applicationName: "slipline-ctl")
    }

    /// Sets up logging to stderr once per process.
    func logger(_ label: String, default level: Logger.Level) -> Logger {
        LoggingSetup.bootstrap(level: logLevel ?? level)
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

enum LoggingSetup {
    nonisolated(unsafe) private static var done = false
    static func bootstrap(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Job options shared by `run` and `submit`.
struct JobOptions: ParsableArguments {
    @Argument(help: "The input: a directory of frames, an HDF5/.npy file or directory, a 4D dataset.")
    var path: String

    @Option(name: .long, help: "tem, bcdi, stem4d or bench (default: detected from PATH).")
    var kind: JobKind?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("A job parameter (repeatable).", valueName: "KEY=VALUE"))
    var param: [String] = []

    @Option(name: .long, help: "Higher runs first.")
    var priority: Int = 0

    @Option(name: .long, help: "Attempts per task before it is dead.")
    var maxAttempts: Int = 3

    @Option(name: .long, help: "Base of the exponential retry backoff, seconds.")
    var retryBase: Double = 1.0

    func validate() throws {
        _ = try JobParams(parsing: param)
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1…100") }
        guard retryBase >= 0 && retryBase.isFinite else { throw ValidationError("--retry-base must be ≥ 0 seconds") }
    }

    /// Submits the job; returns its id.
    func submit(_ conn: PGConnection) throws -> Int64 {
        let resolvedKind = try kind ?? KindDetection.detect(path)
        let input: String
        if resolvedKind == .bench {
            input = path
        } else {
            input = URL(fileURLWithPath: path).standardizedFileURL.path
        }
        return try TaskQueue.submit(
            conn, kind: resolvedKind.rawValue, input: input, params: try JobParams(parsing: param).values,
            priority: priority, maxAttempts: maxAttempts, retryBaseSeconds: retryBase)
    }
}

extension JobKind: ExpressibleByArgument {}

/// A failure worth a one-line message and a non-zero exit, without a stack of Swift noise.
struct UserError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
