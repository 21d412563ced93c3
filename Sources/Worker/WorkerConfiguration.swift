/// Settings of one worker process.
public struct WorkerConfiguration: Sendable {
    /// Tasks run at once (threads).
    public var slots: Int
    /// Lease length; the heartbeat renews leases every third of it.
    public var leaseSeconds: Double
    /// How long an idle worker sleeps between claims when no notification arrives.
    public var pollSeconds: Double
    /// On shutdown, how long running tasks may take to finish before their leases are released.
    public var shutdownGraceSeconds: Double
    /// Stop taking new tasks after this many seconds (for batch-system wall-time limits).
    public var lifetimeSeconds: Double?
    /// Exit once no task has been claimable for this long (for `ctl run`-style drains); nil: never.
    public var idleExitSeconds: Double?
    public var maxBatch: Int

    public init(
        slots: Int, leaseSeconds: Double = 30, pollSeconds: Double = 2, shutdownGraceSeconds: Double = 20,
        lifetimeSeconds: Double? = nil, idleExitSeconds: Double? = nil, maxBatch: Int = 256
    ) {
        self.slots = slots
        self.leaseSeconds = leaseSeconds
        self.pollSeconds = pollSeconds
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.lifetimeSeconds = lifetimeSeconds
        self.idleExitSeconds = idleExitSeconds
        self.maxBatch = maxBatch
    }
}
