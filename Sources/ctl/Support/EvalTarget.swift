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
    var truthFile: String { (truth as NSString).appendingPathComponent("truth.json") }

    /// Decodes `truth.json`, connects, and checks that the job exists and is of `kind`.
    func load<T: Decodable>(_ type: T.Type, kind: JobKind) throws -> (truth: T, conn: PGConnection, job: JobRecord) {
        let truthPath = truthFile
        guard let data = FileManager.default.contents(atPath: truthPath) else {
            throw UserError("cannot read \(truthPath): run `ctl synth \(kind.rawValue) \(truth)` first, or pass the directory it wrote")
        }
        let decoded: T
        do {
            decoded = try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw UserError("\(truthPath) is not a `ctl synth \(kind.rawValue)` truth file: \(error)")
        }
        let conn = try db.connect()
        guard let record = try TaskQueue.job(conn, id: job) else { throw UserError("no job \(job) (see `ctl status`)") }
        guard record.kind == kind.rawValue else {
            throw UserError("job \(job) is a \(record.kind) job, not \(kind.rawValue)")
        }
        return (decoded, conn, record)
    }
}
