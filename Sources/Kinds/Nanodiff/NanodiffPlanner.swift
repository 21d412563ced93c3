import Coordinator
import Foundation
import Kernels
import Shared

/// Plans `nanodiff` jobs. The input is one scan — a 5D HDF5 file, or a directory of 4D files
/// one per rocking angle (natural order = angle order) — or a time series of scans (states of
/// charge): a directory of 5D files, or of subdirectories of per-angle files; `scan_index` by
/// natural sort, from 0. Each scan becomes shards of whole scan rows (≈ 1 GB of data each,
/// `--param rows_per_shard=`), each read across every angle in chunks; one merge task makes
/// the maps, regions and defects and tracks them through the series.
///
/// Only headers and the small geometry datasets are read here. A single scan that is unusable
/// fails the job; in a series, such a scan gets a task that fails with the reason.
public enum NanodiffPlanner {
    /// Bytes of data per shard when `rows_per_shard` is not given.
    public static let shardBytes = 1 << 30

    static func plan(input: String, options: NanodiffJobOptions, context: PlanContext) throws -> KindPlan<NanodiffShardPayload, NoOutput> {
        let scans = try scanFiles(input)
        var shards: [NanodiffShardPayload] = []
        var bad: [String] = []
        for (index, files) in scans.enumerated() {
            do {
                shards += try plan(scan: index, files: files, options: options, output: context.outputDirectory)
            } catch {
                guard scans.count > 1 else { throw PlanError("\(error)") }
                bad.append("\(error)")
                shards.append(NanodiffShardPayload(scanIndex: index, files: files, dataset: "", shape: [], anglesDeg: [],
                                                   geometry: NanodiffGeometry(energyKeV: 1, distanceM: 1, pixelUm: 1, twoThetaDeg: 1, centerX: 0, centerY: 0),
                                                   stepAngstrom: 0, row0: 0, row1: 0, featuresFile: "", error: "\(error)"))
            }
        }
        if bad.count == scans.count { throw PlanError("no usable scan in \(input) (first problem: \(bad[0]))") }
        let notes = bad.isEmpty ? [] : ["\(bad.count) of \(scans.count) scan(s) are unusable; their tasks fail with the reason"]
        return KindPlan(shards: shards, merge: NoOutput(), notes: notes)
    }

    /// The scans of `input`, each as its file list.
    static func scanFiles(_ input: String) throws -> [[String]] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: input, isDirectory: &isDir) else { throw PlanError("nanodiff input \(input) does not exist") }
        guard isDir.boolValue else { return [[input]] }
        let entries = try fm.contentsOfDirectory(atPath: input).filter { !$0.hasPrefix(".") }.sorted(by: NaturalSort.areInIncreasingOrder)
        let paths = entries.map { (input as NSString).appendingPathComponent($0) }
        let dirs = paths.filter { var d: ObjCBool = false; return fm.fileExists(atPath: $0, isDirectory: &d) && d.boolValue }
        let files = paths.filter { NanodiffScanSource.extensions.contains(($0 as NSString).pathExtension.lowercased()) }
        if !dirs.isEmpty && files.isEmpty {
            // A series of per-angle scans.
            return try dirs.map { dir in
                let inner = try fm.contentsOfDirectory(atPath: dir).filter { NanodiffScanSource.extensions.contains(($0 as NSString).pathExtension.lowercased()) }
                    .sorted(by: NaturalSort.areInIncreasingOrder).map { (dir as NSString).appendingPathComponent($0) }
                guard !inner.isEmpty else { throw PlanError("nanodiff scan directory \(dir) holds no .h5/.hdf5/.nxs files") }
                return inner
            }
        }
        guard !files.isEmpty else { throw PlanError("nanodiff input \(input) holds no scans (.h5, .hdf5 or .nxs files, or subdirectories of per-angle files)") }
        // 5D files are scans of a series; 4D files are the angles of one scan.
        let ranks = files.map { rank(of: $0) }
        if ranks.allSatisfy({ $0 == 4 }) { return [files] }
        return files.map { [$0] }
    }

    /// The highest rank among a file's real datasets (0 when unreadable).
    static func rank(of file: String) -> Int {
        guard let h5 = try? HDF5File.open(path: file) else { return 0 }
        defer { try? h5.close() }
        return ((try? h5.datasets()) ?? []).filter(\.elementType.isReal).map(\.rank).max() ?? 0
    }

    /// The shards of one scan.
    static func plan(scan index: Int, files: [String], options: NanodiffJobOptions, output: String) throws -> [NanodiffShardPayload] {
        let source = try NanodiffScanSource(files: files, dataset: options.dataset)
        let angles = try source.resolveAngles(options)
        let (geometry, step) = try source.resolveGeometry(options)
        let rowBytes = source.cols * source.angles * source.frame * source.bytesPerValue
        let rows = options.rowsPerShard ?? max(1, shardBytes / max(1, rowBytes))
        return stride(from: 0, to: source.rows, by: rows).map { r0 in
            let r1 = min(source.rows, r0 + rows)
            return NanodiffShardPayload(scanIndex: index, files: files, dataset: source.dataset, shape: source.shape, anglesDeg: angles,
                                        geometry: geometry, stepAngstrom: step, row0: r0, row1: r1,
                                        featuresFile: NanodiffPaths.features(output, scan: index, row0: r0, row1: r1))
        }
    }
}
