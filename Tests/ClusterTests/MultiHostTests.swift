import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// Several hosts on this machine: network namespaces joined to a database host by veth pairs.
/// PostgreSQL listens on TCP with scram-sha-256 passwords; the coordinator and two workers run
/// in their own namespaces (workers as a `slipline_worker` login role) and read the password
/// from a passfile named in the environment. Then one worker host's link is cut mid-job.
final class MultiHostTests: XCTestCase {
    func testJobOverTCPAndAWorkerHostCutOffMidJob() throws {
        let lab = try NetworkLab.make(hosts: 3)  // host 0: coordinator, hosts 1 and 2: workers
        defer { lab.destroy() }

        // A cluster of our own: set up on its Unix socket, then restarted inside the database
        // namespace listening on TCP.
        let pg = try TestCluster.privateCluster("netns\(lab.id)")
        defer {
            lab.killAll()
            TestCluster.destroy(pg)
        }
        let admin = try PGConnection(pg.url)
        try Migrations.migrate(admin)
        let adminPassword = "admin-\(UUID().uuidString)"
        let workerPassword = "worker-\(UUID().uuidString)"
        let role = "w_lab\(lab.id)"
        defer { _ = try? PGConnection(pg.url).exec("DROP ROLE IF EXISTS \(role)") }
        try admin.exec("ALTER ROLE \(EmbeddedPostgres.superuser) PASSWORD '\(try admin.scramVerifier(user: EmbeddedPostgres.superuser, password: adminPassword))'")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-lab-\(lab.id)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let pwFile = scratch.appendingPathComponent("worker.pw")
        try workerPassword.write(to: pwFile, atomically: true, encoding: .utf8)
        let created = try CtlProcess.run(["db", "create-role", "worker", role, "--password-file", pwFile.path, "--database", pg.url])
        XCTAssertEqual(created.status, 0, created.output)
        admin.close()
        try pg.stop()
        try NetworkLab.configureForTCP(pg)
        try lab.startPostgres(pg)

        // Passwords only in a 0600 passfile that libpq finds through PGPASSFILE.
        let passfile = scratch.appendingPathComponent("pgpass")
        try """
            *:5432:\(EmbeddedPostgres.databaseName):\(EmbeddedPostgres.superuser):\(adminPassword)
            *:5432:\(EmbeddedPostgres.databaseName):\(role):\(workerPassword)

            """.write(to: passfile, atomically: true, encoding: .utf8)
        chmod(passfile.path, 0o600)
        let env = ["PGPASSFILE": passfile.path]
        func url(host: Int, user: String) -> String {
            "host=\(lab.databaseAddress(host)) port=5432 dbname=\(EmbeddedPostgres.databaseName) user=\(user) connect_timeout=3 keepalives_idle=2 keepalives_interval=1 keepalives_count=2 tcp_user_timeout=4000"
        }
        // Without the passfile the server refuses: password authentication is really on.
        let refused = try CtlProcess.run(["status", "--database", url(host: 0, user: role)], prefix: lab.exec(0), timeout: 30)
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssertTrue(refused.output.contains("password"), refused.output)

        let coordinator = try CtlProcess(["coordinator", "--database", url(host: 0, user: EmbeddedPostgres.superuser), "--log-level", "warning"],
                                         environment: env, prefix: lab.exec(0))
        let workerArgs = ["worker", "--slots", "2", "--lease", "3", "--poll", "0.5", "--shutdown-grace", "2", "--log-level", "warning"]
        let w1 = try CtlProcess(workerArgs + ["--database", url(host: 1, user: role)], environment: env, prefix: lab.exec(1))
        let w2 = try CtlProcess(workerArgs + ["--database", url(host: 2, user: role)], environment: env, prefix: lab.exec(2))
        defer {
            for p in [w1, w2, coordinator] { p.signal(SIGKILL) }
        }
        let conn = try PGConnection(pg.url)  // the test's own view, over the Unix socket
        func output() -> String { "coordinator:\n\(coordinator.output)\nw1:\n\(w1.output)\nw2:\n\(w2.output)" }

        // 1. A job completes over TCP.
        let first = try ClusterJobs.submitBench(conn, tasks: 8, sleepMs: 200)
        XCTAssertEqual(try ClusterJobs.wait(conn, first, timeout: 60).state, .done, output())
        XCTAssertTrue(try eventually(timeout: 30) {
            try conn.exec(
                "SELECT count(DISTINCT host(client_addr)) FROM pg_stat_activity WHERE usename = $1 AND client_addr IS NOT NULL", [role]
            ).int(0, 0) == 2
        }, "both worker hosts are connected over TCP: \(output())")

        // 2. Cut worker host 1 off while it holds tasks.
        let second = try ClusterJobs.submitBench(conn, tasks: 16, sleepMs: 1500)
        let w1Id = try XCTUnwrap(try conn.exec("SELECT id FROM workers WHERE pid = $1 AND state = 'running'", [Int(w1.pid)]).string(0, 0), output())
        XCTAssertTrue(try eventually(timeout: 30) {
            try conn.exec("SELECT count(*) FROM tasks WHERE job_id = $1 AND worker_id = $2 AND state = 'leased'", [second, w1Id]).int(0, 0) == 2
        }, output())
        try lab.cut(1)
        let cutAt = Date()
        Thread.sleep(forTimeInterval: 0.3)
        let stranded = try conn.exec(
            "SELECT id FROM tasks WHERE job_id = $1 AND worker_id = $2 AND state = 'leased'", [second, w1Id]
        ).allRows().compactMap { $0[0].flatMap { Int64($0) } }
        XCTAssertFalse(stranded.isEmpty, "worker 1 held tasks when its link went down")

        let record = try ClusterJobs.wait(conn, second, timeout: 90)
        XCTAssertEqual(record.state, .done, output())
        let items = try conn.exec("SELECT count(*), count(DISTINCT item) FROM bench_results WHERE job_id = $1", [second])
        XCTAssertEqual(items.allRows(), [["16", "16"]], "every item has a result, exactly once")
        for task in stranded {
            let r = try conn.exec("SELECT worker_id, attempt FROM bench_results WHERE task_id = $1", [task])
            XCTAssertEqual(r.rowCount, 1)
            XCTAssertNotEqual(r.string(0, 0), w1Id, "task \(task) was finished by another host")
            XCTAssertEqual(r.int(0, 1), 2, "task \(task): the cut-off attempt counts, the second finished it")
        }
        XCTAssertGreaterThan(Date().timeIntervalSince(cutAt), 2.5, "the stranded tasks waited for their leases to expire")
        XCTAssertEqual(try conn.exec("SELECT count(*) FROM tasks WHERE state = 'leased'").int(0, 0), 0)
        XCTAssertTrue(w2.process.isRunning && coordinator.process.isRunning, output())
    }
}

