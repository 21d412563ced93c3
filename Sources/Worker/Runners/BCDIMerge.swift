import Foundation
import Kernels
import Shared

/// The `bcdi.merge` task: for every volume whose shards all finished, assembles Ψ from its
/// slab files, finds the lines, writes the Ψ volume (`/psi` float32), a PNG of three
/// projections and a VTK file of the lines; then tracks the lines through the series and
/// returns the rows of `bcdi_volume_results` and `bcdi_line_results`. A volume whose shard is
/// dead is left out (its task error names the file); the other volumes go on.
public enum BCDIMerge {
    /// A whole assembled volume.
    public struct Volume: Sendable {
        public var shape: BCDIShape
        public var psi: [Float]
        public var phase: [Float]
        public var support: [UInt8]
        public var ramp: [Double]
        public var maskSource: String
    }

    static func run(_ task: ClaimedTask, params: JobParams, context: TaskContext) throws -> TaskOutput {
        let options = try BCDIJobOptions(params)
        guard let output = params.values["output_dir"], !output.isEmpty else {
            throw TaskError("bcdi job has no output_dir parameter (the coordinator sets it)")
        }
        let shards = try context.database().run { conn -> [(BCDITaskPayload, String)] in
            let r = try conn.exec("SELECT payload::text, state FROM tasks WHERE job_id = $1 AND role = 'shard' ORDER BY id", [task.jobId])
            return try (0..<r.rowCount).map { row in
                (try JSONDecoder().decode(BCDITaskPayload.self, from: Data((r.string(row, 0) ?? "{}").utf8)), r.string(row, 1) ?? "")
            }
        }
        var byVolume: [Int: [(BCDITaskPayload, String)]] = [:]
        for shard in shards { byVolume[shard.0.volumeIndex, default: []].append(shard) }

        var analysed: [(index: Int, file: String, lines: [BCDILine])] = []
        var volumeRows = ResultRows(table: "bcdi_volume_results", columns: [
            "volume_index", "volume_file", "psi_file", "shape",
            "n_unmasked", "max_psi", "n_lines", "png_file",
            "vtk_file", "mask_source", "ramp", "method",
        ])
        for index in byVolume.keys.sorted() {
            let parts = byVolume[index]!
            guard parts.allSatisfy({ $0.1 == "done" && $0.0.error == nil }) else {
                context.logger.notice("bcdi volume left out: a shard did not finish", metadata: ["volume.index": "\(index)", "volume.file": "\(parts[0].0.file)"])
                continue
            }
            let slabs = try parts.map { try BCDISlabComputation.read(try BCDIRunner.checkOutput($0.0.slabFile, within: output)) }
            let volume = try assemble(slabs, file: parts[0].0.file)
            let lines = BCDILines.detect(
                psi: volume.psi, support: volume.support, phase: volume.phase, shape: volume.shape,
                options: BCDILineOptions(psiCutoff: Float(options.psiCutoff), minVoxels: options.minVoxels))
            let psiFile = BCDIPaths.psi(output, volume: index)
            let shapeArray = [volume.shape.nz, volume.shape.ny, volume.shape.nx]
            try AtomicFile.write(psiFile) { temporary in
                let file = try HDF5File.create(path: temporary)
                try file.write(volume.psi, shape: shapeArray, to: "/psi")
                try file.write(volume.support, shape: shapeArray, to: "/support")
                try file.close()
            }
            let pngFile = BCDIPaths.png(output, volume: index)
            let image = BCDIProjectionImage.render(support: volume.support, shape: volume.shape, lines: lines)
            try AtomicFile.write(pngFile) { try PNGWriter.writeRGB8(path: $0, width: image.width, height: image.height, pixels: image.pixels) }
            analysed.append((index, parts[0].0.file, lines))
            let unmasked = volume.support.reduce(0) { $0 + Int($1) }
            volumeRows.rows.append([
                index, parts[0].0.file, psiFile, PGJSON(raw: "[\(shapeArray.map(String.init).joined(separator: ","))]"),
                Int64(unmasked), Double(volume.psi.max() ?? 0), lines.count, pngFile, BCDIPaths.vtk(output, volume: index),
                volume.maskSource, PGJSON(raw: "[\(volume.ramp.map { String(format: "%.6g", $0) }.joined(separator: ","))]"),
                options.method,
            ])
        }

        let tracked = BCDITracker.track(analysed.map(\.lines), gate: options.trackGate)
        var lineRows = ResultRows(table: "bcdi_line_results", columns: [
            "volume_index", "volume_file", "line_id", "track_id",
            "points", "length_vox", "length_nm",
            "closed", "start_on_surface", "end_on_surface",
            "max_psi", "direction", "winding_sign",
            "displacement_vox", "shift",
        ])
        for (v, volume) in analysed.enumerated() {
            var vtk = VTKPolyData(title: "Slipline bcdi lines: job \(task.jobId), volume \(volume.index) (\((volume.file as NSString).lastPathComponent)), [x, y, z] in voxels")
            var trackIds: [Int] = []
            for (l, line) in volume.lines.enumerated() {
                let t = tracked[v][l]
                trackIds.append(t.track)
                vtk.lines.append(.init(points: line.points.map { [$0.x, $0.y, $0.z] }, closed: line.closed))
                lineRows.rows.append([
                    volume.index, volume.file, l, Int64(t.track), PGJSON(raw: json(line.points)), line.length,
                    options.voxelSizeNm.map { line.length * $0 }, line.closed, line.startOnSurface, line.endOnSurface,
                    Double(line.maxPsi), PGJSON(raw: vector(line.direction)), line.windingSign,
                    t.displacement, t.shift.map { PGJSON(raw: vector($0)) },
                ])
            }
            vtk.cellScalars = [("line_id", Array(volume.lines.indices)), ("track_id", trackIds)]
            try AtomicFile.write(BCDIPaths.vtk(output, volume: volume.index), text: vtk.render())
        }
        return TaskOutput(results: [volumeRows, lineRows])
    }

