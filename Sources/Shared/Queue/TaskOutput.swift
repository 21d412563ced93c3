/// What running a task produced: rows for results tables (files it wrote are already in place,
/// written atomically under names fixed by the task, so a re-run overwrites them).
public struct TaskOutput: Sendable {
    public var results: [ResultRows]
    /// Results tables this task writes to even when it has no rows for them now, so that a
    /// re-run that finds less still removes what an earlier attempt wrote.
    public var tables: [String]
    /// Results tables whose planner statistics are refreshed (`ANALYZE`) when recording this
    /// task ends its job (`TaskQueue.statisticsStatement`): a merge names every table its kind writes.
    public var statisticsTables: [String]

    public init(results: [ResultRows] = [], alsoClearing tables: [String] = [], refreshingWhenJobEnds statisticsTables: [String] = []) {
        self.results = results
        self.tables = Array(Set(tables + results.map(\.table))).sorted()
        self.statisticsTables = Array(Set(statisticsTables)).sorted()
    }

    public static let none = TaskOutput()
}
