import Foundation
import Shared

/// The worker's local hand-off between the claim loop and its slots.
final class TaskBuffer: @unchecked Sendable {
    private let condition = NSCondition()
    private var tasks: [ClaimedTask] = []
    private var head = 0
    private var closed = false

    func push(_ new: [ClaimedTask]) {
        condition.lock()
        tasks.append(contentsOf: new)
        condition.broadcast()
        condition.unlock()
    }

    /// The next task, or nil once closed and empty.
    func pop() -> ClaimedTask? {
        condition.lock()
        defer { condition.unlock() }
        while head == tasks.count && !closed { condition.wait() }
        guard head < tasks.count else { return nil }
        let task = tasks[head]
        head += 1
        if head > 1024 && head * 2 > tasks.count {
            tasks.removeFirst(head)
            head = 0
        }
        return task
    }

    /// Tasks waiting to start.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return tasks.count - head
    }

    /// Removes up to `n` of the tasks waiting to start, the last claimed first (the claim
    /// order is the queue's priority order, so those are the least urgent).
    func takeLast(_ n: Int) -> [ClaimedTask] {
        condition.lock()
        defer { condition.unlock() }
        let k = max(0, min(n, tasks.count - head))
        let taken = Array(tasks[(tasks.count - k)...])
        tasks.removeLast(k)
        return taken
    }

    /// Removes the tasks of `ids` that are waiting to start and returns them (their leases were
    /// lost: a cancelled job, a reaped lease), keeping the others in order.
    func remove(_ ids: Set<Int64>) -> [ClaimedTask] {
        condition.lock()
        defer { condition.unlock() }
        guard !ids.isEmpty, head < tasks.count else { return [] }
        var kept: [ClaimedTask] = []
        var removed: [ClaimedTask] = []
        kept.reserveCapacity(tasks.count - head)
        for task in tasks[head...] {
            if ids.contains(task.id) { removed.append(task) } else { kept.append(task) }
        }
        if !removed.isEmpty {
            tasks = kept
            head = 0
        }
        return removed
    }

    /// Stops handing out tasks and returns those not yet started.
    func close() -> [ClaimedTask] {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        let left = Array(tasks[head...])
        tasks = []
        head = 0
        condition.broadcast()
        return left
    }
}
