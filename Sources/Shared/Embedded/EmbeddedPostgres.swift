import Foundation
import Glibc

/// The embedded database: a private PostgreSQL cluster under `$SLIPLINE_HOME/pg`, listening on
/// a Unix socket only, created on first use and started on demand.
///
/// PostgreSQL refuses to run as root. When `ctl` runs as root, the cluster belongs to the
/// unprivileged system account `slipline` (created if missing), its files live under
/// `/var/lib/slipline/clusters/<id>` (root's home is not traversable by other accounts) and
/// `$SLIPLINE_HOME/pg` is a symbolic link to that directory.
public struct EmbeddedPostgres: Sendable {
    /// `$SLIPLINE_HOME`.
    public let home: URL
    public static let serviceAccount = "slipline"
    public static let databaseName = "slipline"
    public static let superuser = "slipline"

    public init(home: URL) {
        self.home = home
    }

    /// `$SLIPLINE_HOME`, else `~/.local/share/slipline`.
    public static func defaultHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let home = environment["SLIPLINE_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home)
        }
        let user = environment["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return user.appendingPathComponent(".local/share/slipline")
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// `$SLIPLINE_HOME/pg` (a link when running as root).
    public var link: URL { home.appendingPathComponent("pg") }

    /// Where the cluster's files really are.
    public var clusterDirectory: URL {
        if Self.isRoot {
            return URL(fileURLWithPath: "/var/lib/slipline/clusters").appendingPathComponent(Self.identifier(for: home))
        }
        return link
    }

    var dataDirectory: URL { clusterDirectory.appendingPathComponent("data") }
    /// The directory holding the Unix socket (mode 0700: only the owner connects).
    public var socketDirectory: URL { clusterDirectory.appendingPathComponent("run") }
    var logFile: URL { clusterDirectory.appendingPathComponent("postgres.log") }

    /// A libpq URI for the cluster's database; `psql` accepts it.
    public var url: String {
        let host = socketDirectory.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? socketDirectory.path
        return "postgresql://\(Self.superuser)@/\(Self.databaseName)?host=\(host)"
    }

    public var isInitialized: Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
    }

    // MARK: Life cycle

    /// Creates the cluster if needed, starts it if needed and ensures the database exists.
    /// Safe to call from many processes at once (a file lock serialises them).
    public func ensureRunning() throws {
        try withLock {
            if !isInitialized { try initialize() }
            if try !isRunning() { try start() }
            try ensureDatabase()
        }
    }

    /// Stops the cluster if it runs (fast shutdown: open transactions roll back).
    public func stop() throws {
        try withLock {
            guard isInitialized, try isRunning() else { return }
            let r = try pgTool("pg_ctl", ["-D", dataDirectory.path, "-m", "fast", "-w", "-t", "60", "stop"])
            if r.status != 0 { throw EmbeddedError.commandFailed("pg_ctl stop", r.output) }
        }
    }

    /// Stops the cluster abruptly, as a crash would (for tests of recovery).
    public func kill() throws {
        let r = try pgTool("pg_ctl", ["-D", dataDirectory.path, "-m", "immediate", "-w", "stop"])
        if r.status != 0 { throw EmbeddedError.commandFailed("pg_ctl stop -m immediate", r.output) }
    }