/// Network namespaces and veth pairs for a test: namespace `<p>db` holds the database, each
/// host namespace `<p>h<i>` is joined to it by its own pair (`<p>d<i>` ⟷ `<p>h<i>`) on
/// 10.213.<i>.0/24, database side .1, host side .2. Nothing leaves these namespaces.
final class NetworkLab: @unchecked Sendable {
    let id: String
    let hosts: Int
    private var namespaces: [String] = []
    var databaseNamespace: String { "sl\(id)db" }
    func hostNamespace(_ i: Int) -> String { "sl\(id)h\(i)" }
    func databaseAddress(_ i: Int) -> String { "10.213.\(i).1" }

    private init(id: String, hosts: Int) {
        self.id = id
        self.hosts = hosts
    }

    /// Builds the lab, or throws XCTSkip where this machine forbids network namespaces.
    static func make(hosts: Int) throws -> NetworkLab {
        guard geteuid() == 0 else { throw XCTSkip("multi-host test needs root to create network namespaces (ip netns)") }
        guard let ip = Subprocess.find("ip", extraDirectories: ["/usr/sbin", "/sbin"]) else {
            throw XCTSkip("multi-host test needs `ip` from iproute2 (ops/install-deps.sh installs it)")
        }
        ipPath = ip
        let lab = NetworkLab(id: String(getpid() % 100_000), hosts: hosts)
        let probe = try Subprocess.run(ip, ["netns", "add", lab.databaseNamespace])
        guard probe.status == 0 else {
            throw XCTSkip("this machine forbids network namespaces (`ip netns add` failed: \(probe.output.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        lab.namespaces.append(lab.databaseNamespace)
        do {
            // Some containers allow `ip netns add` but not entering the namespace (remounting
            // /sys) or veth pairs: those forbid the test too.
            try ipOrThrow(["netns", "exec", lab.databaseNamespace, "/bin/true"])
            try ipOrThrow(["-n", lab.databaseNamespace, "link", "set", "lo", "up"])
            for i in 0..<hosts {
                let ns = lab.hostNamespace(i)
                try ipOrThrow(["netns", "add", ns])
                lab.namespaces.append(ns)
                try ipOrThrow(["-n", ns, "link", "set", "lo", "up"])
                let dbEnd = "sl\(lab.id)d\(i)", hostEnd = "sl\(lab.id)h\(i)"
                try ipOrThrow(["-n", lab.databaseNamespace, "link", "add", dbEnd, "type", "veth", "peer", "name", hostEnd, "netns", ns])
                try ipOrThrow(["-n", lab.databaseNamespace, "addr", "add", "10.213.\(i).1/24", "dev", dbEnd])
                try ipOrThrow(["-n", ns, "addr", "add", "10.213.\(i).2/24", "dev", hostEnd])
                try ipOrThrow(["-n", lab.databaseNamespace, "link", "set", dbEnd, "up"])
                try ipOrThrow(["-n", ns, "link", "set", hostEnd, "up"])
            }
        } catch {
            lab.destroy()
            throw XCTSkip("this machine forbids the network namespaces or veth pairs the test needs: \(error)")
        }
        return lab
    }

    nonisolated(unsafe) private static var ipPath = "/usr/sbin/ip"

    @discardableResult
    static func ipOrThrow(_ args: [String]) throws -> String {
        let r = try Subprocess.run(ipPath, args)
        guard r.status == 0 else { throw TestFailure("ip \(args.joined(separator: " ")) failed: \(r.output)") }
        return r.output
    }

    /// The command prefix that runs a program on host `i`.
    func exec(_ i: Int) -> [String] { [Self.ipPath, "netns", "exec", hostNamespace(i)] }

    /// Takes host `i`'s link down (both ends), as a failed switch port would.
    func cut(_ i: Int) throws {
        try Self.ipOrThrow(["-n", databaseNamespace, "link", "set", "sl\(id)d\(i)", "down"])
        try Self.ipOrThrow(["-n", hostNamespace(i), "link", "set", "sl\(id)h\(i)", "down"])
    }

    /// Lets the test cluster listen on TCP with scram-sha-256 passwords (and notice dead
    /// clients quickly: keepalives, and no transaction left idle holding row locks).
    static func configureForTCP(_ pg: EmbeddedPostgres) throws {
        let data = pg.clusterDirectory.appendingPathComponent("data")
        let conf = data.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        handle.seekToEndOfFile()
        handle.write(Data("""

            # --- multi-host test ---
            listen_addresses = '*'
            port = 5432
            password_encryption = 'scram-sha-256'
            tcp_keepalives_idle = 2
            tcp_keepalives_interval = 1
            tcp_keepalives_count = 3
            tcp_user_timeout = 4000
            idle_in_transaction_session_timeout = '5s'

            """.utf8))
        try handle.close()
        try """
            local all all trust
            host  all all 10.213.0.0/16 scram-sha-256

            """.write(to: data.appendingPathComponent("pg_hba.conf"), atomically: true, encoding: .utf8)
        _ = try Subprocess.run("/bin/chown", ["-R", "\(EmbeddedPostgres.serviceAccount):\(EmbeddedPostgres.serviceAccount)", data.path])
    }

    /// Starts the (stopped) cluster inside the database namespace, as the service account.
    func startPostgres(_ pg: EmbeddedPostgres) throws {
        guard let pgCtl = Self.serverTool("pg_ctl") else { throw XCTSkip("PostgreSQL server tools not installed") }
        let data = pg.clusterDirectory.appendingPathComponent("data").path
        let log = pg.clusterDirectory.appendingPathComponent("postgres.log").path
        let runuser = Subprocess.find("runuser", extraDirectories: ["/usr/sbin", "/sbin"]) ?? "/usr/sbin/runuser"
        let r = try Subprocess.run(Self.ipPath, ["netns", "exec", databaseNamespace, runuser, "-u", EmbeddedPostgres.serviceAccount, "--",
                                                 pgCtl, "-D", data, "-l", log, "-w", "-t", "60", "start"])
        guard r.status == 0 else {
            throw TestFailure("pg_ctl start in \(databaseNamespace) failed: \(r.output)\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    static func serverTool(_ name: String) -> String? {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        return versions.map { "/usr/lib/postgresql/\($0)/bin/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? Subprocess.find(name)
    }

    /// SIGKILLs every process still inside the lab's namespaces.
    func killAll() {
        for ns in namespaces {
            guard let r = try? Subprocess.run(Self.ipPath, ["netns", "pids", ns]) else { continue }
            for pid in r.output.split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
    }

    /// Kills what runs inside and deletes the namespaces (and with them the veth pairs).
    func destroy() {
        killAll()
        for ns in namespaces.reversed() { _ = try? Subprocess.run(Self.ipPath, ["netns", "delete", ns]) }
        namespaces.removeAll()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Job helpers for these tests.
enum ClusterJobs {
    static func submitBench(_ conn: PGConnection, tasks: Int, sleepMs: Double, merge: Bool = true) throws -> Int64 {
        try TaskQueue.submit(conn, kind: "bench", input: "cluster-test",
                             params: ["tasks": "\(tasks)", "sleep_ms": "\(sleepMs)", "merge": "\(merge)"],
                             maxAttempts: 10, retryBaseSeconds: 0.05)
    }

    static func wait(_ conn: PGConnection, _ job: Int64, timeout: Double) throws -> JobRecord {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if let record = try TaskQueue.job(conn, id: job), record.state.isFinal { return record }
            usleep(100_000)
        }
        let record = try TaskQueue.job(conn, id: job)
        throw TestFailure("job \(job) did not finish within \(timeout) s (state \(record?.state.rawValue ?? "?"), \(record?.nDone ?? 0)/\(record?.nTasks ?? 0) done)")
    }
}
