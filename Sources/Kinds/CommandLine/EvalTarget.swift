import ArgumentParser
import Foundation
import Shared

/// What every `ctl eval KIND` scores: a job's rows against the truth `ctl synth KIND` wrote.
struct EvalTarget: ParsableArguments {
    @Option(name: .long, help: "The directory `ctl synth` wrote (its truth.json).")
    var truth: String

    @Option(name: .long, help: "The job id.")
    var job: Int64

    @OptionGroup var db: DatabaseOptions

    /// The truth file inside `--truth`.
    var truthFile: String { Self.truthFile(truth) }

    /// Decodes `truth.json`, connects, and checks that the job exists and is of `kind`.
    func load<T: Decodable>(_ type: T.Type, kind: String) throws -> (truth: T, conn: PGConnection, job: JobRecord) {
        let decoded = try Self.readTruth(T.self, directory: truth, kind: kind)
        let conn = try db.connect()
        return (decoded, conn, try Self.job(job, kind: kind, conn: conn))
    }

    /// `truth.json` inside the directory `ctl synth` wrote.
    static func truthFile(_ directory: String) -> String {
        (directory as NSString).appendingPathComponent("truth.json")
    }

    /// Decodes the truth file of `directory`, with errors that say what to do.
    static func readTruth<T: Decodable>(_ type: T.Type, directory: String, kind: String) throws -> T {
        let truthPath = truthFile(directory)
        guard let data = FileManager.default.contents(atPath: truthPath) else {
            throw UserError("cannot read \(truthPath): run `ctl synth \(kind) \(directory)` first, or pass the directory it wrote")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw UserError("\(truthPath) is not a `ctl synth \(kind)` truth file: \(error)")
        }
    }

    /// The job `id`, checked to exist and to be of `kind`.
    static func job(_ id: Int64, kind: String, conn: PGConnection) throws -> JobRecord {
        guard let record = try TaskQueue.job(conn, id: id) else { throw UserError("no job \(id) (see `ctl status`)") }
        guard record.kind == kind else {
            throw UserError("job \(id) is a \(record.kind) job, not \(kind)")
        }
        return record
    }
}
