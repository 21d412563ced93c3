import Foundation
import Kernels
import Shared

/// The `bcdi` merge: for every volume whose shards all finished, assembles Ψ from its
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
        /// The support's voxels that the notch fill added, when the slabs carry them.
        public var filled: [UInt8]? = nil
        /// The precision of a zero's position per voxel, when the slabs carry it (`line_smoothing`).
        public var precision: [Float]? = nil
        /// The blur still in the field the phase was taken from, when the slabs carry it (`line_smoothing`).
        public var fieldBlur: Double = 0
        /// The blur that acted while the ramp was in the field, when the slabs carry it (`line_smoothing`).
        public var rampBlur: Double = 0
    }

    static let tables = ["bcdi_volume_results", "bcdi_line_results"]

    static func run(shards: [ShardInput<BCDITaskPayload, BCDIShardOutput>], options: BCDIJobOptions,
                    context: KindContext) throws -> [ResultRows] {
        var byVolume: [Int: [ShardInput<BCDITaskPayload, BCDIShardOutput>]] = [:]
        for shard in shards { byVolume[shard.payload.volumeIndex, default: []].append(shard) }
        var analysed: [AnalysedVolume] = []
        var volumeRows = ResultRows(table: "bcdi_volume_results", columns: [
            "volume_index", "volume_file", "psi_file", "shape", "n_unmasked", "max_psi", "n_lines", "png_file",
            "vtk_file", "mask_source", "ramp", "method", "n_members",
        ])
        for index in byVolume.keys.sorted() {
            // An ensemble's members by position; a plain volume is its only member.
            var byMember: [Int: [ShardInput<BCDITaskPayload, BCDIShardOutput>]] = [:]
            for part in byVolume[index]! { byMember[part.payload.member ?? 0, default: []].append(part) }
            let members = byMember.keys.sorted().compactMap { m -> [ShardInput<BCDITaskPayload, BCDIShardOutput>]? in
                let parts = byMember[m]!
                guard parts.allSatisfy(\.succeeded) else {
                    context.logger.notice("bcdi reconstruction left out: a shard did not finish", metadata: ["volume.index": "\(index)", "volume.file": "\(parts[0].payload.file)"])
                    return nil
                }
                return parts
            }
            guard !members.isEmpty else { continue }
            let (volume, row) = try analyse(volume: index, members: members, options: options, context: context)
            analysed.append(volume)
            volumeRows.rows.append(row)
        }
        let lineRows = try trackLines(analysed, options: options, context: context)
        return [volumeRows, lineRows]
    }

    /// One volume (time step) of the series with its lines; for an ensemble, the consensus
    /// lines with their confidence and the number of members that hold each.
    struct AnalysedVolume {
        var index: Int
        var file: String
        var lines: [BCDILine]
        var confidence: [Double?]
        var agreeing: [Int?]
    }

    /// One reconstruction assembled from its slabs, with its lines.
    struct Member {
        var payload: BCDITaskPayload
        var volume: Volume
        var lines: [BCDILine]
    }

    /// Assembles each member of one time step from its slabs, finds its lines, combines an
    /// ensemble's lines, and writes the Ψ volumes and the projection PNG; returns the lines
    /// and the volume's row (Ψ file, support and ramp of the first member).
    static func analyse(volume index: Int, members parts: [[ShardInput<BCDITaskPayload, BCDIShardOutput>]], options: BCDIJobOptions,
                        context: KindContext) throws -> (AnalysedVolume, [(any PGValue)?]) {
        let output = context.output.path
        let members = try parts.map { shards -> Member in
            let payload = shards[0].payload
            let slabs = try shards.map { try BCDISlabComputation.read(try context.output.check($0.output!.slabFile)) }
            let volume = try assemble(slabs, file: payload.file)
            let lines = self.lines(of: volume, options: options)
            try writePsi(volume, to: try context.output.check(BCDIPaths.psi(output, volume: index, member: payload.member)))
            return Member(payload: payload, volume: volume, lines: lines)
        }
        let first = members[0]
        var analysed = AnalysedVolume(index: index, file: first.payload.file, lines: first.lines,
                                      confidence: first.lines.map { _ in nil }, agreeing: first.lines.map { _ in nil })
        if first.payload.member != nil {
            // An ensemble step is named by its directory.
            analysed.file = (first.payload.file as NSString).deletingLastPathComponent
            let consensus = BCDIEnsemble.combine(
                members.map(\.lines), centroids: members.map { BCDIPhaseRamp.supportCentroid($0.volume.support, shape: $0.volume.shape) })
            analysed.lines = consensus.map(\.line)
            analysed.confidence = consensus.map(\.confidence)
            analysed.agreeing = consensus.map(\.agreeing)
        }
        let volume = first.volume
        let pngFile = BCDIPaths.png(output, volume: index)
        let image = BCDIProjectionImage.render(support: volume.support, shape: volume.shape, lines: analysed.lines)
        try AtomicFile.write(pngFile) { try PNGWriter.writeRGB8(path: $0, width: image.width, height: image.height, pixels: image.pixels) }
        let unmasked = volume.support.reduce(0) { $0 + Int($1) }
        let shapeArray = [volume.shape.nz, volume.shape.ny, volume.shape.nx]
        let row: [(any PGValue)?] = [
            index, analysed.file, BCDIPaths.psi(output, volume: index, member: first.payload.member),
            PGJSON(raw: "[\(shapeArray.map(String.init).joined(separator: ","))]"),
            Int64(unmasked), Double(volume.psi.max() ?? 0), analysed.lines.count, pngFile, BCDIPaths.vtk(output, volume: index),
            volume.maskSource, PGJSON(raw: "[\(volume.ramp.map { String(format: "%.6g", $0) }.joined(separator: ","))]"),
            options.method, members.count,
        ]
        return (analysed, row)
    }

    /// The lines of one assembled volume under the job's options (with the notch fill's voxels
    /// when the slabs carry them, for `fill_ends`).
    public static func lines(of volume: Volume, options: BCDIJobOptions) -> [BCDILine] {
        var lineOptions = options.analysisSettings.lines
        lineOptions.fieldBlur = volume.fieldBlur
        if volume.ramp.count == 3 {
            lineOptions.rampPull = SIMD3(volume.ramp[0], volume.ramp[1], volume.ramp[2]) * (volume.rampBlur * volume.rampBlur)
        }
        return BCDILines.detect(psi: volume.psi, support: volume.support, phase: volume.phase, shape: volume.shape,
                                options: lineOptions, filled: volume.filled, precision: volume.precision)
    }

    /// Writes `/psi` (float32) and `/support` (uint8) of one volume.
    static func writePsi(_ volume: Volume, to path: String) throws {
        let shapeArray = [volume.shape.nz, volume.shape.ny, volume.shape.nx]
        try AtomicFile.write(path) { temporary in
            let file = try HDF5File.create(path: temporary)
            try file.write(volume.psi, shape: shapeArray, to: "/psi")
            try file.write(volume.support, shape: shapeArray, to: "/support")
            try file.close()
        }
    }

    /// Tracks the lines through the series, writes each volume's VTK file, returns the line rows.
    static func trackLines(_ analysed: [AnalysedVolume], options: BCDIJobOptions, context: KindContext) throws -> ResultRows {
        let tracked = BCDITracker.track(analysed.map(\.lines), gate: options.trackGate)
        var lineRows = ResultRows(table: "bcdi_line_results", columns: [
            "volume_index", "volume_file", "line_id", "track_id", "points", "length_vox", "length_nm", "closed",
            "start_on_surface", "end_on_surface", "max_psi", "direction", "winding_sign", "displacement_vox", "shift",
            "confidence", "n_agreeing",
        ])
        for (v, volume) in analysed.enumerated() {
            var vtk = VTKPolyData(title: "Slipline bcdi lines: job \(context.jobId), volume \(volume.index) (\((volume.file as NSString).lastPathComponent)), [x, y, z] in voxels")
            var trackIds: [Int] = []
            for (l, line) in volume.lines.enumerated() {
                let t = tracked[v][l]
                trackIds.append(t.track)
                vtk.lines.append(.init(points: line.points.map { [$0.x, $0.y, $0.z] }, closed: line.closed))
                lineRows.rows.append([
                    volume.index, volume.file, l, Int64(t.track), PGJSON(raw: json(line.points)), line.length,
                    options.voxelSizeNm.map { line.length * $0 }, line.closed, line.startOnSurface, line.endOnSurface,
                    Double(line.maxPsi), PGJSON(raw: vector(line.direction)), line.windingSign,
                    t.displacement, t.shift.map { PGJSON(raw: vector($0)) }, volume.confidence[l], volume.agreeing[l],
                ])
            }
            vtk.cellScalars = [("line_id", Array(volume.lines.indices)), ("track_id", trackIds)]
            try AtomicFile.write(BCDIPaths.vtk(context.output.path, volume: volume.index), text: vtk.render())
        }
        return lineRows
    }

    /// Puts the slabs of one volume together (they must cover 0..<nz without gaps).
    public static func assemble(_ slabs: [BCDISlabResult], file: String) throws -> Volume {
        let sorted = slabs.sorted { $0.z0 < $1.z0 }
        guard let first = sorted.first, first.shape.count == 3 else { throw TaskError("\(file): no slabs to assemble") }
        let shape = BCDIShape(nz: first.shape[0], ny: first.shape[1], nx: first.shape[2])
        var z = 0
        var psi: [Float] = [], phase: [Float] = [], support: [UInt8] = []
        // The fill's voxels only when every slab carries them.
        var filled: [UInt8]? = sorted.allSatisfy { $0.filled != nil } ? [] : nil
        var precision: [Float]? = sorted.allSatisfy { $0.precision != nil } ? [] : nil
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
            if let f = slab.filled { filled? += f }
            if let p = slab.precision { precision? += p }
            z = slab.z1
        }
        guard z == shape.nz else { throw TaskError("\(file): slabs end at plane \(z) of \(shape.nz); re-run the job") }
        return Volume(shape: shape, psi: psi, phase: phase, support: support, ramp: first.ramp, maskSource: first.maskSource, filled: filled,
                      precision: precision, fieldBlur: first.fieldBlur ?? 0, rampBlur: first.rampBlur ?? 0)
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
