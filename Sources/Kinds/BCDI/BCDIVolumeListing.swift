import Coordinator
import Foundation
import Shared

/// The volumes of a `bcdi` input directory: either its volume files (a time series, one
/// reconstruction per step), or — when it holds no volume files but subdirectories that do —
/// one subdirectory per time step, each an ensemble of reconstructions of that step
/// (`member` their position in the natural sort of the file names). PyNX ensembles are
/// recognised in a flat directory too (`BCDIPyNXLayout`): run files `…Run0001….cxi` sharing a
/// prefix are one step's members, and a CXI holding several reconstructions
/// (`/entry_N/image_1/data`) is one step whose members are its entries.
enum BCDIVolumeListing {
    struct Entry: Equatable {
        var step: Int
        /// Position in the step's ensemble; nil for a plain series.
        var member: Int?
        var file: String
        /// The reconstruction's dataset inside a file holding several (else the job's).
        var dataset: String? = nil
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
            return (flatEntries(files, in: input, notes: &notes), notes)
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
            let full = members.map { (path as NSString).appendingPathComponent($0) }
            let inFile = full.count == 1 ? BCDIPyNXLayout.reconstructions(in: full[0]) : []
            entries += inFile.isEmpty
                ? full.enumerated().map { Entry(step: step, member: $0.offset, file: $0.element) }
                : inFile.enumerated().map { Entry(step: step, member: $0.offset, file: full[0], dataset: $0.element) }
            step += 1
        }
        guard !entries.isEmpty else {
            throw PlanError("bcdi input \(input) holds no volumes (.cxi, .h5, .hdf5, .nxs or .npy files), neither directly nor in subdirectories (one per time step of an ensemble series)")
        }
        return (entries, notes)
    }

    /// A flat directory's volume files: PyNX run groups (one step each), files holding several
    /// reconstructions (one step each, a member per entry), or else one step per file.
    private static func flatEntries(_ files: [String], in input: String, notes: inout [String]) -> [Entry] {
        let full = { (name: String) in (input as NSString).appendingPathComponent(name) }
        if let groups = BCDIPyNXLayout.runGroups(files) {
            notes.append("PyNX runs: \(groups.count) ensemble(s) of \(groups.map { "\($0.members.count)" }.joined(separator: "/")) run(s) (\(groups.prefix(3).map { "\($0.prefix)Run*" }.joined(separator: ", "))\(groups.count > 3 ? ", …" : ""))")
            return groups.enumerated().flatMap { step, group in
                group.members.enumerated().map { Entry(step: step, member: $0.offset, file: full($0.element)) }
            }
        }
        var entries: [Entry] = []
        for (step, name) in files.enumerated() {
            let inFile = BCDIPyNXLayout.reconstructions(in: full(name))
            if inFile.isEmpty {
                entries.append(Entry(step: step, member: nil, file: full(name)))
            } else {
                notes.append("\(name) holds \(inFile.count) reconstructions (/entry_N/image_1/data): one ensemble")
                entries += inFile.enumerated().map { Entry(step: step, member: $0.offset, file: full(name), dataset: $0.element) }
            }
        }
        return entries
    }

    static func isVolume(_ name: String) -> Bool {
        BCDIVolumeSource.extensions.contains((name as NSString).pathExtension.lowercased())
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
