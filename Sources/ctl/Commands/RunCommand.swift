import ArgumentParser
import Foundation
import Kinds
import Shared

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Submit PATH and process it here with a coordinator and N workers until the job ends.",
        discussion: "The last line on stdout is `job <ID> <STATE>`; the exit status is 0 iff the job is done.")

    @OptionGroup var job: JobOptions
    @OptionGroup var db: DatabaseOptions

    @Option(name: .long, help: "Worker slots (threads) in this process (default: one per core).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard (1...1024).contains(workers) else { throw ValidationError("--workers must be 1…1024") }
    }

    func run() throws {
        let logger = db.logger("slipline.run", default: .warning)
        let conninfo = try db.conninfo(migrate: true)
        let conn = try PGConnection(conninfo, applicationName: "slipline-ctl")
        let jobId = try job.submit(conn)
        print("job \(jobId) submitted; processing with \(workers) worker slots")
        let cluster = LocalCluster(conninfo: conninfo, workers: 1, slots: workers, logger: logger)
        let interrupted = StopFlag()
        let trap = SignalTrap { _ in interrupted.signal() }
        cluster.start()
        let record = try JobWatcher.wait(conninfo: conninfo, job: jobId, showProgress: ProgressLine.isTerminal, interrupted: interrupted)
        cluster.stop()
        withExtendedLifetime(trap) {}
        let final = try TaskQueue.job(conn, id: jobId) ?? record
        for line in try JobReport.lines(conn, job: final) { print(line) }
        if !final.state.isFinal {
            print("interrupted: the job stays \(final.state.rawValue); resume with `ctl worker`, or `ctl cancel \(jobId)`")
        }
        print("job \(jobId) \(final.state.rawValue)")
        if final.state != .done { throw ExitCode(final.state.isFinal ? 1 : 130) }
    }
}
