import Foundation

/// A thread-safe one-way flag with a wait that wakes as soon as it is set:
/// how services are told to shut down without polling.
public final class StopFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var set = false

    public init() {}

    public var isSet: Bool {
        condition.lock()
        defer { condition.unlock() }
        return set
    }

    public func signal() {
        condition.lock()
        set = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps up to `timeout` seconds; returns true if the flag is (or becomes) set.
    @discardableResult
    public func wait(timeout: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !set {
            if !condition.wait(until: deadline) { break }
        }
        return set
    }
}
