import ArgumentParser
import Foundation
import Logging
import Kinds
import Shared

/// Job options shared by `run` and `submit`.
struct JobOptions: ParsableArguments {
    @Argument(help: "The input: a directory of frames, an HDF5/.npy file or directory, a 4D dataset.")
    var path: String

    @Option(name: .long, help: "\(Kinds.names.dropLast().joined(separator: ", ")) or \(Kinds.names.last ?? "") (default: detected from PATH).")
    var kind: String?

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
        if let kind, Kinds.named(kind) == nil {
            throw ValidationError("--kind \(kind) is not a kind this build knows: \(Kinds.names.joined(separator: ", "))")
        }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1…100") }
        guard retryBase >= 0 && retryBase.isFinite else { throw ValidationError("--retry-base must be ≥ 0 seconds") }
    }

    /// Submits the job; returns its id.
    func submit(_ conn: PGConnection) throws -> Int64 {
        let resolved: any Kind
        do {
            resolved = try kind.flatMap(Kinds.named) ?? Kinds.detect(path)
        } catch let error as KindDetectionError {
            throw UserError(error.description)
        }
        let input = resolved.readsInputPath ? URL(fileURLWithPath: path).standardizedFileURL.path : path
        let params = try JobParams(parsing: param).values
        if kind == nil { print("detected kind \(resolved.name) from the content of \(path)") }
        for line in Kinds.findings(resolved, path: path, params: params) { print("found \(line)") }
        return try TaskQueue.submit(
            conn, kind: resolved.name, input: input, params: params,
            priority: priority, maxAttempts: maxAttempts, retryBaseSeconds: retryBase)
    }
}

