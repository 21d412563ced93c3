import CHDF5
import Foundation

/// Process-wide access to libhdf5.
///
/// Every HDF5 call goes through ``locked(_:)``: serial libhdf5 builds are not thread-safe, and
/// even thread-safe builds keep one error stack per thread, which must be harvested on the
/// thread that failed. Automatic error printing is switched off on each entry (the setting is
/// per thread in thread-safe builds) and the stack is turned into ``FormatError`` text instead.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = H5Eset_auto2(slipline_h5e_default(), nil, nil)
        return try body()
    }

    private final class Collector {
        var entries: [(description: String, minor: String)] = []
    }

    /// The current thread's HDF5 error stack as one line, outermost call first; clears it.
    static func takeErrorStack() -> String {
        let collector = Collector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = H5Ewalk2(slipline_h5e_default(), H5E_WALK_DOWNWARD, { _, error, data in
            guard let error, let data else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue()
            let description = error.pointee.desc.map { String(cString: $0) } ?? ""
            var buffer = [CChar](repeating: 0, count: 256)
            var type = H5E_MINOR
            _ = H5Eget_msg(error.pointee.min_num, &type, &buffer, buffer.count)
            let minor = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            collector.entries.append((description, minor))
            return 0
        }, context)
        _ = H5Eclear2(slipline_h5e_default())
        guard let first = collector.entries.first else { return "" }
        let last = collector.entries.last!
        var parts = [first.description]
        if collector.entries.count > 1, last.description != first.description { parts.append(last.description) }
        if !last.minor.isEmpty, !parts.contains(where: { $0.contains(last.minor) }) { parts.append(last.minor) }
        return parts.filter { !$0.isEmpty }.joined(separator: ": ")
    }

    /// A ``FormatError`` for a failed HDF5 call: `problem` plus whatever libhdf5 said.
    static func error(
        _ kind: FormatError.Kind, _ operation: FormatError.Operation = .read, file: String,
        dataset: String? = nil, problem: String, fix: String? = nil
    ) -> FormatError {
        let stack = takeErrorStack()
        // libhdf5 detects short files itself; surface that as the more specific kind.
        let kind: FormatError.Kind = stack.lowercased().contains("truncated") && operation == .read ? .truncated : kind
        return FormatError(
            kind, operation, file: file, dataset: dataset,
            problem: stack.isEmpty ? problem : "\(problem) (HDF5: \(stack))", fix: fix)
    }

    /// `/a/b` from `a/b`, `/a/b/`, `//a//b`: HDF5 paths here are always absolute.
    static func normalize(_ path: String) -> String {
        "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    /// `H5Tget_member_name` and friends return memory the caller must release with
    /// `H5free_memory`.
    static func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        defer { H5free_memory(pointer) }
        return String(cString: pointer)
    }
}
