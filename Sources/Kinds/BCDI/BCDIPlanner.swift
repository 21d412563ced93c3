import Coordinator
import Foundation
import Shared

/// Plans `bcdi` jobs. The input is one HDF5/CXI/`.npy` volume, a directory of them (a time
/// series, `volume_index` by natural sort of the file names), or a directory of directories
/// of them (a series of ensembles: one directory per time step, several reconstructions of
/// that step inside; `BCDIVolumeListing`). Each volume becomes one shard
/// task, or one per z-slab when it is large (`--param slab_planes=N` planes per slab; 0 never
/// slabs; default: slabs of about 2^24 voxels for volumes above that). A merge task assembles
/// the slabs, finds the lines, tracks them through the series and writes the results.
///
/// Only headers are read here. A single input file whose header is unusable fails the job at
/// once; in a directory, such a file gets a task that fails with the message, so the rest of
/// the series goes on and `ctl status` names the file.
public enum BCDIPlanner {
    /// Volumes above this many voxels are cut into slabs by default.
    public static let automaticSlabVoxels = 1 << 24

    static func plan(input: String, options: BCDIJobOptions, context: PlanContext) throws -> KindPlan<BCDITaskPayload, NoOutput> {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: input, isDirectory: &isDir) else {
            throw PlanError("bcdi input \(input) does not exist")
        }
        var notes: [String] = []
        let volumes: [BCDIVolumeListing.Entry]
        if isDir.boolValue {
            let listing = try BCDIVolumeListing.list(directory: input)
            notes += listing.notes
            volumes = listing.entries
        } else {
            let inFile = BCDIPyNXLayout.reconstructions(in: input)
            volumes = inFile.isEmpty || options.dataset != nil ? [BCDIVolumeListing.Entry(step: 0, member: nil, file: input)]
                : inFile.enumerated().map { BCDIVolumeListing.Entry(step: 0, member: $0.offset, file: input, dataset: $0.element) }
            if !inFile.isEmpty && options.dataset == nil { notes.append("\(input) holds \(inFile.count) reconstructions: one ensemble") }
        }
        let files = volumes.map(\.file)

        var shards: [BCDITaskPayload] = []
        var bad = 0
        for entry in volumes {
            let (index, member, file) = (entry.step, entry.member, entry.file)
            let dataset = entry.dataset ?? options.dataset
            let source: BCDIVolumeSource
            do {
                source = try BCDIVolumeSource(path: file, dataset: dataset)
            } catch {
                guard isDir.boolValue else { throw PlanError("\(error)") }
                bad += 1
                let payload = BCDITaskPayload(
                    volumeIndex: index, file: file, dataset: dataset, shape: [], z0: 0, z1: 0,
                    slabFile: "", error: "\(error)", member: member)
                shards.append(payload)
                continue
            }
            if let note = source.modeNote, !notes.contains(note) { notes.append(note) }
            let nz = source.shape[0], plane = source.shape[1] * source.shape[2]
            let depth: Int
            if options.method == "derivative" || options.slabPlanes == 0 {
                depth = nz
            } else if let planes = options.slabPlanes {
                depth = planes
            } else {
                depth = source.count > Self.automaticSlabVoxels ? max(8, Self.automaticSlabVoxels / plane) : nz
            }
            for z0 in stride(from: 0, to: nz, by: max(1, depth)) {
                let z1 = min(nz, z0 + max(1, depth))
                let payload = BCDITaskPayload(
                    volumeIndex: index, file: file, dataset: dataset, shape: source.shape, z0: z0, z1: z1,
                    slabFile: BCDIPaths.slab(context.outputDirectory, volume: index, member: member, z0: z0, z1: z1), member: member)
                shards.append(payload)
            }
        }
        if bad == files.count {
            throw PlanError("no usable volume in \(input): every file failed its header check (first: \(files[0]))")
        }
        if bad > 0 { notes.append("\(bad) of \(files.count) volume file(s) are unusable; their tasks will fail with the reason") }
        // One line: the notes end up in the job's error column and in `ctl status`.
        return KindPlan(shards: shards, merge: NoOutput(), notes: notes.isEmpty ? [] : [notes.joined(separator: "; ")])
    }
}
