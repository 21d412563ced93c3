import ArgumentParser
import Foundation
import Kinds
import Shared

extension DbCommand {
    /// `ctl db prune --older-than 30d`: the queue's retention policy, run by hand or from cron.
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the tasks of jobs that ended long ago (results stay).",
            discussion: """
                Deletes, in small transactions, the tasks of jobs that ended (done, failed or cancelled) \
                more than --older-than ago. Every results row stays (and the views over them), and so do \
                the jobs with their counters and their dead tasks (`ctl status JOB` still lists the \
                failures). A pruned job can no longer be retried. Keeps the queue table small, so that \
                claims do not slow down as history accumulates.
                """)

        @Option(name: .long, help: "Age of a job's end past which its tasks go: seconds, or with a unit (90m, 12h, 30d).")
        var olderThan: String = "30d"

        @Option(name: .long, help: "Tasks deleted per transaction.")
        var batch: Int = 10_000

        @OptionGroup var db: DatabaseOptions

        func validate() throws {
            guard RetentionAge.seconds(olderThan) != nil else {
                throw ValidationError("--older-than \(olderThan) is not an age: give seconds or a number with s, m, h or d (e.g. 30d)")
            }
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1 (got \(batch))") }
        }

        func run() throws {
            let conn = try db.connect(migrate: true)
            let seconds = RetentionAge.seconds(olderThan) ?? 0
            var total = 0
            while true {
                let n = try TaskQueue.prune(conn, olderThan: seconds, batch: batch)
                total += n
                if n < batch { break }
            }
            print("pruned \(total) task(s) of jobs that ended more than \(olderThan) ago")
        }
    }
}

/// Parses a retention age: plain seconds or a number with `s`, `m`, `h` or `d`.
enum RetentionAge {
    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var factor = 1.0
        if let last = number.last, let unit = units[last] {
            factor = unit
            number = number.dropLast()
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return value * factor
    }
}
