import Foundation

/// Whether a process of this host still exists, for telling a dead predecessor worker from a
/// live neighbour. A pid reused by an unrelated process reads as alive: then the lease is
/// simply left to expire.
enum ProcessLiveness {
    @Sendable static func isAlive(_ pid: Int) -> Bool {
        guard pid > 0, pid <= Int(Int32.max) else { return false }
        if kill(pid_t(pid), 0) == 0 { return true }
        // EPERM: it exists but belongs to another user.
        return errno == EPERM
    }
}
