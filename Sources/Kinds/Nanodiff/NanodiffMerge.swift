import Foundation
import Kernels
import Shared

/// The `nanodiff` merge: assembles each scan's features from its shards, makes its maps
/// (HDF5 + PNG with colour bars), finds its defects, embeds every position of every scan in
/// one PCA space and clusters it into regions (one embedding for the series, so a region keeps
/// its label from scan to scan), tracks defects through the series, and returns the rows. A
/// scan with a dead shard is left out (the shard's error names the file); the others go on.
enum NanodiffMerge {
    static let tables = ["nanodiff_scan_results", "nanodiff_map_results", "nanodiff_point_results", "nanodiff_defect_results"]

    static func run(shards: [ShardInput<NanodiffShardPayload, NanodiffShardOutput>], options: NanodiffJobOptions,
                    context: KindContext) throws -> [ResultRows] {
        var byScan: [Int: [ShardInput<NanodiffShardPayload, NanodiffShardOutput>]] = [:]
        for s in shards { byScan[s.payload.scanIndex, default: []].append(s) }
        var scans: [NanodiffScanMaps] = []
        for index in byScan.keys.sorted() {
            let parts = byScan[index]!
            guard parts.allSatisfy(\.succeeded) else {
                context.logger.notice("nanodiff scan left out: a shard did not finish", metadata: ["scan.index": "\(index)"])
                continue
            }
            scans.append(try assemble(parts, options: options, context: context))
        }
        guard !scans.isEmpty else { throw TaskError("no scan of the job could be analysed (every scan has a failed shard; see ctl status)") }
        let (labels, k, silhouette, explained, embedding) = regions(scans, options: options)
        let tracks = NanodiffTracker.track(scans.map(\.defects), gate: options.trackGate)
        let (regionOf, regionTracks) = trackRegions(scans, labels: labels, embedding: embedding)
        var scanRows = ResultRows(table: "nanodiff_scan_results", columns: [
            "scan_index", "scan_file", "shape", "n_positions", "n_diffracting", "d0_angstrom", "q0", "step_nm", "n_clusters",
            "silhouette", "explained_variance", "maps_file", "n_dislocations", "n_boundaries"])
        var mapRows = ResultRows(table: "nanodiff_map_results", columns: ["scan_index", "name", "file", "dataset", "png_file", "unit", "min", "max"])
        var pointRows = ResultRows(table: "nanodiff_point_results", columns: [
            "scan_index", "x", "y", "strain", "tilt_x", "tilt_y", "cluster", "intensity", "d_spacing", "strain_lpa", "tilt_x_lpa",
            "tilt_y_lpa", "width_1", "width_2", "width_3", "rocking_width_deg", "lpa_scale", "region", "region_track"])
        var defectRows = ResultRows(table: "nanodiff_defect_results", columns: ["scan_index", "defect_id", "kind", "x", "y", "track_id", "strength", "points"])
        for (s, scan) in scans.enumerated() {
            let out = context.output.path
            let mapsFile = try context.output.check(NanodiffPaths.maps(out, scan: scan.index))
            let cluster = labels[s].map { $0.map(Double.init) ?? .nan }
            try writeMaps(scan, cluster: cluster, to: mapsFile)
            for (name, unit, values) in scan.maps + [("cluster", "label", cluster)] {
                let finite = values.filter(\.isFinite)
                var png: String?
                if ["strain", "tilt_x", "tilt_y", "strain_lpa", "tilt_y_lpa", "intensity", "cluster", "circulation"].contains(name) {
                    png = try context.output.check(NanodiffPaths.png(out, scan: scan.index, map: name))
                    try NanodiffMapImage.write(values, rows: scan.rows, cols: scan.cols, signed: unit == "1" || unit == "rad", to: png!)
                }
                mapRows.rows.append([scan.index, name, mapsFile, "/" + name, png, unit, finite.min(), finite.max()])
            }
            let m = Dictionary(uniqueKeysWithValues: scan.maps.map { ($0.name, $0.values) })
            func v(_ name: String, _ i: Int) -> Double? { let x = m[name]![i]; return x.isFinite ? x : nil }
            for i in 0..<(scan.rows * scan.cols) {
                pointRows.rows.append([
                    scan.index, i % scan.cols, i / scan.cols, v("strain", i), v("tilt_x", i), v("tilt_y", i), labels[s][i],
                    scan.features[i].intensity, v("d_spacing", i), v("strain_lpa", i), v("tilt_x_lpa", i), v("tilt_y_lpa", i),
                    v("width_1", i), v("width_2", i), v("width_3", i), v("rocking_width", i), scan.scale[i],
                    regionOf[s][i], regionOf[s][i].map { Int64(regionTracks[s][$0]) },
                ])
            }
            for (d, defect) in scan.defects.enumerated() {
                let points = "[" + defect.points.map { String(format: "[%.3f,%.3f]", $0[0], $0[1]) }.joined(separator: ",") + "]"
                defectRows.rows.append([scan.index, d, defect.kind.rawValue, defect.x, defect.y, Int64(tracks[s][d]), defect.strength, PGJSON(raw: points)])
            }
            let q = scan.frame.q0
            scanRows.rows.append([
                scan.index, scan.file, PGJSON(raw: "[\(scan.rows), \(scan.cols)]"), scan.rows * scan.cols, scan.features.filter(\.isValid).count,
                scan.frame.d0, PGJSON(raw: String(format: "[%.8f,%.8f,%.8f]", q.x, q.y, q.z)), scan.stepAngstrom / 10, k,
                silhouette.isFinite ? silhouette : nil, PGJSON(raw: "[" + explained.map { String(format: "%.4f", $0) }.joined(separator: ",") + "]"),
                mapsFile, scan.defects.filter { $0.kind == .dislocation }.count, scan.defects.filter { $0.kind == .tiltBoundary }.count,
            ])
        }
        return [scanRows, mapRows, pointRows, defectRows]
    }

