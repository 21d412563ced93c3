/// How a job's tasks spent their attempts, apart: errors (counted against `--max-attempts`)
/// and lost leases (a worker died or was preempted; counted against the job's own lost-lease
/// budget). `ctl status JOB` shows both.
public struct AttemptSummary: Sendable, Equatable {
    /// Attempts that ended in an error (`TaskStore.fail`).
    public let errors: Int
    /// Leases lost with their worker (reaped at expiry or released by a successor on its host).
    public let lostLeases: Int
    /// The most leases one task of the job lost.
    public let maxLostLeasesOfATask: Int
    /// How many lost leases a task may take before it is dead (`jobs.max_lost_leases`).
    public let lostLeaseBudget: Int

    public init(errors: Int, lostLeases: Int, maxLostLeasesOfATask: Int, lostLeaseBudget: Int) {
        self.errors = errors
        self.lostLeases = lostLeases
        self.maxLostLeasesOfATask = maxLostLeasesOfATask
        self.lostLeaseBudget = lostLeaseBudget
    }
}
