import Coordinator
import Foundation
import Logging
import Shared
import Worker

/// A coordinator and a worker in this process, on threads: what `ctl run` and
/// `ctl bench` start. Stopping waits for both to shut down gracefully.
public final class LocalCluster: @unchecked Sendable {
    public let coordinator: CoordinatorService
    public let workers: [WorkerService]
    private let done = DispatchGroup()

    public init(conninfo: String, workers count: Int, slots: Int, logger: Logger, leaseSeconds: Double = 30) {
        coordinator = CoordinatorService(conninfo: conninfo, planners: Kinds.planners, logger: logger)
        workers = (0..<count).map { _ in
            WorkerService(
                conninfo: conninfo, configuration: WorkerConfiguration(slots: slots, leaseSeconds: leaseSeconds),
                runners: Kinds.runners, logger: logger)
        }
    }

    public func start() {
        let coordinator = coordinator
        done.enter()
        Thread { coordinator.run(); self.done.leave() }.start()
        for worker in workers {
            done.enter()
            Thread {
                do { try worker.run() } catch { Logger(label: "slipline.worker").error("worker failed: \(error)") }
                self.done.leave()
            }.start()
        }
    }

    public func stop() {
        coordinator.stop.signal()
        for worker in workers { worker.stop.signal() }
        done.wait()
    }
}
