import Foundation

extension InMemoryTaskStore {
    /// The planner runs outside the lock (a slow planner holds up nobody); the job is marked as
    /// being planned meanwhile, as PostgreSQL's row lock does, so no one else plans it and
    /// cancelling it waits.
    public func planNext(_ planner: (QueuedJob) throws -> TaskPlan) throws -> PlanningOutcome? {
        let taken: QueuedJob? = locked {
            guard var job = storage.jobs.values.filter({ $0.state == .queued && !storage.planning.contains($0.id) })
                .min(by: { ($0.priority, -$0.id) > ($1.priority, -$1.id) }) else { return nil }
            if job.params["output_dir"] == nil {
                job.params["output_dir"] = TaskQueue.defaultOutputDirectory(
                    database: databaseName, job: job.id, submitted: Self.stamp(job.submittedAt))
                storage.jobs[job.id] = job
            }
            storage.planning.insert(job.id)
            return QueuedJob(id: job.id, kind: job.kind, input: job.input, params: job.params,
                             priority: job.priority, maxAttempts: job.maxAttempts)
        }
        guard let queued = taken else { return nil }
        let plan = Result { try planner(queued).validated() }
        return locked {
            storage.planning.remove(queued.id)
            storage.condition.broadcast()
            let now = clock()
            guard var job = storage.jobs[queued.id] else { return nil }
            switch plan {
            case let .failure(error):
                job.state = .failed
                job.error = "\(error)"
                job.startedAt = now
                job.finishedAt = now
                storage.jobs[job.id] = job
                notify(.jobChanged)
                return .failed(job: job.id, error: "\(error)")
            case let .success(plan):
                insert(plan, into: &job, at: now)
                storage.jobs[job.id] = job
                return .planned(job: job.id, tasks: plan.taskCount, notes: plan.notes)
            }
        }
    }

    /// `TaskQueue.insert`: the shards, the merge waiting for all of them, the job running (or
    /// done at once if the plan is empty). Lock held.
    private func insert(_ plan: TaskPlan, into job: inout Job, at now: Date) {
        let total = plan.taskCount
        job.state = total == 0 ? .done : .running
        job.nTasks = total
        job.startedAt = now
        job.finishedAt = total == 0 ? now : nil
        job.error = plan.notes.isEmpty ? nil : plan.notes.joined(separator: "\n")
        guard total > 0 else {
            notify(.jobChanged)
            return
        }
        // Fairness: from the head of the ready queue at this priority (see migration 8).
        let head = readyTasks(at: now).first { $0.priority == job.priority }?.fairSeq ?? 0
        var place = head
        func add(_ spec: TaskSpec, role: TaskRole, dependsOn: [Int64]) -> Int64 {
            let id = storage.nextTaskId
            storage.nextTaskId += 1
            storage.tasks[id] = Task(id: id, jobId: job.id, kind: spec.kind, role: role, payload: spec.payload, priority: job.priority,
                             maxAttempts: job.maxAttempts, depsPending: dependsOn.count, runAfter: now, dependsOn: dependsOn,
                             fairSeq: place)
            place += 1
            for dependency in dependsOn { storage.dependants[dependency, default: []].append(id) }
            return id
        }
        let shardIds = plan.shards.map { add($0, role: .shard, dependsOn: []) }
        let partialIds = plan.partials.map { add($0.task, role: .partial, dependsOn: Array(shardIds[$0.shards])) }
        let uncovered = zip(shardIds, plan.partialOfShard).compactMap { $1 == nil ? $0 : nil }
        if let merge = plan.merge { _ = add(merge, role: .merge, dependsOn: partialIds + uncovered) }
        notify(.tasksReady)
    }

    /// `to_char(submitted_at AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS')`.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }
}

