import Foundation
import Shared
import SliplineTestSupport
import XCTest

/// Job counters in slots (migration 15, issue 14 item 5): completions of one job count on
/// `job_counters` rows instead of the job's own row, and the job still ends exactly once —
/// raced for real: the last completions are held at the job row's lock together (both have
/// counted and neither has committed), then let go, many times.
final class JobCounterSlotsTests: XCTestCase {
    private static func output(_ worker: String, _ task: ClaimedTask) -> TaskOutput {
        TaskOutput(results: [ResultRows(table: "bench_results", columns: ["item", "worker_id", "attempt"],
                                        rows: [[Int(task.id), worker, task.attempt]])])
    }

    private func submit(_ conn: PGConnection, tasks: Int, slots: Int?, maxAttempts: Int = 3) throws -> Int64 {
        var params = ["tasks": "\(tasks)", "sleep_ms": "0", "merge": "false"]
        if let slots { params["counter_slots"] = "\(slots)" }
        return try TaskQueue.submit(conn, kind: "bench", input: "slots", params: params, maxAttempts: maxAttempts)
    }

    /// Sessions of this database waiting for a lock (on the job row or a counter slot).
    private func lockWaiters(_ conn: PGConnection) throws -> Int {
        try conn.exec("SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
            .int(0, 0) ?? 0
    }

    /// The job-end notifications of `job` that arrive within `timeout` seconds.
    private func jobEnds(_ listener: PGConnection, _ job: Int64, timeout: Double = 0.3) throws -> Int {
        var ends = 0
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            ends += try listener.waitForNotifications(timeout: 0.05)
                .filter { $0.channel == TaskQueue.jobsChannel && $0.payload == "\(job)" }.count
        }
        return ends
    }

