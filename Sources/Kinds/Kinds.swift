import Foundation
import Shared
import Worker
import Coordinator

/// Every data kind this build knows: the only list. Adding a kind is one folder, one line here
/// and one migration.
public enum Kinds {
    public static let all: [any Kind] = [TEMKind(), BCDIKind(), STEM4DKind(), BenchKind(), NanodiffKind()]

    /// The kind called `name`.
    public static func named(_ name: String) -> (any Kind)? {
        all.first { $0.name == name }
    }

    /// Names, for help texts and errors: `tem, bcdi, stem4d, bench`.
    public static var names: [String] { all.map(\.name) }

    /// Worker runners of every kind.
    public static var runners: [any TaskRunner] { all.map(\.runner) }
    /// Coordinator planners of every kind.
    public static var planners: [any JobPlanner] { all.map(\.planner) }

    /// The kind of the data at `path` when `--kind` is not given: the one kind that is certain,
    /// else the one that is possible; anything else is an error naming the candidates.
    public static func detect(_ path: String) throws -> any Kind {
        let listing = try InputListing(path: path)
        let matches = all.map { ($0, $0.recognise(listing)) }
        let certain = matches.filter { $0.1 == .certain }.map(\.0)
        if certain.count == 1 { return certain[0] }
        let candidates = certain.isEmpty ? matches.filter { $0.1 == .possible }.map(\.0) : certain
        if candidates.count == 1 { return candidates[0] }
        let choices = all.filter(\.readsInputPath).map(\.name)
        if candidates.isEmpty {
            throw KindDetectionError("cannot tell what kind of data \(path) holds (\(listing.isDirectory ? "no frames, volumes or cubes in it" : "not a file type Slipline reads")): pass --kind \(choices.joined(separator: "|"))")
        }
        let names = candidates.map(\.name)
        let found = Array(Set(candidates.flatMap { $0.describe(listing, params: [:]) })).sorted()
        throw KindDetectionError("\(path) is ambiguous: it could be \(names.joined(separator: " or ")); pass --kind \(names.joined(separator: "|"))"
            + (found.isEmpty ? "" : " (found: \(found.joined(separator: "; ")))"))
    }

    /// What `kind` finds in `path` (`Kind.describe`), for `ctl run`/`ctl submit` to print.
    public static func findings(_ kind: any Kind, path: String, params: [String: String]) -> [String] {
        guard kind.readsInputPath, let listing = try? InputListing(path: path) else { return [] }
        return kind.describe(listing, params: params)
    }
}
