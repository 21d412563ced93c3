import Foundation
import SliplineTestSupport
import XCTest

/// `ctl scale --slurm`: the sbatch command it builds (ops/slurm/demo.sh runs it for real).
final class ScaleCommandTests: XCTestCase {
    func testDryRunBuildsAJobArrayWhoseWorkersStopBeforeTheWallTime() throws {
        let r = try CtlProcess.run([
            "scale", "--slurm", "4", "--time", "10", "--max-running", "2", "--partition", "short", "--slots", "8",
            "--dry-run", "--database", "host=db01 dbname=slipline user=w",
        ])
        XCTAssertEqual(r.status, 0, r.output)
        for expected in ["--array=0-3%2", "--time=10", "--partition=short", "--cpus-per-task=8", "--signal=B:TERM@15",
                         "SLIPLINE_LIFETIME=540", "SLIPLINE_SHUTDOWN_GRACE=40", "slipline-worker.sbatch"] {
            XCTAssertTrue(r.output.contains(expected), "\(expected) missing from: \(r.output)")
        }
        XCTAssertFalse(r.output.contains("host=db01"), "the database URL goes to the job's environment, not its command line")
    }

    func testWallTimeFormatsAndBadValues() throws {
        let day = try CtlProcess.run(["scale", "--slurm", "1", "--time", "1-00:00:00", "--dry-run", "--database", "x"])
        XCTAssertTrue(day.output.contains("SLIPLINE_LIFETIME=85800"), day.output)  // 86400 − 600 (margin capped)
        let bad = try CtlProcess.run(["scale", "--slurm", "1", "--time", "soon", "--dry-run", "--database", "x"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("--time 'soon'"), bad.output)
    }
}