    /// Puts the slabs of one volume together (they must cover 0..<nz without gaps).
    public static func assemble(_ slabs: [BCDISlabResult], file: String) throws -> Volume {
        let sorted = slabs.sorted { $0.z0 < $1.z0 }
        guard let first = sorted.first, first.shape.count == 3 else { throw TaskError("\(file): no slabs to assemble") }
        let shape = BCDIShape(nz: first.shape[0], ny: first.shape[1], nx: first.shape[2])
        var z = 0
        var psi: [Float] = [], phase: [Float] = [], support: [UInt8] = []
        psi.reserveCapacity(shape.count)
        phase.reserveCapacity(shape.count)
        support.reserveCapacity(shape.count)
        for slab in sorted {
            guard slab.z0 == z, slab.shape == first.shape, slab.psi.count == (slab.z1 - slab.z0) * shape.planeCount else {
                throw TaskError("\(file): slab files do not tile the volume (planes \(slab.z0)..<\(slab.z1) after \(z)); re-run the job")
            }
            psi += slab.psi
            phase += slab.phase
            support += slab.support
            z = slab.z1
        }
        guard z == shape.nz else { throw TaskError("\(file): slabs end at plane \(z) of \(shape.nz); re-run the job") }
        return Volume(shape: shape, psi: psi, phase: phase, support: support, ramp: first.ramp, maskSource: first.maskSource)
    }

    /// `[x, y, z]` with 4 decimals.
    static func vector(_ v: SIMD3<Double>) -> String {
        String(format: "[%.4f,%.4f,%.4f]", v.x, v.y, v.z)
    }

    /// `[[x, y, z], …]` with 3 decimals.
    static func json(_ points: [SIMD3<Double>]) -> String {
        "[" + points.map { String(format: "[%.3f,%.3f,%.3f]", $0.x, $0.y, $0.z) }.joined(separator: ",") + "]"
    }
}
