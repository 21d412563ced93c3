import Foundation
import Shared

/// Detects a job kind from its input path when `--kind` is not given.
enum KindDetection {
    static func detect(_ path: String) throws -> JobKind {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            throw UserError("input \(path) does not exist")
        }
        let names: [String]
        if isDir.boolValue {
            names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
        } else {
            names = [(path as NSString).lastPathComponent]
        }
        let exts = Set(names.map { ($0 as NSString).pathExtension.lowercased() })
        var kinds: [JobKind] = []
        if exts.contains("png") { kinds.append(.tem) }
        if !exts.isDisjoint(with: ["mib", "hdr"]) { kinds.append(.stem4d) }
        if !exts.isDisjoint(with: ["cxi", "h5", "hdf5", "npy"]) && !kinds.contains(.stem4d) {
            // HDF5 and .npy hold either kind; which one needs the array's rank.
            kinds.append(contentsOf: [.bcdi, .stem4d])
        }
        if kinds == [.bcdi, .stem4d], let kind = hdf5Kind(path, names: isDir.boolValue ? names : nil) {
            return kind
        }
        if kinds.count == 1 { return kinds[0] }
        if kinds.isEmpty {
            throw UserError("cannot tell what kind of data \(path) holds (no .png, .cxi/.h5/.npy or .mib files): pass --kind tem|bcdi|stem4d")
        }
        throw UserError("\(path) is ambiguous: it could be \(kinds.map(\.rawValue).joined(separator: " or ")); pass --kind \(kinds.map(\.rawValue).joined(separator: "|"))")
    }

    /// Tells bcdi from stem4d for HDF5/.npy input by looking at one file: `.cxi` files and
    /// complex 3D (or modes × 3D) arrays are bcdi, real 4D arrays stem4d. Nil when unsure.
    static func hdf5Kind(_ path: String, names: [String]?) -> JobKind? {
        let candidates = (names ?? [path]).filter {
            ["cxi", "h5", "hdf5", "npy"].contains(($0 as NSString).pathExtension.lowercased())
        }.sorted(by: NaturalSort.areInIncreasingOrder)
        guard let first = candidates.first else { return nil }
        if (first as NSString).pathExtension.lowercased() == "cxi" { return .bcdi }
        let file = names == nil ? path : (path as NSString).appendingPathComponent(first)
        if (try? BCDIVolumeSource(path: file)) != nil { return .bcdi }
        if (try? STEM4DSource.open(path: file)) != nil { return .stem4d }
        return nil
    }
}
