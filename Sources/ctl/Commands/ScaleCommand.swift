import ArgumentParser
import Foundation
import Kinds
import Shared

/// `ctl scale --slurm N`: submits N workers to Slurm as one job array. Each stops claiming a
/// margin before its wall time ends (`ctl worker --lifetime`) and releases what it holds, so
/// Slurm never kills a worker that still holds leases.
struct ScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Start more workers through a batch system (Slurm job arrays).",
        discussion: """
            Runs `sbatch --array=0-(N-1)[%M] ops/slurm/slipline-worker.sbatch`. The workers connect with \
            --database / $SLIPLINE_DATABASE_URL (exported to the job's environment, never put on a \
            command line); put passwords in a libpq passfile ($PGPASSFILE) on the shared filesystem.
            """)

    @Option(name: .long, help: "Number of workers to submit (one array task each).")
    var slurm: Int

    @Option(name: .long, help: "Slurm partition.")
    var partition: String?

    @Option(name: .long, help: "Wall time per worker, in Slurm's format (minutes, MM:SS, HH:MM:SS, D-HH:MM).")
    var time: String = "1:00:00"

    @Option(name: .long, help: "Task slots (and CPUs requested) per worker.")
    var slots: Int = 1

    @Option(name: .long, help: "At most this many workers at once (the %M of --array).")
    var maxRunning: Int?

    @Option(name: .long, help: "Seconds before the wall time at which a worker stops claiming (default: 10 % of it, 30…600 s).")
    var margin: Double?

    @Option(name: .long, help: "The sbatch script (default: ops/slurm/slipline-worker.sbatch next to this ctl, or $SLIPLINE_SBATCH_SCRIPT).")
    var script: String?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("An extra sbatch option (repeatable), e.g. --sbatch-arg=--account=abc.", valueName: "ARG"))
    var sbatchArg: [String] = []

    @Flag(name: .long, help: "Print the sbatch command instead of running it.")
    var dryRun = false

    @OptionGroup var db: DatabaseOptions

    func validate() throws {
        guard (1...100_000).contains(slurm) else { throw ValidationError("--slurm must be 1…100000 workers") }
        guard (1...1024).contains(slots) else { throw ValidationError("--slots must be 1…1024") }
        guard let wall = Self.slurmSeconds(time), wall >= 60 else {
            throw ValidationError("--time '\(time)': give at least one minute as minutes, MM:SS, HH:MM:SS or D-HH:MM:SS")
        }
        if let margin { guard margin >= 5 && margin < Double(wall) else { throw ValidationError("--margin must be ≥ 5 s and shorter than --time") } }
        if let maxRunning { guard maxRunning >= 1 else { throw ValidationError("--max-running must be ≥ 1") } }
    }

    /// What a worker does with its wall time: claim for `lifetime`, then give running tasks
    /// `grace` seconds, leaving the rest of the margin before Slurm's SIGKILL.
    struct Budget: Equatable {
        let lifetime: Int
        let grace: Int
        let signalBefore: Int

        init(wallSeconds wall: Int, margin: Double?) {
            let m = Int((margin ?? min(600, max(30, Double(wall) * 0.1))).rounded())
            lifetime = max(1, wall - m)
            grace = max(1, m * 2 / 3)
            // Slurm's own SIGTERM as a safety net, after the worker should already be gone.
            signalBefore = max(1, m / 4)
        }
    }

    func run() throws {
        guard let wall = Self.slurmSeconds(time) else { throw ValidationError("bad --time") }
        let budget = Budget(wallSeconds: wall, margin: margin)
        let scriptPath = try locateScript()
        var args = ["--parsable", "--array=0-\(slurm - 1)" + (maxRunning.map { "%\($0)" } ?? ""),
                    "--time=\(time)", "--cpus-per-task=\(slots)", "--signal=B:TERM@\(budget.signalBefore)",
                    "--export=ALL"]
        if let partition { args.append("--partition=\(partition)") }
        args += sbatchArg
        args.append(scriptPath)
        if dryRun {
            print("SLIPLINE_LIFETIME=\(budget.lifetime) SLIPLINE_SHUTDOWN_GRACE=\(budget.grace) SLIPLINE_SLOTS=\(slots) sbatch \(args.joined(separator: " "))")
            return
        }
        var env = ProcessInfo.processInfo.environment
        switch db.target {
        case let .external(url): env["SLIPLINE_DATABASE_URL"] = url
        case let .embedded(pg):
            // Only reachable from this machine (a Unix socket): fine for a single-node Slurm.
            try pg.ensureRunning()
            env["SLIPLINE_DATABASE_URL"] = pg.url
            FileHandle.standardError.write(Data("note: using the embedded database (Unix socket on this host); workers on other nodes need --database or $SLIPLINE_DATABASE_URL\n".utf8))
        }
        env["SLIPLINE_CTL"] = Self.selfPath()
        env["SLIPLINE_SLOTS"] = String(slots)
        env["SLIPLINE_LIFETIME"] = String(budget.lifetime)
        env["SLIPLINE_SHUTDOWN_GRACE"] = String(budget.grace)

        guard let sbatch = Subprocess.find("sbatch") else {
            throw UserError("sbatch not found on PATH: run this on a Slurm login node (or see ops/slurm/demo.sh)")
        }
        let r = try Subprocess.run(sbatch, args, environment: env)
        guard r.status == 0 else { throw UserError("sbatch failed (status \(r.status)): \(r.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
        let jobId = r.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? "?"
        print("submitted \(slurm) worker(s) as Slurm job array \(jobId): \(slots) slot(s) each, wall time \(time), claiming for \(budget.lifetime) s")
        print("slurm job \(jobId)")
    }

    private func locateScript() throws -> String {
        let fm = FileManager.default
        var candidates: [String] = []
        if let script { candidates.append(script) }
        if let env = ProcessInfo.processInfo.environment["SLIPLINE_SBATCH_SCRIPT"] { candidates.append(env) }
        let binDir = URL(fileURLWithPath: Self.selfPath()).deletingLastPathComponent()
        for up in ["../..", "../../..", "..", "../share/slipline"] {
            candidates.append(binDir.appendingPathComponent(up).appendingPathComponent(up.hasSuffix("slipline") ? "slipline-worker.sbatch" : "ops/slurm/slipline-worker.sbatch").standardizedFileURL.path)
        }
        candidates.append(fm.currentDirectoryPath + "/ops/slurm/slipline-worker.sbatch")
        if let found = candidates.first(where: { fm.isReadableFile(atPath: $0) }) { return found }
        if let script { throw UserError("cannot read the sbatch script \(script)") }
        throw UserError("cannot find ops/slurm/slipline-worker.sbatch: give --script PATH or set SLIPLINE_SBATCH_SCRIPT")
    }

    static func selfPath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Seconds in a Slurm time string: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S".
    static func slurmSeconds(_ text: String) -> Int? {
        var days = 0
        var rest = Substring(text)
        if let dash = text.firstIndex(of: "-") {
            guard let d = Int(text[..<dash]) else { return nil }
            days = d
            rest = text[text.index(after: dash)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        let p = parts.map { $0! }
        let seconds: Int
        if days > 0 {
            // D-H, D-H:M, D-H:M:S
            seconds = p[0] * 3600 + (p.count > 1 ? p[1] * 60 : 0) + (p.count > 2 ? p[2] : 0)
        } else {
            switch p.count {
            case 1: seconds = p[0] * 60
            case 2: seconds = p[0] * 60 + p[1]
            default: seconds = p[0] * 3600 + p[1] * 60 + p[2]
            }
        }
        return days * 86_400 + seconds
    }
}
