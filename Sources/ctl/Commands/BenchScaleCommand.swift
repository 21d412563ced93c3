import ArgumentParser
import Coordinator
import Foundation
import Logging
import Kinds
import Shared

extension BenchCommand {
    /// `ctl bench scale`: the same kind of job (tasks that sleep a fixed time, so the figure is
    /// the queue's, not the CPU's) with 1, 2, 4 … 64 real worker processes; prints throughput
    /// and the database server's CPU time per task.
    struct ScaleBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scale",
            abstract: "Queue throughput and database CPU per task with 1…64 worker processes.",
            discussion: """
                Each run starts N `ctl worker --slots S` processes, submits the same bench job (--tasks tasks that \
                each sleep --sleep-ms, no merge) and times it from planning to the job's end. Database CPU is \
                the server's user+system time (all its processes, including backends that exited) read from \
                /proc, so it needs the server on this machine; otherwise it prints n/a.
                """)

        @Option(name: .long, parsing: .upToNextOption, help: "Worker process counts to run.")
        var workers: [Int] = [1, 2, 4, 8, 16, 32, 64]

        @Option(name: .long, help: "Slots per worker process.")
        var slots: Int = 1

        @Option(name: .long, help: "Sleep per task, milliseconds.")
        var sleepMs: Double = 50

        @Option(name: .long, help: "Tasks in the job (the same for every run; with one slot it lasts about this × --sleep-ms).")
        var tasks: Int = 1280

        @OptionGroup var db: DatabaseOptions

        func validate() throws {
            guard !workers.isEmpty, workers.allSatisfy({ (1...512).contains($0) }) else { throw ValidationError("--workers: counts 1…512") }
            guard (1...64).contains(slots) else { throw ValidationError("--slots must be 1…64") }
            guard sleepMs >= 0 else { throw ValidationError("--sleep-ms must be ≥ 0") }
            guard (1...10_000_000).contains(tasks) else { throw ValidationError("--tasks must be 1…10000000") }
        }

        func run() throws {
            #if DEBUG
            print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
            #endif
            let logger = db.logger("slipline.bench", default: .warning)
            let info = try db.conninfo(migrate: true)
            let conn = try PGConnection(info)
            let cpu = ServerCPU(conn)
            let coordinator = CoordinatorService(conninfo: info, planners: Kinds.planners, logger: logger)
            let coordinatorDone = StopFlag()
            Thread { coordinator.run(); coordinatorDone.signal() }.start()
            defer { coordinator.stop.signal(); coordinatorDone.wait(timeout: 30) }

            let cores = ProcessInfo.processInfo.activeProcessorCount
            print("bench scale: a job of \(tasks) tasks that sleep \(fmt(sleepMs, 0)) ms each; \(slots) slot(s) per worker process; \(cores) core(s) here")
            print("database CPU: \(cpu.available ? "server processes' user+system time from /proc" : "n/a (server not on this machine)")")
            let header = ["workers", "tasks", "seconds", "tasks/s", "ideal/s", "efficiency", "db CPU ms/task", "db CPU cores"]
            print(header.joined(separator: " | "))
            for n in workers {
                let fleet = try WorkerFleet(count: n, slots: slots, conninfo: info)
                defer { fleet.stop() }
                guard try fleet.waitRegistered(conn, timeout: 60) else {
                    throw UserError("only some of \(n) workers registered within 60 s: \(fleet.firstOutput())")
                }
                let before = cpu.seconds()
                let job = try TaskQueue.submit(
                    conn, kind: BenchKind().name, input: "bench-scale-\(n)",
                    params: ["tasks": "\(tasks)", "sleep_ms": "\(sleepMs)", "merge": "false"])
                let final = try JobWatcher.wait(conninfo: info, job: job, showProgress: false)
                let after = cpu.seconds()
                guard final.state == .done else { throw UserError("job \(job) ended \(final.state.rawValue)") }
                let elapsed = (final.finishedAt ?? Date()).timeIntervalSince(final.startedAt ?? final.submittedAt ?? Date())
                let rate = Double(tasks) / elapsed
                let ideal = sleepMs > 0 ? Double(n * slots) * 1000 / sleepMs : .infinity
                let dbSeconds = before.flatMap { b in after.map { $0 - b } }
                let row = [
                    "\(n)", "\(tasks)", fmt(elapsed, 2), fmt(rate, 0), ideal.isFinite ? fmt(ideal, 0) : "-",
                    ideal.isFinite ? fmt(rate / ideal * 100, 0) + " %" : "-",
                    dbSeconds.map { fmt($0 * 1000 / Double(tasks), 3) } ?? "n/a",
                    dbSeconds.map { fmt($0 / elapsed, 2) } ?? "n/a",
                ]
                print(row.joined(separator: " | "))
                fflush(nil)
            }
        }

        private func fmt(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
    }
}

