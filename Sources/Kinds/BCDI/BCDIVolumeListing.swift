import Coordinator
import Foundation
import Shared

/// The volumes of a `bcdi` input directory: either its volume files (a time series, one
/// reconstruction per step), or — when it holds no volume files but subdirectories that do —
/// one subdirectory per time step, each an ensemble of reconstructions of that step
/// (`member` their position in the natural sort of the file names).
enum BCDIVolumeListing {
    struct Entry: Equatable {
        var step: Int
        /// Position in the step's ensemble; nil for a plain series.
        var member: Int?
        var file: String
    }

    static func list(directory input: String) throws -> (entries: [Entry], notes: [String]) {
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: input).filter { !$0.hasPrefix(".") }
            .sorted(by: NaturalSort.areInIncreasingOrder)
        let files = names.filter(isVolume)
        let directories = names.filter { isDirectory((input as NSString).appendingPathComponent($0)) }
        var notes: [String] = []
        let ignored = names.filter { !isVolume($0) && !directories.contains($0) }
        if !ignored.isEmpty {
            notes.append("ignored \(ignored.count) file(s) in \(input) that are not volumes (.cxi, .h5, .hdf5, .nxs, .npy): \(ignored.prefix(5).joined(separator: ", "))\(ignored.count > 5 ? ", …" : "")")
        }
        if !files.isEmpty {
            if !directories.isEmpty {
                notes.append("\(input) holds volume files, so it is one time series; its \(directories.count) subdirector\(directories.count == 1 ? "y is" : "ies are") ignored (an ensemble series has only subdirectories, one per time step)")
            }
            return (files.enumerated().map { Entry(step: $0.offset, member: nil, file: (input as NSString).appendingPathComponent($0.element)) }, notes)
        }
        var entries: [Entry] = []
        var step = 0
        for directory in directories {
            let path = (input as NSString).appendingPathComponent(directory)
            let members = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") && isVolume($0) }
                .sorted(by: NaturalSort.areInIncreasingOrder)
            guard !members.isEmpty else {
                notes.append("ignored \(path): no volumes in it")
                continue
            }
            entries += members.enumerated().map { Entry(step: step, member: $0.offset, file: (path as NSString).appendingPathComponent($0.element)) }
            step += 1
        }
        guard !entries.isEmpty else {
            throw PlanError("bcdi input \(input) holds no volumes (.cxi, .h5, .hdf5, .nxs or .npy files), neither directly nor in subdirectories (one per time step of an ensemble series)")
        }
        return (entries, notes)
    }

    static func isVolume(_ name: String) -> Bool {
        BCDIVolumeSource.extensions.contains((name as NSString).pathExtension.lowercased())
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
