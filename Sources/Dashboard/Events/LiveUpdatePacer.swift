/// When the event hub reads the job list and pushes it to the browsers: a pure decision over
/// times (seconds on any monotonic clock), tested without a database.
///
/// - A notification is pushed soon (after `gather`, so that a burst is read once), but never
///   sooner than `minimumGap` after the previous push: at most 1/`minimumGap` pushes per second
///   to every browser, whatever the queue's rate.
/// - The queue announces a job's progress at most once per 250 ms (migration 14): completions
///   in that window are not announced on their own, so one more read follows `trailing`
///   seconds after the last notification and shows them.
/// - `fallback`: while someone watches, a read at least this often, for notifications missed
///   while the listening connection was down; nil: never (the tests prove the push path alone).
struct LiveUpdatePacer: Sendable, Equatable {
    var gather = 0.05
    var minimumGap = 0.25
    var trailing = 0.4
    var fallback: Double?

    /// When the last push was read (nil: never yet).
    private(set) var lastPublish: Double?
    /// The first notification (or start) not yet covered by a push.
    private var pendingSince: Double?
    /// When the trailing read is due (nil: none owed).
    private var trailingDue: Double?

    init(fallback: Double?, startingAt now: Double) {
        self.fallback = fallback
        pendingSince = now
    }

    /// A notification arrived at `now`.
    mutating func notified(at now: Double) {
        if pendingSince == nil { pendingSince = now }
        trailingDue = now + trailing
    }

    /// A browser opened a stream at `now`: it gets the last list at once and a fresh one soon
    /// (the last may be old: nothing is read while nobody watches).
    mutating func requested(at now: Double) {
        if pendingSince == nil { pendingSince = now }
    }

    /// The job list was read (and pushed) at `now`.
    mutating func published(at now: Double) {
        lastPublish = now
        pendingSince = nil
        if let due = trailingDue, now >= due { trailingDue = nil }
    }

    /// When the next read is due; nil if none is (or nobody watches: nothing is read for no one,
    /// and what is pending is read as soon as someone does).
    func nextPublish(watched: Bool) -> Double? {
        guard watched else { return nil }
        let earliest = lastPublish.map { $0 + minimumGap } ?? -Double.infinity
        var due: [Double] = []
        if let pending = pendingSince { due.append(max(pending + gather, earliest)) }
        if let trailingDue { due.append(max(trailingDue, earliest)) }
        if let fallback, fallback > 0 { due.append(lastPublish.map { $0 + fallback } ?? -Double.infinity) }
        return due.min()
    }

    /// Whether a read is due at `now`.
    func isDue(at now: Double, watched: Bool) -> Bool {
        nextPublish(watched: watched).map { $0 <= now } ?? false
    }
}
