import Foundation
import Shared

/// The PostgreSQL cluster the tests run against: the same embedded cluster users get,
/// created in a temporary `SLIPLINE_HOME` on first use and stopped when the test process
/// exits. Each test gets a database of its own.
public enum TestCluster {
    nonisolated(unsafe) private static var shared: EmbeddedPostgres?
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    /// The shared cluster, started on first use.
    public static func cluster() throws -> EmbeddedPostgres {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        let home = FileManager.default.temporaryDirectory
            .appendingPathComponent("slipline-tests-\(getpid())")
        let pg = EmbeddedPostgres(home: home)
        try pg.ensureRunning()
        shared = pg
        atexit {
            if let pg = TestCluster.shared { TestCluster.destroy(pg) }
        }
        return pg
    }

    /// A new, migrated database; returns its connection string.
    public static func freshDatabase(_ label: String = "t") throws -> String {
        let url = try emptyDatabase(label)
        try Migrations.migrate(try PGConnection(url))
        return url
    }

    /// A new database without any schema (for tests that apply an older one).
    public static func emptyDatabase(_ label: String = "t") throws -> String {
        let pg = try cluster()
        lock.lock()
        counter += 1
        let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(getpid())_\(counter)"
        lock.unlock()
        return try pg.createDatabase(name)
    }

    /// A private cluster for a test that stops or kills the server; destroy it when done.
    public static func privateCluster(_ label: String) throws -> EmbeddedPostgres {
        let home = FileManager.default.temporaryDirectory
            .appendingPathComponent("slipline-tests-\(getpid())-\(label)")
        let pg = EmbeddedPostgres(home: home)
        try pg.ensureRunning()
        return pg
    }

    /// Stops a cluster and removes its files.
    public static func destroy(_ pg: EmbeddedPostgres) {
        try? pg.stop()
        try? FileManager.default.removeItem(at: pg.clusterDirectory)
        try? FileManager.default.removeItem(at: pg.home)
    }
}
