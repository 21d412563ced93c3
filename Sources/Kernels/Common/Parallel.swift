import Dispatch
import Foundation

/// A value shared across threads under a contract the compiler cannot check — in this
/// package always "each thread writes a disjoint part of one buffer" (see `Parallel`). The one
/// such wrapper: keep the unchecked promise in one place.
public struct UnsafeSendable<T>: @unchecked Sendable {
    public var value: T
    public init(_ value: T) { self.value = value }
}

/// Data-parallel loops over indices, the only place kernels and merges start threads.
public enum Parallel {
    /// Threads to use when the caller does not say: the active cores, at most `cap`.
    public static func defaultThreads(cap: Int = 8) -> Int {
        max(1, min(cap, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Runs `body(i)` for every `i` in `0..<count` on up to `threads` threads; thread `t` takes
    /// `t, t + threads, …` (strided, so uneven items spread evenly). Returns when all are done.
    public static func forEach(_ count: Int, threads: Int = defaultThreads(), _ body: (Int) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, min(threads, count))
        if workers == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UnsafeSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { t in
                for i in stride(from: t, to: count, by: workers) { shared.value(i) }
            }
        }
    }

    /// `(0..<count).map(transform)` on up to `threads` threads; the first error thrown (by
    /// index order among those seen) is rethrown after every thread stopped.
    public static func map<T>(_ count: Int, threads: Int = defaultThreads(), _ transform: (Int) throws -> T) throws -> [T] {
        var results = [T?](repeating: nil, count: count)
        var errors = [Error?](repeating: nil, count: max(1, min(threads, count)))
        let workers = errors.count
        results.withUnsafeMutableBufferPointer { out in
            errors.withUnsafeMutableBufferPointer { failed in
                let buffers = UnsafeSendable((out, failed))
                withoutActuallyEscaping(transform) { transform in
                    let shared = UnsafeSendable(transform)
                    forEach(workers, threads: workers) { t in
                        for i in stride(from: t, to: count, by: workers) {
                            do {
                                buffers.value.0[i] = try shared.value(i)
                            } catch {
                                buffers.value.1[t] = error
                                return
                            }
                        }
                    }
                }
            }
        }
        if let error = errors.compactMap({ $0 }).first { throw error }
        return results.map { $0! }
    }
}
