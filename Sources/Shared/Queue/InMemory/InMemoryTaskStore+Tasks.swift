import Foundation

extension InMemoryTaskStore {
    public func claim(worker: String, limit: Int, leaseSeconds: Double) throws -> [ClaimedTask] {
        locked {
            let now = clock()
            let ready = readyTasks(at: now).prefix(max(0, limit))
            return ready.compactMap { candidate -> ClaimedTask? in
                update(candidate.id) {
                    $0.state = .leased
                    $0.workerId = worker
                    $0.attempts += 1
                    $0.leaseExpiresAt = now.addingTimeInterval(leaseSeconds)
                    $0.startedAt = now
                }
                guard let task = storage.tasks[candidate.id], let job = storage.jobs[task.jobId] else { return nil }
                return ClaimedTask(
                    id: task.id, jobId: task.jobId, kind: task.kind, role: task.role, payload: task.payload,
                    attempt: task.attempts, maxAttempts: task.maxAttempts, jobInput: job.input,
                    jobParams: Self.json(job.params))
            }
        }
    }

    /// Ready tasks in claim order: priority, then place in the fair virtual time, then age.
    func readyTasks(at now: Date) -> [Task] {
        storage.tasks.values
            .filter { ($0.state == .queued || $0.state == .failed) && $0.depsPending == 0 && $0.runAfter <= now }
            .sorted { ($0.priority, -$0.fairSeq, -$0.id) > ($1.priority, -$1.fairSeq, -$1.id) }
    }

    @discardableResult
    public func complete(worker: String, _ finished: [(task: ClaimedTask, output: TaskOutput)]) throws -> Set<Int64> {
        guard !finished.isEmpty else { return [] }
        return try locked {
            let kept = finished.filter { item in
                guard let task = storage.tasks[item.task.id] else { return false }
                return task.state == .leased && task.attempts == item.task.attempt && task.workerId == worker
            }
            // Checked before anything changes: PostgreSQL rolls the whole batch back.
            try writeResults(kept.map { ($0.task, $0.output) })
            let now = clock()
            for item in kept {
                update(item.task.id) {
                    $0.state = .done
                    $0.finishedAt = now
                    $0.leaseExpiresAt = nil
                    $0.error = nil
                }
            }
            let accepted = Set(kept.map(\.task.id))
            afterTerminal(Array(accepted))
            return accepted
        }
    }

    @discardableResult
    public func fail(worker: String, task claimed: ClaimedTask, message: String) throws -> TaskState? {
        locked {
            guard let task = storage.tasks[claimed.id], task.state == .leased, task.attempts == claimed.attempt,
                  task.workerId == worker, let job = storage.jobs[task.jobId] else { return nil }
            let now = clock()
            let errors = task.attempts - task.lostLeases
            let dead = errors >= task.maxAttempts
            let backoff = min(300, job.retryBaseSeconds * pow(2, Double(max(0, errors - 1)))) * (0.5 + random() / 2)
            update(task.id) {
                $0.state = dead ? .dead : .failed
                $0.error = String(message.prefix(4000))
                $0.leaseExpiresAt = nil
                $0.finishedAt = dead ? now : nil
                $0.runAfter = now.addingTimeInterval(backoff)
            }
            if dead { afterTerminal([task.id]) } else { notify(.tasksReady) }
            return dead ? .dead : .failed
        }
    }

    @discardableResult
    public func release(worker: String, ids: [Int64]) throws -> Int {
        locked { releaseLocked(worker: worker, ids: ids) }
    }

    public func renewLeases(worker: String, leaseSeconds: Double, holding held: [Int64]) throws -> LeaseRenewal {
        locked {
            let now = clock()
            if var record = storage.workers[worker] {
                record.heartbeatAt = now
                if record.state == .lost { record.state = .running }
                storage.workers[worker] = record
            }
            let known = Set(held)
            var orphans: [Int64] = []
            var lost = known
            for task in storage.tasks.values where task.workerId == worker && task.state == .leased {
                if known.contains(task.id) {
                    update(task.id) { $0.leaseExpiresAt = now.addingTimeInterval(leaseSeconds) }
                    lost.remove(task.id)
                } else {
                    orphans.append(task.id)
                }
            }
            return LeaseRenewal(orphansReleased: releaseLocked(worker: worker, ids: orphans), lost: lost)
        }
    }

    public func reapExpired() throws -> (requeued: Int, died: Int) {
        locked {
            let now = clock()
            let expired = storage.tasks.values.filter { $0.state == .leased && ($0.leaseExpiresAt ?? now) < now }.map(\.id)
            return requeueLost(expired.sorted()) { "lease expired: worker \($0) stopped renewing it" }
        }
    }

    // MARK: Workers

    public func registerWorker(id: String, host: String, pid: Int, slots: Int) throws {
        locked {
            let now = clock()
            if var worker = storage.workers[id] {
                worker.state = .running
                worker.heartbeatAt = now
                worker.stoppedAt = nil
                storage.workers[id] = worker
            } else {
                storage.workers[id] = Worker(id: id, host: host, pid: pid, slots: slots, heartbeatAt: now)
            }
        }
    }

