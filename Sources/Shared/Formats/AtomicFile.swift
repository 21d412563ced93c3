import Foundation

/// Writes a file so that readers see either the old or the complete new content: the body
/// writes a temporary file next to the target, which is then renamed over it. Parent
/// directories are created. A re-run of a task writes the same path and replaces the file.
public enum AtomicFile {
    public static func write(_ path: String, _ body: (_ temporaryPath: String) throws -> Void) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let name = (path as NSString).lastPathComponent
        let temporary = (dir as NSString).appendingPathComponent(".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try body(temporary)
            guard rename(temporary, path) == 0 else {
                throw FormatError(.writeFailed, .write, file: path, problem: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Whether `name` is one of the temporary names ``write(_:_:)`` uses (`.NAME.tmp-PID-RANDOM`).
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".tmp-")
    }

    /// Removes temporary files that writers killed mid-write left behind under `directory`
    /// (recursively), when unmodified for at least `minimumAge` seconds, and returns their paths.
    ///
    /// A live writer keeps modifying its temporary file, so an old one belongs to a dead
    /// process; the age guard keeps a slow writer on another node safe. Merge steps call this
    /// once every shard has finished. Unreadable directories are skipped, not reported: this
    /// is housekeeping and must never fail a task.
    @discardableResult
    public static func removeStaleTemporaries(under directory: String, minimumAge: Double,
                                              now: Date = Date()) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var removed: [String] = []
        while let relative = walker.nextObject() as? String {
            guard isTemporaryName((relative as NSString).lastPathComponent) else { continue }
            let path = (directory as NSString).appendingPathComponent(relative)
            var info = stat()
            // lstat: never follow a link out of the output directory.
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) * 1e-9
            if now.timeIntervalSince1970 - modified >= minimumAge, unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// Writes `text` atomically.
    public static func write(_ path: String, text: String) throws {
        try write(path) { try Data(text.utf8).write(to: URL(fileURLWithPath: $0)) }
    }
}
