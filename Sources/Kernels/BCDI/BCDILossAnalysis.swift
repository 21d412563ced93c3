/// Where a draw's recall and precision are lost: every missed true point and every wrong
/// detected point (resampled every 0.25 voxel) is put in the first class that explains it.
/// For the accuracy harness's `--verbose` report: the figures say *why* a preset falls short.
public struct BCDILossAnalysis: Hashable, Sendable {
    /// Missed true points by cause, as fractions of all true points:
    /// `unresolved` (the noise-free field has no vortex there), `outside` (not in the support
    /// the finder used), `surface` (within 2 voxels of its edge), `no-core` (no Ψ core voxel
    /// within the tolerance), `filtered` (a line there was dropped as a noise pair),
    /// `tracing` (core voxels there, but no line: thinning, pruning, component size).
    public var missed: [String: Double]
    /// Missed true points within 5 voxels of another true line (a close pair), fraction of all.
    public var missedNearOtherLine: Double
    /// Wrong detected points by place, as fractions of all detected points: `surface` (within
    /// 2 voxels of the support's edge), `near-line` (within 3 voxels of a true line:
    /// misplaced), `interior`.
    public var wrong: [String: Double]

    /// Classifies the losses of `result` on `volume`; `residues` are the noise-free field's.
    public static func analyse(volume: BCDISyntheticVolume, result: BCDIVolumeAnalysis.Result, residues: [SIMD3<Double>],
                               settings: BCDIAnalysisSettings, tolerance: Double = 1.5) -> BCDILossAnalysis {
        let shape = volume.shape
        let truthLines = volume.truth.map { BCDILine(points: $0, closed: false) }
        let tSeg = truthLines.flatMap(\.segments), dSeg = result.lines.flatMap(\.segments)
        // The same lines with the noise-pair rules waived: traced as the finder traced them (the
        // same smoothing, precision map, blur and fill), so that `filtered` counts only points a
        // dropped line would have covered.
        var unfiltered = settings.lines
        unfiltered.minFreeLength = 0
        unfiltered.minLoopDiameter = 0
        unfiltered.fieldBlur = result.fieldBlur
        unfiltered.rampPull = result.rampPull
        let all = BCDILines.detect(psi: result.psi, support: result.support, phase: result.phase, shape: shape, options: unfiltered,
                                   filled: result.filled, precision: result.precision).flatMap(\.segments)
        let grid = BCDIPointGrid(points: residues, cell: tolerance)
        let edge = edgeDistance(result.support, shape: shape, limit: 3)
        func voxel(_ p: SIMD3<Double>) -> Int? {
            let r = p.rounded(.toNearestOrEven)
            guard shape.contains(x: Int(r.x), y: Int(r.y), z: Int(r.z)) else { return nil }
            return shape.index(x: Int(r.x), y: Int(r.y), z: Int(r.z))
        }
        func hasCore(_ p: SIMD3<Double>) -> Bool {
            let r = p.rounded(.toNearestOrEven)
            for dz in -2...2 { for dy in -2...2 { for dx in -2...2 {
                let q = SIMD3(Int(r.x) + dx, Int(r.y) + dy, Int(r.z) + dz)
                guard shape.contains(x: q.x, y: q.y, z: q.z) else { continue }
                let d = SIMD3(Double(q.x), Double(q.y), Double(q.z)) - p
                guard BCDIVec.length(d) <= tolerance, result.psi[shape.index(x: q.x, y: q.y, z: q.z)] > settings.lines.psiCutoff else { continue }
                return true
            } } }
            return false
        }
        var missed: [String: Double] = [:], near = 0.0, total = 0.0
        for (k, line) in truthLines.enumerated() {
            let others = truthLines.enumerated().filter { $0.offset != k }.flatMap(\.element.segments)
            for p in BCDIEvaluation.resample(line, step: 0.25) {
                total += 1
                guard BCDIEvaluation.distance(p, to: dSeg) > tolerance else { continue }
                if BCDIEvaluation.distance(p, to: others) <= 5 { near += 1 }
                let cause: String
                if !grid.hasPoint(within: tolerance, of: p) { cause = "unresolved" }
                else if let v = voxel(p), result.support[v] == 0 { cause = "outside" }
                else if let v = voxel(p), edge[v] <= 2 { cause = "surface" }
                else if voxel(p) == nil { cause = "outside" }
                else if !hasCore(p) { cause = "no-core" }
                else if BCDIEvaluation.distance(p, to: all) <= tolerance { cause = "filtered" }
                else { cause = "tracing" }
                missed[cause, default: 0] += 1
            }
        }
        var wrong: [String: Double] = [:], detected = 0.0
        for p in result.lines.flatMap({ BCDIEvaluation.resample($0, step: 0.25) }) {
            detected += 1
            let d = BCDIEvaluation.distance(p, to: tSeg)
            guard d > tolerance else { continue }
            let place = voxel(p).map { edge[$0] <= 2 } == true ? "surface" : d <= 3 ? "near-line" : "interior"
            wrong[place, default: 0] += 1
        }
        return BCDILossAnalysis(missed: missed.mapValues { $0 / max(1, total) }, missedNearOtherLine: near / max(1, total),
                                wrong: wrong.mapValues { $0 / max(1, detected) })
    }

    /// Chessboard distance of each support voxel to the nearest unsupported voxel or the array
    /// border, up to `limit` (larger values are `limit + 1`); 0 outside the support.
    static func edgeDistance(_ support: [UInt8], shape: BCDIShape, limit: Int) -> [Int] {
        var d = support.map { $0 != 0 ? limit + 1 : 0 }
        for step in 1...limit {
            var next = d
            for i in 0..<shape.count where d[i] > step {
                let (x, y, z) = shape.coordinates(of: i)
                outer: for dz in -1...1 { for dy in -1...1 { for dx in -1...1 {
                    guard shape.contains(x: x + dx, y: y + dy, z: z + dz) else { next[i] = step; break outer }
                    if d[shape.index(x: x + dx, y: y + dy, z: z + dz)] == step - 1 { next[i] = step; break outer }
                } } }
            }
            d = next
        }
        return d
    }
}
