import Foundation

/// Scratch space for tests.
public enum TestFiles {
    /// A new, empty directory under the system's temporary directory.
    public static func temporaryDirectory(_ label: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