    /// Races the last `last.count` tasks of a job: each is completed (or failed to dead)
    /// on its own connection while `gate` holds the job row, so all of them have counted and
    /// wait for that row together; then the gate commits and they go.
    private func race(_ dbURL: String, gate: PGConnection, job: Int64, last: [(ClaimedTask, dies: Bool)]) throws {
        let conns = Connections(try last.map { _ in try PGConnection(dbURL) })
        try gate.exec("BEGIN")
        try gate.exec("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", [job])
        let group = DispatchGroup()
        let errors = ErrorBox()
        for (i, (task, dies)) in last.enumerated() {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    if dies {
                        _ = try TaskQueue.fail(conns.all[i], worker: "w\(i)", task: task, message: "raced to death")
                    } else {
                        _ = try TaskQueue.complete(conns.all[i], worker: "w\(i)", [(task, Self.output("w\(i)", task))])
                    }
                } catch { errors.add(error) }
                errors.finished()
            }.start()
        }
        // Every one of them must have finished or be stuck on a lock before the gate opens: the
        // ones that filled a slot (all of them, with distinct slots or on the job row) have
        // counted and wait for the job row together, none committed. The race is real.
        let deadline = Date(timeIntervalSinceNow: 20)
        while try lockWaiters(gate) + errors.finishedCount < last.count || lockWaiters(gate) == 0 {
            guard Date() < deadline else { try gate.exec("ROLLBACK"); throw TestFailure("the racers never all waited") }
            usleep(2_000)
        }
        try gate.exec("COMMIT")
        group.wait()
        XCTAssertEqual(errors.all.map { "\($0)" }, [])
    }

    /// Claims every task of the only queued job, worker `w<i>` holding the i-th of the last ones.
    private func claimAll(_ conn: PGConnection, tasks: Int) throws -> [ClaimedTask] {
        var claimed: [ClaimedTask] = []
        for i in 0..<tasks { claimed += try TaskQueue.claim(conn, worker: "w\(i)", limit: 1, leaseSeconds: 60) }
        XCTAssertEqual(claimed.count, tasks)
        return claimed
    }

    func testTheLastCompletionsRacingEndTheJobExactlyOnce() throws {
        let url = try TestCluster.freshDatabase("slotRace")
        let conn = try PGConnection(url)
        let gate = try PGConnection(url)
        let listener = try PGConnection(url)
        try listener.listen(TaskQueue.jobsChannel)
        // (tasks, slots, how many race at the end, how many of those die): the last two in two
        // slots, in one slot (the slot row's lock orders them), the job row path (slots 0), three
        // across 64 slots, and a dead task racing a completion (the job fails, once).
        let cases: [(tasks: Int, slots: Int?, racers: Int, dead: Int)] = [
            (2, nil, 2, 0), (2, 1, 2, 0), (2, 0, 2, 0), (9, nil, 3, 0), (7, 3, 2, 0), (3, nil, 2, 1), (4, 2, 2, 1),
        ]
        var rounds = 0
        for round in 0..<6 {
            for c in cases {
                let job = try submit(conn, tasks: c.tasks, slots: c.slots, maxAttempts: 1)
                try planAll(conn)
                let expectedSlots = min(c.slots ?? TaskQueue.defaultCounterSlots, c.tasks)
                XCTAssertEqual(try conn.exec("SELECT counter_slots FROM jobs WHERE id = $1", [job]).int(0, 0), expectedSlots)
                let tasks = try claimAll(conn, tasks: c.tasks)
                // All but the racers finish first, one after another.
                for (i, task) in tasks.dropLast(c.racers).enumerated() {
                    XCTAssertEqual(try TaskQueue.complete(conn, worker: "w\(i)", [(task, Self.output("w\(i)", task))]), [task.id])
                }
                XCTAssertEqual(try TaskQueue.job(conn, id: job)?.state, .running)
                let racers = tasks.suffix(c.racers).enumerated().map { ($0.element, dies: $0.offset < c.dead) }
                // Workers are named by position in `tasks`; the racers' connections use w0…, so rename.
                try conn.exec("UPDATE tasks SET worker_id = 'w' || (array_position($2::bigint[], id) - 1) WHERE job_id = $1 AND id = ANY ($2::bigint[])",
                              [job, PGArray(racers.map { $0.0.id })])
                try race(url, gate: gate, job: job, last: racers)
                let record = try XCTUnwrap(TaskQueue.job(conn, id: job))
                XCTAssertEqual(record.state, c.dead == 0 ? .done : .failed, "round \(round), case \(c)")
                XCTAssertEqual(record.nDone, c.tasks - c.dead, "round \(round), case \(c)")
                XCTAssertEqual(record.nDead, c.dead, "round \(round), case \(c)")
                XCTAssertEqual(try jobEnds(listener, job), 1, "the job ended exactly once (round \(round), case \(c))")
                let raw = try conn.exec("SELECT n_done, n_dead, finished_at IS NOT NULL FROM jobs WHERE id = $1", [job]).allRows()
                XCTAssertEqual(raw, [["\(c.tasks - c.dead)", "\(c.dead)", "t"]], "folded into the job row at its end")
                XCTAssertEqual(try conn.exec("SELECT count(*)::int FROM job_counters WHERE job_id = $1", [job]).int(0, 0), 0)
                rounds += 1
            }
        }
        XCTAssertEqual(rounds, 42)
    }

    func testManyWorkersFinishingAtOnceEndTheJobOnce() throws {
        // No gate: 8 connections complete the last 8 tasks of a job at the same instant, 12 times.
        let url = try TestCluster.freshDatabase("slotStampede")
        let conn = try PGConnection(url)
        let listener = try PGConnection(url)
        try listener.listen(TaskQueue.jobsChannel)
        let workers = Connections(try (0..<8).map { _ in try PGConnection(url) })
        for round in 0..<12 {
            let job = try submit(conn, tasks: 40, slots: round % 2 == 0 ? nil : 4)
            try planAll(conn)
            let tasks = try claimAll(conn, tasks: 40)
            for (i, task) in tasks.dropLast(8).enumerated() {
                _ = try TaskQueue.complete(conn, worker: "w\(i)", [(task, Self.output("w\(i)", task))])
            }
            let last = Array(tasks.suffix(8))
            try conn.exec("UPDATE tasks SET worker_id = 'w' || (array_position($1::bigint[], id) - 1) WHERE id = ANY ($1::bigint[])",
                          [PGArray(last.map(\.id))])
            let start = DispatchSemaphore(value: 0)
            let group = DispatchGroup()
            let errors = ErrorBox()
            for i in 0..<8 {
                group.enter()
                Thread {
                    defer { group.leave() }
                    start.wait()
                    do { _ = try TaskQueue.complete(workers.all[i], worker: "w\(i)", [(last[i], Self.output("w\(i)", last[i]))]) } catch { errors.add(error) }
                }.start()
            }
            for _ in 0..<8 { start.signal() }
            group.wait()
            XCTAssertEqual(errors.all.map { "\($0)" }, [])
            let record = try XCTUnwrap(TaskQueue.job(conn, id: job))
            XCTAssertEqual(record.state, .done)
            XCTAssertEqual(record.nDone, 40)
            XCTAssertEqual(try jobEnds(listener, job), 1, "round \(round)")
        }
    }

    func testProgressIsCountedInSlotsWhileRunningAndFoldedAtTheEnd() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("slotProgress"))
        let job = try submit(conn, tasks: 100, slots: 8)
        try planAll(conn)
        XCTAssertEqual(try conn.exec("SELECT sum(n_tasks)::int, count(*)::int FROM job_counters WHERE job_id = $1", [job]).allRows(), [["100", "8"]])
        XCTAssertEqual(try conn.exec("SELECT slots_open FROM jobs WHERE id = $1", [job]).int(0, 0), 8)
        let tasks = try TaskQueue.claim(conn, worker: "w", limit: 100, leaseSeconds: 60)
        XCTAssertEqual(tasks.count, 100)
        // A batch of 30 (several slots in one booking), then the rest one by one.
        XCTAssertEqual(try TaskQueue.complete(conn, worker: "w", tasks.prefix(30).map { ($0, Self.output("w", $0)) }).count, 30)
        XCTAssertEqual(try TaskQueue.job(conn, id: job)?.nDone, 30, "JobRecord adds the slots")
        XCTAssertEqual(try conn.exec("SELECT n_done FROM jobs_overview WHERE job_id = $1", [job]).int(0, 0), 30)
        XCTAssertEqual(try conn.exec("SELECT n_done FROM jobs WHERE id = $1", [job]).int(0, 0), 0, "the job row is not touched per task")
        for task in tasks.dropFirst(30) { _ = try TaskQueue.complete(conn, worker: "w", [(task, Self.output("w", task))]) }
        let record = try XCTUnwrap(TaskQueue.job(conn, id: job))
        XCTAssertEqual(record.state, .done)
        XCTAssertEqual(record.nDone, 100)
        XCTAssertEqual(try conn.exec("SELECT n_done, slots_open FROM jobs WHERE id = $1", [job]).allRows(), [["100", "0"]])
        XCTAssertEqual(try conn.exec("SELECT n_done FROM jobs_overview WHERE job_id = $1", [job]).int(0, 0), 100)
        XCTAssertEqual(try conn.exec("SELECT count(*)::int FROM job_counters").int(0, 0), 0)
    }

    func testARetriedJobCountsOnItsRowAndACancelledOneKeepsItsProgress() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("slotRetry"))
        let job = try submit(conn, tasks: 6, slots: 3, maxAttempts: 1)
        try planAll(conn)
        let tasks = try TaskQueue.claim(conn, worker: "w", limit: 6, leaseSeconds: 60)
        XCTAssertEqual(try TaskQueue.fail(conn, worker: "w", task: tasks[0], message: "boom"), .dead)
        for task in tasks.dropFirst() { _ = try TaskQueue.complete(conn, worker: "w", [(task, Self.output("w", task))]) }
        var record = try XCTUnwrap(TaskQueue.job(conn, id: job))
        XCTAssertEqual([record.state.rawValue, "\(record.nDone)", "\(record.nDead)"], ["failed", "5", "1"])
        XCTAssertEqual(try TaskQueue.retry(conn, job: job), 1)
        XCTAssertEqual(try conn.exec("SELECT counter_slots, n_done, n_dead FROM jobs WHERE id = $1", [job]).allRows(), [["0", "5", "0"]])
        let again = try TaskQueue.claim(conn, worker: "w", limit: 1, leaseSeconds: 60)
        XCTAssertEqual(try TaskQueue.complete(conn, worker: "w", again.map { ($0, Self.output("w", $0)) }).count, 1)
        record = try XCTUnwrap(TaskQueue.job(conn, id: job))
        XCTAssertEqual([record.state.rawValue, "\(record.nDone)", "\(record.nDead)"], ["done", "6", "0"])

        // Cancelled half-way: its progress stays readable from the slots.
        let other = try submit(conn, tasks: 10, slots: 4)
        try planAll(conn)
        let some = try TaskQueue.claim(conn, worker: "v", limit: 4, leaseSeconds: 60)
        _ = try TaskQueue.complete(conn, worker: "v", some.map { ($0, Self.output("v", $0)) })
        XCTAssertTrue(try TaskQueue.cancel(conn, job: other))
        record = try XCTUnwrap(TaskQueue.job(conn, id: other))
        XCTAssertEqual([record.state.rawValue, "\(record.nDone)"], ["cancelled", "4"])
        XCTAssertEqual(try conn.exec("SELECT count(*)::int FROM job_counters WHERE job_id = $1", [other]).int(0, 0), 4)

        // Pruned: the slots are folded into the job row and removed; the counts read the same.
        while try TaskQueue.prune(conn, olderThan: 0, batch: 1000) > 0 {}
        XCTAssertEqual(try conn.exec("SELECT count(*)::int FROM job_counters").int(0, 0), 0)
        record = try XCTUnwrap(TaskQueue.job(conn, id: other))
        XCTAssertEqual([record.state.rawValue, "\(record.nDone)"], ["cancelled", "4"])
        XCTAssertEqual(try conn.exec("SELECT n_done FROM jobs WHERE id = $1", [other]).int(0, 0), 4)
        XCTAssertEqual(try conn.exec("SELECT n_done FROM jobs_overview WHERE job_id = $1", [other]).int(0, 0), 4)
        XCTAssertNotNil(try conn.exec("SELECT pruned_at FROM jobs WHERE id = $1", [other]).string(0, 0))
    }

    func testABadCounterSlotsParameterFailsTheJobAtPlanning() throws {
        let conn = try PGConnection(try TestCluster.freshDatabase("slotParam"))
        let job = try TaskQueue.submit(conn, kind: "bench", input: "slots", params: ["tasks": "3", "counter_slots": "many"])
        try planAll(conn)
        let record = try XCTUnwrap(TaskQueue.job(conn, id: job))
        XCTAssertEqual(record.state, .failed)
        XCTAssertTrue(record.error?.contains("counter_slots") ?? false, record.error ?? "")
    }
}

/// Errors thrown on other threads, for the test's thread to assert on.
private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    private var done = 0
    func add(_ error: Error) { lock.lock(); errors.append(error); lock.unlock() }
    func finished() { lock.lock(); done += 1; lock.unlock() }
    var finishedCount: Int { lock.lock(); defer { lock.unlock() }; return done }
    var all: [Error] { lock.lock(); defer { lock.unlock() }; return errors }
}

/// Connections handed to racing threads, one each (never shared between two threads).
private final class Connections: @unchecked Sendable {
    let all: [PGConnection]
    init(_ all: [PGConnection]) { self.all = all }
}