    /// One scan's features from its shards' blocks (they must tile its rows).
    static func assemble(_ parts: [ShardInput<NanodiffShardPayload, NanodiffShardOutput>], options: NanodiffJobOptions,
                         context: KindContext) throws -> NanodiffScanMaps {
        let first = parts[0].payload
        let rows = first.shape[1], cols = first.shape[2], nf = NanodiffFeatures.packedCount
        var features = [NanodiffFeatures?](repeating: nil, count: rows * cols)
        for part in parts.sorted(by: { $0.payload.row0 < $1.payload.row0 }) {
            let file = try context.output.check(part.output!.featuresFile)
            let h5 = try HDF5File.open(path: file)
            defer { try? h5.close() }
            let values = try h5.dataset("/features").read(Double.self)
            let n = part.payload.row1 - part.payload.row0
            guard values.count == n * cols * nf else {
                throw TaskError("\(file): holds \(values.count) values, expected \(n * cols * nf); re-run the job")
            }
            for i in 0..<(n * cols) {
                features[part.payload.row0 * cols + i] = NanodiffFeatures(packed: values[(i * nf)..<((i + 1) * nf)])
            }
        }
        guard features.allSatisfy({ $0 != nil }) else { throw TaskError("\(first.files[0]): the shards do not cover every scan row; re-run the job") }
        return try NanodiffScanMaps(index: first.scanIndex, file: first.files.count == 1 ? first.files[0] : (first.files[0] as NSString).deletingLastPathComponent,
                                    rows: rows, cols: cols, features: features.map { $0! }, stepAngstrom: first.stepAngstrom,
                                    d0: options.d0, gamma: options.lpaGamma, boundaryNull: options.boundaryNull,
                                    boundaryStep: options.boundaryStep, boundaryMisfit: options.boundaryMisfit)
    }

    /// Cluster labels per scan and position (nil where nothing diffracted), k, the silhouette,
    /// the PCA's explained variance ratios and the embedding per scan (3 values per position,
    /// NaN where nothing diffracted).
    static func regions(_ scans: [NanodiffScanMaps], options: NanodiffJobOptions) -> ([[Int?]], Int, Double, [Double], [[Double]]) {
        var all: [Double] = [], owners: [(Int, Int)] = []
        for (s, scan) in scans.enumerated() {
            let (rows, positions) = scan.descriptors()
            for (r, p) in zip(rows, positions) { all += r; owners.append((s, p)) }
        }
        let dims = NanodiffDescriptor.names.count
        var labels = scans.map { [Int?](repeating: nil, count: $0.rows * $0.cols) }
        var perScan = scans.map { [Double](repeating: .nan, count: $0.rows * $0.cols * 3) }
        guard owners.count > 2 else { return (labels, 1, .nan, [], perScan) }
        let (embedding, explained) = NanodiffEmbedding.pca(all, rows: owners.count, dims: dims, components: 3)
        let c = min(3, dims)
        let found = NanodiffEmbedding.regions(embedding, rows: owners.count, dims: c, k: options.clusters)
        for (i, (s, p)) in owners.enumerated() {
            labels[s][p] = found.labels[i]
            for d in 0..<c { perScan[s][p * 3 + d] = embedding[i * c + d] }
        }
        return (labels, found.k, found.silhouette, explained, perScan)
    }

    /// Each scan's connected regions (per position, the region's index in its scan) and their
    /// track ids through the series (`NanodiffRegionTracker`: overlap of the masks and distance
    /// of the embedding centroids). Scans of another shape than the first are not tracked.
    static func trackRegions(_ scans: [NanodiffScanMaps], labels: [[Int?]], embedding: [[Double]]) -> ([[Int?]], [[Int]]) {
        let found = scans.indices.map {
            NanodiffRegionTracker.regions(labels: labels[$0], width: scans[$0].cols, height: scans[$0].rows, embedding: embedding[$0], dims: 3)
        }
        let spread = NanodiffRegionTracker.spread(found.map(\.regions), embedding: embedding, dims: 3)
        var tracks: [[Int]] = []
        var next = 0
        // Runs of scans with the same grid are tracked together; a new grid starts new tracks.
        var start = 0
        while start < scans.count {
            var end = start + 1
            while end < scans.count && scans[end].rows == scans[start].rows && scans[end].cols == scans[start].cols { end += 1 }
            let ids = NanodiffRegionTracker.track(found[start..<end].map(\.regions), spread: spread)
            tracks += ids.map { $0.map { $0 + next } }
            next += ids.flatMap { $0 }.max() ?? 0
            start = end
        }
        return (found.map(\.regionOf), tracks)
    }

    static func writeMaps(_ scan: NanodiffScanMaps, cluster: [Double], to path: String) throws {
        try AtomicFile.write(path) { temporary in
            let file = try HDF5File.create(path: temporary)
            for (name, _, values) in scan.maps { try file.write(values, shape: [scan.rows, scan.cols], to: "/" + name) }
            try file.write(cluster, shape: [scan.rows, scan.cols], to: "/cluster")
            let q = scan.features.flatMap { [$0.q.x, $0.q.y, $0.q.z] }
            try file.write(q, shape: [scan.rows, scan.cols, 3], to: "/q_centroid")
            try file.write([scan.frame.q0.x, scan.frame.q0.y, scan.frame.q0.z, scan.frame.d0], shape: [4], to: "/reference_q0_d0")
            try file.close()
        }
    }
}
