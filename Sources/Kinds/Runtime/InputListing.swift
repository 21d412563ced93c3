import Foundation
import Shared

/// What kind detection looks at: the input path, whether it is a directory, and the names of
/// the files in it (or the file itself), read once and shared by every kind's `recognise`.
public struct InputListing: Sendable {
    public let path: String
    public let isDirectory: Bool
    /// Entry names (not hidden ones), in natural order; for a file, its own name.
    public let names: [String]

    public init(path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw KindDetectionError("input \(path) does not exist")
        }
        self.path = path
        isDirectory = isDir.boolValue
        if isDirectory {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            names = entries.filter { !$0.hasPrefix(".") }.sorted(by: NaturalSort.areInIncreasingOrder)
        } else {
            names = [(path as NSString).lastPathComponent]
        }
    }

    /// Lower-case extensions present.
    public var extensions: Set<String> { Set(names.map { ($0 as NSString).pathExtension.lowercased() }) }

    /// The first entry (natural order) with one of `extensions`, as a full path.
    public func first(withExtensionIn extensions: Set<String>) -> String? {
        guard let name = names.first(where: { extensions.contains(($0 as NSString).pathExtension.lowercased()) }) else { return nil }
        return isDirectory ? (path as NSString).appendingPathComponent(name) : path
    }
}

/// How sure a kind is that an input is its data.
public enum InputMatch: Sendable, Equatable, Comparable {
    /// Not this kind's data.
    case no
    /// Could be (the file type is shared with other kinds and the content did not settle it).
    case possible
    /// Certainly this kind's (a file type only it reads, or content that only it reads).
    case certain
}

/// Kind detection that failed: the message names the path and the fix.
public struct KindDetectionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
