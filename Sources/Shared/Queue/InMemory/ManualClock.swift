import Foundation

/// A clock that moves only when told to: what tests give `InMemoryTaskStore` to expire leases
/// and backoffs without sleeping.
public final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = start
    }

    public var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    public func advance(by seconds: Double) {
        lock.lock()
        current += seconds
        lock.unlock()
    }
}