/// Real `ctl worker` processes (this binary), stopped with SIGTERM.
final class WorkerFleet {
    private var processes: [Process] = []
    private let logs: [URL]

    init(count: Int, slots: Int, conninfo: String) throws {
        let binary = ScaleCommand.selfPath()
        logs = (0..<count).map { FileManager.default.temporaryDirectory.appendingPathComponent("slipline-bench-worker-\(getpid())-\($0).log") }
        for log in logs {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["worker", "--slots", "\(slots)", "--poll", "2", "--shutdown-grace", "5", "--log-level", "warning"]
            var env = ProcessInfo.processInfo.environment
            env["SLIPLINE_DATABASE_URL"] = conninfo  // environment, not argv: it may hold a password
            p.environment = env
            p.standardOutput = handle
            p.standardError = handle
            p.standardInput = FileHandle.nullDevice
            try p.run()
            try handle.close()
            processes.append(p)
        }
    }

    /// Waits until every process has registered (and so holds its connections).
    func waitRegistered(_ conn: PGConnection, timeout: Double) throws -> Bool {
        let pids = processes.map { Int($0.processIdentifier) }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            let n = try conn.exec("SELECT count(*) FROM workers WHERE state = 'running' AND pid = ANY($1::int[])", [PGArray(pids)]).int(0, 0) ?? 0
            if n == pids.count { Thread.sleep(forTimeInterval: 0.3); return true }
            if processes.contains(where: { !$0.isRunning }) { return false }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func firstOutput() -> String {
        logs.lazy.compactMap { try? String(contentsOf: $0, encoding: .utf8) }.first { !$0.isEmpty } ?? ""
    }

    func stop() {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date(timeIntervalSinceNow: 20)
        for p in processes {
            while p.isRunning && Date() < deadline { usleep(10_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
        processes.removeAll()
        for log in logs { try? FileManager.default.removeItem(at: log) }
    }
}

/// CPU time of a PostgreSQL server on this machine: the postmaster's own and its reaped
/// children's (backends that exited) plus every live child's, from /proc.
struct ServerCPU {
    let postmaster: Int32?

    init(_ conn: PGConnection) {
        let backend = (try? conn.exec("SELECT pg_backend_pid()").int(0, 0)).flatMap { $0 }
        postmaster = backend.flatMap { Self.stat(Int32($0)) }.map { $0.ppid }
    }

    var available: Bool { postmaster.flatMap { Self.stat($0) } != nil }

    func seconds() -> Double? {
        guard let pm = postmaster, let own = Self.stat(pm) else { return nil }
        var ticks = own.utime + own.stime + own.cutime + own.cstime
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let s = Self.stat(pid), s.ppid == pm else { continue }
            ticks += s.utime + s.stime
        }
        return Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    struct Stat { let ppid: Int32; let utime: Int; let stime: Int; let cutime: Int; let cstime: Int }

    static func stat(_ pid: Int32) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state ppid … utime(14) stime(15) cutime(16) cstime(17).
        let f = text[text.index(after: close)...].split(separator: " ")
        guard f.count > 15, let ppid = Int32(f[1]), let u = Int(f[11]), let s = Int(f[12]), let cu = Int(f[13]), let cs = Int(f[14]) else { return nil }
        return Stat(ppid: ppid, utime: u, stime: s, cutime: cu, cstime: cs)
    }
}
