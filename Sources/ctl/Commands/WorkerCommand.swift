import ArgumentParser
import Dashboard
import Foundation
import Kinds
import Shared
import Worker

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker for a cluster node until SIGTERM/SIGINT (then finish or release held tasks).")

    @Option(name: .long, help: "Tasks run at once (default: one per core).")
    var slots: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Lease length in seconds (renewed every third of it).")
    var lease: Double = 30

    @Option(name: .long, help: "Seconds between claims when idle and no notification arrives.")
    var poll: Double = 2

    @Option(name: .long, help: "Seconds running tasks get to finish on shutdown before they are released.")
    var shutdownGrace: Double = 20

    @Option(name: .long, help: "Stop taking tasks after this many seconds (batch-system wall time).")
    var lifetime: Double?

    @Option(name: .long, help: "Serve Prometheus metrics of this worker at http://HOST:PORT/metrics (0: any free port).")
    var metricsPort: Int?

    @Option(name: .long, help: "Address the metrics endpoint listens on (all interfaces by default, for the cluster's Prometheus).")
    var metricsHost: String = "0.0.0.0"

    @OptionGroup var db: DatabaseOptions

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be 0…65535") }
        guard (1...1024).contains(slots) else { throw ValidationError("--slots must be 1…1024") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        guard poll > 0 else { throw ValidationError("--poll must be positive") }
    }

    func run() throws {
        let logger = db.logger("slipline.worker", default: .info)
        // A worker started while PostgreSQL restarts (preemption, a failover) waits for it.
        let info = try db.conninfo(waitSeconds: 60)
        if let metricsPort {
            let registry = MetricsEndpoint.bootstrapProcessMetrics()
            do {
                let bound = try MetricsEndpoint.serveInBackground(
                    registry: registry, listen: ListenAddress(host: metricsHost, port: metricsPort), logger: logger)
                logger.notice("metrics at http://\(bound)/metrics")
            } catch {
                throw UserError("--metrics-port \(metricsPort): \(error)")
            }
        }
        let worker = WorkerService(
            conninfo: info,
            configuration: WorkerConfiguration(
                slots: slots, leaseSeconds: lease, pollSeconds: poll, shutdownGraceSeconds: shutdownGrace,
                lifetimeSeconds: lifetime),
            runners: Kinds.runners, logger: logger)
        let trap = SignalTrap { sig in
            logger.notice("signal \(sig): shutting down")
            worker.stop.signal()
        }
        try worker.run()
        withExtendedLifetime(trap) {}
    }
}
