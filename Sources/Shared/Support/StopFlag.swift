import Foundation

/// A thread-safe one-way flag with a wait that wakes as soon as it is set:
/// how services are told to shut down without polling.
public final class StopFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var set = false
    /// Flags set when this one is (see `child()`).
    private var children: [ObjectIdentifier: StopFlag] = [:]

    public init() {}

    public var isSet: Bool {
        condition.lock()
        defer { condition.unlock() }
        return set
    }

    public func signal() {
        condition.lock()
        set = true
        let kids = Array(children.values)
        children = [:]
        condition.broadcast()
        condition.unlock()
        for kid in kids { kid.signal() }
    }

    /// A flag that is set when this one is (at once if it already is), and may also be set on
    /// its own: a task's "give up" under its worker's stop, set by either. `detach` it when done,
    /// so that a long-lived parent does not keep every child.
    public func child() -> StopFlag {
        let kid = StopFlag()
        condition.lock()
        let already = set
        if !already { children[ObjectIdentifier(kid)] = kid }
        condition.unlock()
        if already { kid.signal() }
        return kid
    }

    /// Stops passing this flag's signal on to `kid`.
    public func detach(_ kid: StopFlag) {
        condition.lock()
        children.removeValue(forKey: ObjectIdentifier(kid))
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
