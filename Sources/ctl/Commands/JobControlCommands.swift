import ArgumentParser
import Foundation
import Kinds
import Shared

struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait for a job to end; exit 0 iff it is done.")

    @Argument var job: Int64
    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let info = try db.conninfo()
        let record = try JobWatcher.wait(conninfo: info, job: job, showProgress: ProgressLine.isTerminal)
        print("job \(job) \(record.state.rawValue)")
        if record.state != .done { throw ExitCode(1) }
    }
}

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a queued or running job (running tasks' results are discarded).")

    @Argument var job: Int64
    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let conn = try db.connect()
        guard try TaskQueue.job(conn, id: job) != nil else { throw UserError("job \(job) does not exist") }
        if try TaskQueue.cancel(conn, job: job) {
            print("job \(job) cancelled")
        } else {
            let state = try TaskQueue.job(conn, id: job)?.state.rawValue ?? "?"
            throw UserError("job \(job) has already ended (\(state)); nothing to cancel")
        }
    }
}

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Queue a finished job's dead and cancelled tasks again (and its merge).")

    @Argument var job: Int64
    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let conn = try db.connect()
        guard try TaskQueue.job(conn, id: job) != nil else { throw UserError("job \(job) does not exist") }
        guard let n = try TaskQueue.retry(conn, job: job) else {
            throw UserError(try TaskQueue.retryRefusal(conn, job: job))
        }
        let state = try TaskQueue.job(conn, id: job)?.state.rawValue ?? "?"
        guard n > 0 || state == "queued" else {
            // A done job: nothing failed or was cancelled; it stays as it is.
            print("job \(job): nothing failed or was cancelled, nothing to retry")
            print("job \(job) \(state)")
            return
        }
        print("job \(job): \(n) task(s) queued again")
        print("job \(job) \(state)")
    }
}
