import Foundation
import Shared

/// Waits for a job to end, drawing progress on a terminal.
public enum JobWatcher {
    /// Polls the job (cheap: one primary-key read) and LISTENs for its end; returns the final
    /// record, or the current one if `interrupted` is set first.
    public static func wait(conninfo: String, job: Int64, showProgress: Bool, interrupted: StopFlag? = nil) throws -> JobRecord {
        let conn = try PGConnection(conninfo, applicationName: "slipline-ctl")
        try conn.listen(TaskQueue.jobsChannel)
        var progress = ProgressLine()
        var drawn = false
        defer { if drawn { FileHandle.standardError.write(Data("\n".utf8)) } }
        while true {
            guard let record = try TaskQueue.job(conn, id: job) else { throw UserError("job \(job) does not exist") }
            if showProgress {
                FileHandle.standardError.write(Data(("\r\u{1B}[2K" + progress.render(record)).utf8))
                drawn = true
            }
            if record.state.isFinal || interrupted?.isSet == true { return record }
            _ = try conn.waitForNotifications(timeout: showProgress ? 0.25 : 1)
        }
    }
}
