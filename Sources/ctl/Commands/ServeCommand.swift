import ArgumentParser
import Dashboard
import Foundation
import Kinds
import Shared

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the live web dashboard (jobs, TEM/BCDI/4D-STEM results, workers, /metrics) until SIGTERM/SIGINT.",
        discussion: """
            Reads through the read-only slipline_reader role. Listens on 127.0.0.1 unless --listen says \
            otherwise; any other address needs --token-file. A token file holds one token a line: \
            `reader TOKEN` (read everything) or `operator TOKEN` (also cancel and retry jobs). Open \
            http://HOST:PORT/?token=TOKEN once in a browser, or send `Authorization: Bearer TOKEN`.
            """)

    @Option(name: .long, help: ArgumentHelp("Address to listen on (port 0: any free port).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8080"

    @Option(name: .long, help: ArgumentHelp("Tokens that may use the dashboard (required off loopback).", valueName: "file"))
    var tokenFile: String?

    @Option(name: .long, help: ArgumentHelp(
        "Live updates are pushed on the queue's notifications; also re-read the jobs this often while a page is open, for notifications missed on a reconnect (0: never).",
        valueName: "seconds"))
    var fallbackPoll: Double = 10

    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let logger = db.logger("slipline.serve", default: .notice)
        let configuration: DashboardConfiguration
        do {
            let tokens = try tokenFile.map { try AccessTokens(file: $0) }
            configuration = try DashboardConfiguration(
                listen: try ListenAddress(parsing: listen), tokens: tokens, fallbackPollSeconds: fallbackPoll)
        } catch let error as DashboardSetupError {
            throw UserError(error.description)
        }
        let server = try DashboardServer(configuration: configuration, conninfo: try db.conninfo(), logger: logger)
        let mode = configuration.policy.tokens == nil ? "read-only, no token (loopback)" : "token required"
        do {
            try server.runBlocking { address in
                // Unbuffered: scripts and tests wait for this line to learn the port.
                FileHandle.standardOutput.write(Data("serving http://\(address)/ (\(mode))\n".utf8))
            }
        } catch {
            let hint = "\(error)".contains("in use") ? " — another program listens there; choose another port with --listen" : ""
            throw UserError("ctl serve on \(configuration.listen): \(error)\(hint)")
        }
        print("stopped")
    }
}
