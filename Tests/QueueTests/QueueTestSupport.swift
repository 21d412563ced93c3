import Coordinator
import Kinds
import Foundation
import Logging
import Shared
import SliplineTestSupport
import Worker

/// Coordinators and workers on threads of the test process, against a real database.
final class InProcessCluster: @unchecked Sendable {
    let coordinator: CoordinatorService
    let workers: [WorkerService]
    private let group = DispatchGroup()

    init(conninfo: String, workers count: Int, slots: Int = 1, leaseSeconds: Double = 30, tickSeconds: Double = 0.2) {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        coordinator = CoordinatorService(
            conninfo: conninfo, planners: [BenchKind().planner],
            configuration: CoordinatorConfiguration(tickSeconds: tickSeconds, workerLostSeconds: 5), logger: logger)
        workers = (0..<count).map { _ in
            WorkerService(
                conninfo: conninfo,
                configuration: WorkerConfiguration(slots: slots, leaseSeconds: leaseSeconds, pollSeconds: 0.5, shutdownGraceSeconds: 5),
                runners: [BenchKind().runner], logger: logger)
        }
    }

    func start(coordinator runCoordinator: Bool = true) {
        if runCoordinator {
            group.enter()
            Thread { self.coordinator.run(); self.group.leave() }.start()
        }
        for worker in workers {
            group.enter()
            Thread { try? worker.run(); self.group.leave() }.start()
        }
    }

    func stop() {
        coordinator.stop.signal()
        workers.forEach { $0.stop.signal() }
        group.wait()
    }
}

/// Waits for a job to reach a final state.
func waitForJob(_ conn: PGConnection, _ job: Int64, timeout: Double = 60) throws -> JobRecord {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        if let record = try TaskQueue.job(conn, id: job), record.state.isFinal { return record }
        usleep(50_000)
    }
    let record = try TaskQueue.job(conn, id: job)
    throw TestFailure("job \(job) did not finish within \(timeout) s (state \(record?.state.rawValue ?? "?"), \(record?.nDone ?? 0)/\(record?.nTasks ?? 0) done)")
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Submits a bench job and returns its id.
func submitBench(_ conn: PGConnection, tasks: Int, sleepMs: Double = 0, fail: String = "never", merge: Bool = true,
                 maxAttempts: Int = 3, retryBase: Double = 0.05) throws -> Int64 {
    try TaskQueue.submit(
        conn, kind: "bench", input: "test",
        params: ["tasks": "\(tasks)", "sleep_ms": "\(sleepMs)", "fail": fail, "merge": "\(merge)"],
        maxAttempts: maxAttempts, retryBaseSeconds: retryBase)
}

/// Plans all queued jobs right here (tests that drive the queue by hand).
func planAll(_ conn: PGConnection) throws {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let planning = JobPlanning(planners: [BenchKind().planner])
    while try planning.planNext(conn, logger: logger) != nil {}
}
