import ArgumentParser
import Foundation
import Kinds
import Shared

struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage the embedded database (or migrate an external one).",
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self, Migrate.self, CreateRole.self, Prune.self])

    static func embedded() -> EmbeddedPostgres {
        EmbeddedPostgres(home: EmbeddedPostgres.defaultHome())
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (first time) and start the embedded database.")
        func run() throws {
            let pg = DbCommand.embedded()
            try pg.ensureRunning()
            try Migrations.migrate(try PGConnection(pg.url))
            print("embedded database running at \(pg.socketDirectory.path)")
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded database.")
        func run() throws {
            let pg = DbCommand.embedded()
            try pg.stop()
            print("embedded database stopped")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the embedded database runs, and where.")
        func run() throws {
            let pg = DbCommand.embedded()
            guard pg.isInitialized else {
                print("embedded database not created yet (it is created on first use under \(pg.link.path))")
                throw ExitCode(3)
            }
            let running = try pg.isRunning()
            print("embedded database \(running ? "running" : "stopped"): \(pg.clusterDirectory.path)")
            if running {
                let conn = try PGConnection(pg.url)
                print("schema version \(try Migrations.currentVersion(conn)) (this ctl: \(Migrations.latestVersion))")
                print("url: \(pg.url)")
            } else {
                throw ExitCode(3)
            }
        }
    }

    struct URLCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url", abstract: "Print a connection string for the embedded database (psql accepts it).")
        func run() throws {
            let pg = DbCommand.embedded()
            try pg.ensureRunning()
            print(pg.url)
        }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply schema migrations (idempotent).")
        @OptionGroup var db: DatabaseOptions
        func run() throws {
            let conn = try PGConnection(try db.target.conninfo())
            let applied = try Migrations.migrate(conn)
            if applied.isEmpty {
                print("schema up to date at version \(Migrations.latestVersion)")
            } else {
                print("applied migration(s) \(applied.map(String.init).joined(separator: ", ")); schema at version \(Migrations.latestVersion)")
            }
        }
    }
}
