import Foundation
import Logging
import Shared

/// Settings of a coordinator.
public struct CoordinatorConfiguration: Sendable {
    /// How often the singleton duties run.
    public var tickSeconds: Double
    /// A worker whose heartbeat is older than this is marked lost.
    public var workerLostSeconds: Double
    /// Retention: the leader prunes the tasks of jobs that ended longer ago than this (nil:
    /// never; `ctl db prune` does it by hand). Results stay.
    public var retentionSeconds: Double?

    public init(tickSeconds: Double = 1, workerLostSeconds: Double = 60, retentionSeconds: Double? = nil) {
        self.tickSeconds = tickSeconds
        self.workerLostSeconds = workerLostSeconds
        self.retentionSeconds = retentionSeconds
    }
}

/// The coordinator: plans submitted jobs (any number of coordinators may do this at once)
/// and, while it holds the leader lock, reaps expired leases and marks lost workers.
///
/// Leadership is a session-level advisory lock on its own connection: if the leader dies or
/// loses the network, PostgreSQL drops the lock with the session and another coordinator
/// takes over on its next tick.
public final class CoordinatorService: @unchecked Sendable {
    private let stores: TaskStoreSessions
    private let planning: JobPlanning
    private let configuration: CoordinatorConfiguration
    private let logger: Logger
    public let stop = StopFlag()
    /// Whether this coordinator currently holds the leader lock (for status and tests).
    public private(set) var isLeader = false

    /// A coordinator of the queue in the database at `conninfo`.
    public convenience init(conninfo: String, planners: [any JobPlanner], configuration: CoordinatorConfiguration = .init(),
                            logger: Logger) {
        self.init(stores: .postgres(conninfo: conninfo), planners: planners, configuration: configuration, logger: logger)
    }

    /// A coordinator of the queue in `stores` (e.g. `.inMemory(InMemoryTaskStore())`).
    public init(stores: TaskStoreSessions, planners: [any JobPlanner], configuration: CoordinatorConfiguration = .init(),
                logger: Logger) {
        self.stores = stores
        planning = JobPlanning(planners: planners)
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until `stop` is set.
    public func run() {
        let store = stores.session("slipline-coordinator", logger: logger, stop: stop)
        defer { store.close() }
        logger.info("coordinator started")
        var lastTick = Date.distantPast
        while !stop.isSet {
            do {
                try store.subscribe(to: .jobSubmitted)
                while try planning.planNext(store, logger: logger) != nil, !stop.isSet {}
                if Date().timeIntervalSince(lastTick) >= configuration.tickSeconds {
                    lastTick = Date()
                    try leaderDuties(store)
                }
                _ = try store.wait(for: .jobSubmitted, timeout: min(0.25, configuration.tickSeconds))
            } catch {
                if stop.isSet { break }
                logger.error("coordinator loop failed", metadata: ["error": "\(error)"])
                stop.wait(timeout: 1)
            }
        }
        logger.info("coordinator stopped")
    }

    private func leaderDuties(_ store: any TaskStore) throws {
        let leading = try store.holdLeadership()
        if leading && !isLeader { logger.info("coordinator is the leader (reaping leases)") }
        isLeader = leading
        guard leading else { return }
        let (requeued, died) = try store.reapExpired()
        if requeued + died > 0 {
            logger.warning("reaped expired leases", metadata: ["tasks.requeued": "\(requeued)", "tasks.dead": "\(died)"])
        }
        let lost = try store.markLostWorkers(olderThan: configuration.workerLostSeconds)
        if lost > 0 { logger.warning("workers stopped heartbeating", metadata: ["workers.lost": "\(lost)"]) }
        if let retention = configuration.retentionSeconds {
            // One small batch per tick: history goes away steadily without long transactions.
            let pruned = try store.prune(olderThan: retention, batch: 5_000)
            if pruned > 0 { logger.info("pruned tasks of old jobs", metadata: ["tasks.pruned": "\(pruned)"]) }
        }
    }
}
