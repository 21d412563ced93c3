import ArgumentParser
import Foundation
import Kinds
import Shared

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show recent jobs, or one job with its failures.")

    @Argument(help: "A job id (default: the most recent jobs).")
    var job: Int64?

    @Option(name: .long, help: "How many recent jobs to list.")
    var limit: Int = 20

    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let conn = try db.connect()
        guard let job else {
            let jobs = try TaskQueue.recentJobs(conn, limit: limit)
            if jobs.isEmpty { print("no jobs yet: `ctl submit PATH` or `ctl run PATH`") }
            print("job".padding(8) + "kind".padding(8) + "state".padding(11) + "done/total".padding(14) + "failed".padding(8) + "input")
            for j in jobs {
                print("\(j.id)".padding(8) + j.kind.padding(8) + j.state.rawValue.padding(11)
                      + "\(j.nDone)/\(j.nTasks)".padding(14) + "\(j.nDead)".padding(8) + j.input)
            }
            let workers = try conn.exec("SELECT count(*) FROM workers WHERE state = 'running'").int(0, 0) ?? 0
            print("\(workers) worker(s) running")
            return
        }
        guard let record = try TaskQueue.job(conn, id: job) else { throw UserError("job \(job) does not exist (see `ctl status`)") }
        if ProgressLine.isTerminal {
            var progress = ProgressLine()
            FileHandle.standardError.write(Data((progress.render(record) + "\n").utf8))
        }
        for line in try JobReport.lines(conn, job: record) { print(line) }
        // Errors count against --max-attempts, lost leases (dead or preempted workers) against
        // the job's own budget: shown apart, so a preempted overnight job reads as healthy.
        let attempts = try TaskQueue.attemptSummary(conn, job: record.id)
        print("attempts: \(attempts.errors) error(s); \(attempts.lostLeases) lost lease(s)"
              + " (at most \(attempts.maxLostLeasesOfATask) on one task, budget \(attempts.lostLeaseBudget) per task)")
        print("job \(record.id) \(record.state.rawValue)")
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
