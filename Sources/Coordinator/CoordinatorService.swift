import Foundation
import Logging
import Shared

/// Settings of a coordinator.
public struct CoordinatorConfiguration: Sendable {
    /// How often the singleton duties run.
    public var tickSeconds: Double
    /// A worker whose heartbeat is older than this is marked lost.
    public var workerLostSeconds: Double

    public init(tickSeconds: Double = 1, workerLostSeconds: Double = 60) {
        self.tickSeconds = tickSeconds
        self.workerLostSeconds = workerLostSeconds
    }
}

/// The coordinator: plans submitted jobs (any number of coordinators may do this at once)
/// and, while it holds the leader lock, reaps expired leases and marks lost workers.
///
/// Leadership is a session-level advisory lock on its own connection: if the leader dies or
/// loses the network, PostgreSQL drops the lock with the session and another coordinator
/// takes over on its next tick.
public final class CoordinatorService: @unchecked Sendable {
    private let conninfo: String
    private let planning: JobPlanning
    private let configuration: CoordinatorConfiguration
    private let logger: Logger
    public let stop = StopFlag()
    /// Whether this coordinator currently holds the leader lock (for status and tests).
    public private(set) var isLeader = false

    static let leaderLockKey = "slipline.coordinator.leader"

    public init(conninfo: String, planners: [any JobPlanner], configuration: CoordinatorConfiguration = .init(), logger: Logger) {
        self.conninfo = conninfo
        planning = JobPlanning(planners: planners)
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until `stop` is set.
    public func run() {
        let conn = ResilientConnection(conninfo: conninfo, applicationName: "slipline-coordinator", logger: logger, stopFlag: stop)
        conn.onConnect = { [self] c in
            isLeader = false  // a new session holds no lock
            try c.listen(TaskQueue.submittedChannel)
        }
        defer { conn.close() }
        logger.info("coordinator started")
        var lastTick = Date.distantPast
        while !stop.isSet {
            do {
                try conn.run { c in
                    while try planning.planNext(c, logger: logger) != nil, !stop.isSet {}
                    if Date().timeIntervalSince(lastTick) >= configuration.tickSeconds {
                        lastTick = Date()
                        try leaderDuties(c)
                    }
                    _ = try c.waitForNotifications(timeout: min(0.25, configuration.tickSeconds))
                }
            } catch {
                if stop.isSet { break }
                logger.error("coordinator loop failed", metadata: ["error": "\(error)"])
                stop.wait(timeout: 1)
            }
        }
        logger.info("coordinator stopped")
    }

    private func leaderDuties(_ c: PGConnection) throws {
        if !isLeader {
            isLeader = try c.exec("SELECT pg_try_advisory_lock(hashtext($1))", [Self.leaderLockKey]).bool(0, 0) ?? false
            if isLeader { logger.info("coordinator is the leader (reaping leases)") }
        }
        guard isLeader else { return }
        let (requeued, died) = try TaskQueue.reapExpired(c)
        if requeued + died > 0 {
            logger.warning("reaped expired leases", metadata: ["tasks.requeued": "\(requeued)", "tasks.dead": "\(died)"])
        }
        let lost = try TaskQueue.markLostWorkers(c, olderThan: configuration.workerLostSeconds)
        if lost > 0 { logger.warning("workers stopped heartbeating", metadata: ["workers.lost": "\(lost)"]) }
    }
}
