import Foundation

/// Workers read only under the input path a job names: every file a task opens is checked
/// here first, after resolving symbolic links, so a crafted payload cannot make a worker
/// read `/etc/shadow` or another user's data.
public enum InputGuard {
    /// Returns the resolved path of `file` if it lies within `jobInput` (a file or directory).
    public static func check(_ file: String, within jobInput: String) throws -> String {
        let root = URL(fileURLWithPath: jobInput).resolvingSymlinksInPath().standardizedFileURL.path
        let resolved = URL(fileURLWithPath: file).resolvingSymlinksInPath().standardizedFileURL.path
        if resolved == root || resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
            return resolved
        }
        throw TaskError("refusing to read \(file): it is outside the job's input \(jobInput)")
    }
}
