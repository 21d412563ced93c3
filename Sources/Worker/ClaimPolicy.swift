/// How many tasks a worker should claim next: a pure value the claim loop consults.
///
/// A worker keeps its slots busy and, for short tasks, a small prefetch so that a round trip
/// to the database buys many tasks (the batching that makes no-op tasks run at thousands per
/// second). For long tasks the prefetch falls to zero, so one worker does not hoard work that
/// idle workers elsewhere could run.
public struct ClaimPolicy: Sendable, Equatable {
    public let slots: Int
    /// How long prefetched work may wait in the worker, seconds.
    public let holdSeconds: Double
    /// The most tasks one claim may take.
    public let maxBatch: Int
    /// Tasks claimed and not yet finished.
    public private(set) var inFlight = 0
    /// Exponential moving average of task run time, seconds (nil until one task ran).
    public private(set) var meanDuration: Double?

    public init(slots: Int, holdSeconds: Double = 0.05, maxBatch: Int = 256) {
        precondition(slots >= 1)
        self.slots = slots
        self.holdSeconds = holdSeconds
        self.maxBatch = maxBatch
    }

    /// Tasks the worker may hold at once given what it knows of task durations.
    public var capacity: Int {
        guard let meanDuration else { return slots }
        let prefetch = Double(slots) * holdSeconds / max(meanDuration, 1e-6)
        return slots + Int(min(Double(maxBatch * 4), prefetch))
    }

    /// How many tasks to ask for now (0: wait until some finish).
    public var wanted: Int { max(0, min(maxBatch, capacity - inFlight)) }

    public mutating func claimed(_ count: Int) {
        inFlight += count
    }

    /// How many of the `queued` tasks (claimed, not started) to give back now: those held beyond
    /// `capacity`. The prefetch is sized by the durations seen so far; when the tasks claimed turn
    /// out longer (fast tasks of one job, then long ones of another), the surplus would otherwise
    /// wait in this worker — one slot working through a hoard while other workers, or a job
    /// retried meanwhile, wait behind it.
    public func surplus(queued: Int) -> Int {
        max(0, min(queued, inFlight - capacity))
    }

    /// `count` unstarted tasks were given back (see `surplus`).
    public mutating func gaveBack(_ count: Int) {
        inFlight = max(0, inFlight - count)
    }

    /// One task finished (or was given back) after `seconds` of running.
    public mutating func finished(after seconds: Double?) {
        inFlight = max(0, inFlight - 1)
        if let seconds {
            meanDuration = meanDuration.map { 0.9 * $0 + 0.1 * seconds } ?? seconds
        }
    }
}