    public func releasePredecessors(host: String, except worker: String, isAlive: (Int) -> Bool) throws -> Int {
        locked {
            var released = 0
            for (id, record) in storage.workers.sorted(by: { $0.key < $1.key })
            where record.host == host && id != worker && [.running, .stopping, .lost].contains(record.state) && !isAlive(record.pid) {
                storage.workers[id]?.state = .lost
                let held = storage.tasks.values.filter { $0.workerId == id && $0.state == .leased }.map(\.id).sorted()
                let (requeued, died) = requeueLost(held) { "lease lost: worker \($0) died (a worker restarted on its host)" }
                released += requeued + died
            }
            return released
        }
    }

    public func setWorkerState(id: String, state: WorkerState) throws {
        locked {
            guard var worker = storage.workers[id] else { return }
            worker.state = state
            worker.stoppedAt = state == .stopped ? clock() : nil
            storage.workers[id] = worker
        }
    }

    public func markLostWorkers(olderThan seconds: Double) throws -> Int {
        locked {
            let cutoff = clock().addingTimeInterval(-seconds)
            var lost = 0
            for (id, worker) in storage.workers where (worker.state == .running || worker.state == .stopping) && worker.heartbeatAt < cutoff {
                storage.workers[id]?.state = .lost
                lost += 1
            }
            return lost
        }
    }

    // MARK: Waiting and leadership

    /// From now on, this session counts `event` (see `session()`).
    public func subscribe(to event: QueueEvent) throws {
        locked { subscribeLocked(event) }
    }

    public func wait(for event: QueueEvent, timeout: Double) throws -> Bool {
        locked {
            subscribeLocked(event)
            let deadline = Date(timeIntervalSinceNow: max(0, timeout))
            while storage.happened[event, default: 0] == seen[event] {
                if !storage.condition.wait(until: deadline) { break }
            }
            let now = storage.happened[event, default: 0]
            defer { seen[event] = now }
            return now != seen[event]
        }
    }

    private func subscribeLocked(_ event: QueueEvent) {
        if seen[event] == nil { seen[event] = storage.happened[event, default: 0] }
    }

    /// One process: whoever asks leads.
    public func holdLeadership() throws -> Bool { true }

    /// The queue outlives its sessions: nothing to close.
    public func close() {}

    // MARK: Bookkeeping (lock held)

    /// `slipline_requeue_lost`: each leased task of `ids` loses its lease (not an error),
    /// requeued at once, or dead once it lost the job's budget of them.
    func requeueLost(_ ids: [Int64], reason: (String) -> String) -> (requeued: Int, died: Int) {
        let now = clock()
        var requeued = 0
        var dead: [Int64] = []
        for id in ids {
            guard let task = storage.tasks[id], task.state == .leased, let job = storage.jobs[task.jobId] else { continue }
            let lost = task.lostLeases + 1
            let dies = lost >= job.maxLostLeases
            update(id) {
                $0.state = dies ? .dead : .queued
                $0.lostLeases = lost
                $0.error = reason($0.workerId ?? "?") + " (lost lease \(lost) of \(job.maxLostLeases))"
                $0.finishedAt = dies ? now : nil
                $0.runAfter = now
                $0.leaseExpiresAt = nil
            }
            if dies { dead.append(id) } else { requeued += 1 }
        }
        if !dead.isEmpty { afterTerminal(dead) }
        if requeued > 0 { notify(.tasksReady) }
        return (requeued, dead.count)
    }

    func releaseLocked(worker: String, ids: [Int64]) -> Int {
        var n = 0
        for id in ids {
            guard let task = storage.tasks[id], task.workerId == worker, task.state == .leased else { continue }
            update(id) {
                $0.state = .queued
                $0.attempts = max(0, $0.attempts - 1)
                $0.workerId = nil
                $0.leaseExpiresAt = nil
            }
            n += 1
        }
        if n > 0 { notify(.tasksReady) }
        return n
    }

    /// `slipline_after_terminal`: books each ended task once on its dependants and its job,
    /// and ends jobs whose every task has ended.
    func afterTerminal(_ ids: [Int64]) {
        let booked = ids.filter { id in
            guard let task = storage.tasks[id], task.state == .done || task.state == .dead, !task.counted else { return false }
            update(id) { $0.counted = true }
            return true
        }
        guard !booked.isEmpty else { return }
        var released = false
        for id in booked {
            for dependant in storage.dependants[id] ?? [] {
                update(dependant) { $0.depsPending = max(0, $0.depsPending - 1) }
                if storage.tasks[dependant]?.depsPending == 0 { released = true }
            }
        }
        if released { notify(.tasksReady) }
        let now = clock()
        for jobId in Set(booked.compactMap { storage.tasks[$0]?.jobId }).sorted() {
            guard var job = storage.jobs[jobId], job.state == .running else { continue }
            job.nDone += booked.filter { storage.tasks[$0]?.jobId == jobId && storage.tasks[$0]?.state == .done }.count
            job.nDead += booked.filter { storage.tasks[$0]?.jobId == jobId && storage.tasks[$0]?.state == .dead }.count
            if job.nDone + job.nDead >= job.nTasks {
                job.state = job.nDead == 0 ? .done : .failed
                job.finishedAt = now
                notify(.jobChanged)
            }
            storage.jobs[jobId] = job
        }
    }

    /// Job parameters as jsonb text (sorted keys).
    static func json(_ params: [String: String]) -> String {
        (try? PGJSON(params).pgText) ?? "{}"
    }
}