    /// Starts a stopped cluster (no-op if running).
    public func start() throws {
        guard try !isRunning() else { return }
        // A socket left by a killed server would make the new one refuse to start.
        try? FileManager.default.removeItem(at: socketDirectory.appendingPathComponent(".s.PGSQL.5432"))
        let r = try pgTool("pg_ctl", ["-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "start"])
        if r.status != 0 {
            let log = (try? String(contentsOf: logFile, encoding: .utf8))?.split(separator: "\n").suffix(8).joined(separator: "\n") ?? ""
            throw EmbeddedError.commandFailed("pg_ctl start", r.output + "\n" + log)
        }
    }

    /// Whether the postmaster is up.
    public func isRunning() throws -> Bool {
        guard isInitialized else { return false }
        let r = try pgTool("pg_ctl", ["-D", dataDirectory.path, "status"])
        return r.status == 0
    }

    private func initialize() throws {
        let fm = FileManager.default
        try fm.createDirectory(at: home, withIntermediateDirectories: true)
        if Self.isRoot {
            try ensureServiceAccount()
            try fm.createDirectory(at: clusterDirectory, withIntermediateDirectories: true)
            if (try? fm.destinationOfSymbolicLink(atPath: link.path)) != clusterDirectory.path {
                try? fm.removeItem(at: link)
                try fm.createSymbolicLink(at: link, withDestinationURL: clusterDirectory)
            }
        } else {
            try fm.createDirectory(at: clusterDirectory, withIntermediateDirectories: true)
        }
        try fm.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        chmod(clusterDirectory.path, 0o700)
        chmod(socketDirectory.path, 0o700)
        if Self.isRoot {
            let r = try Subprocess.run("/bin/chown", ["-R", "\(Self.serviceAccount):\(Self.serviceAccount)", clusterDirectory.path])
            if r.status != 0 { throw EmbeddedError.commandFailed("chown", r.output) }
        }
        let r = try pgTool("initdb", [
            "-D", dataDirectory.path, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync",
        ])
        if r.status != 0 { throw EmbeddedError.commandFailed("initdb", r.output) }
        let settings = """

            # --- written by ctl: the embedded Slipline database ---
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory.path)'
            unix_socket_permissions = 0700
            max_connections = 300
            shared_buffers = 256MB
            # the queue's rows are short-lived; keep autovacuum brisk on them
            autovacuum_naptime = 10s
            log_min_messages = warning
            """
        let conf = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        handle.seekToEndOfFile()
        // End with a newline, so a setting an operator appends (docs/scaling.md) starts a line of its own.
        handle.write(Data((settings + "\n").utf8))
        try handle.close()
    }

    private func ensureDatabase() throws {
        let admin = url.replacingOccurrences(of: "/\(Self.databaseName)?", with: "/postgres?")
        let conn = try PGConnection(admin)
        let exists = try conn.exec("SELECT 1 FROM pg_database WHERE datname = $1", [Self.databaseName]).rowCount > 0
        if !exists {
            try conn.exec("CREATE DATABASE \(Self.databaseName)")
        }
    }

    /// Creates an extra database in this cluster (tests use one per test case).
    public func createDatabase(_ name: String) throws -> String {
        precondition(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" })
        let admin = url.replacingOccurrences(of: "/\(Self.databaseName)?", with: "/postgres?")
        let conn = try PGConnection(admin)
        try conn.exec("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try conn.exec("CREATE DATABASE \(name)")
        return url.replacingOccurrences(of: "/\(Self.databaseName)?", with: "/\(name)?")
    }

    private func ensureServiceAccount() throws {
        if getpwnam(Self.serviceAccount) != nil { return }
        let useradd = Subprocess.find("useradd", extraDirectories: ["/usr/sbin", "/sbin"]) ?? "/usr/sbin/useradd"
        let r = try Subprocess.run(useradd, [
            "--system", "--no-create-home", "--home-dir", "/var/lib/slipline", "--shell", "/usr/sbin/nologin",
            Self.serviceAccount,
        ])
        if r.status != 0 && getpwnam(Self.serviceAccount) == nil {
            throw EmbeddedError.commandFailed("useradd \(Self.serviceAccount)", r.output)
        }
    }

    /// Runs a PostgreSQL server tool, as the service account when we are root.
    private func pgTool(_ name: String, _ arguments: [String]) throws -> Subprocess.Result {
        guard let tool = Self.findServerTool(name) else { throw EmbeddedError.serverNotInstalled(tool: name) }
        if Self.isRoot {
            let runuser = Subprocess.find("runuser", extraDirectories: ["/usr/sbin", "/sbin"]) ?? "/usr/sbin/runuser"
            return try Subprocess.run(runuser, ["-u", Self.serviceAccount, "--", tool] + arguments)
        }
        return try Subprocess.run(tool, arguments)
    }

    /// Finds a server tool: Debian keeps them in /usr/lib/postgresql/<version>/bin, off PATH.
    static func findServerTool(_ name: String) -> String? {
        var dirs: [String] = []
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
                dirs.append("/usr/lib/postgresql/\(version)/bin")
            }
        }
        // Prefer Debian's newest server over whatever is on PATH, so that initdb and
        // pg_ctl always come from the same version.
        for dir in dirs {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return Subprocess.find(name)
    }

    /// Serialises life-cycle changes across processes.
    private func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let lockPath = home.appendingPathComponent("pg.lock").path
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o600)
        guard fd >= 0 else { throw EmbeddedError.commandFailed("open \(lockPath)", String(cString: strerror(errno))) }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// A stable short name for a home directory (FNV-1a of its path).
    static func identifier(for home: URL) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in home.standardizedFileURL.path.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// What went wrong managing the embedded database.
public enum EmbeddedError: Error, CustomStringConvertible {
    case serverNotInstalled(tool: String)
    case commandFailed(String, String)

    public var description: String {
        switch self {
        case let .serverNotInstalled(tool):
            return "the PostgreSQL server is not installed (no \(tool) found in /usr/lib/postgresql/*/bin or on PATH): run `apt-get install postgresql` (or ops/install-deps.sh)"
        case let .commandFailed(command, output):
            return "embedded database: \(command) failed:\n\(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
}
