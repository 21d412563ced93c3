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

    /// Writes `text` atomically.
    public static func write(_ path: String, text: String) throws {
        try write(path) { try Data(text.utf8).write(to: URL(fileURLWithPath: $0)) }
    }
}
