/// Recall, precision and mean distance of detected lines against true lines.
public struct BCDILineScore: Hashable, Sendable {
    /// Fraction of true line points within `tolerance` of a detected line.
    public var recall: Double
    /// Fraction of detected line points within `tolerance` of a true line.
    public var precision: Double
    /// Mean distance (voxels) from true points to the nearest detected line, and back,
    /// averaged over both point sets.
    public var meanDistance: Double
    public var truthPoints: Int
    public var detectedPoints: Int
}

/// Scoring of detected lines against synthetic ground truth.
public enum BCDIEvaluation {
    /// Scores `detected` against `truth` (polylines `[x, y, z]`), both resampled every 0.25 voxel.
    public static func score(truth: [[SIMD3<Double>]], detected: [BCDILine], tolerance: Double = 1.5) -> BCDILineScore {
        let truthLines = truth.map { BCDILine(points: $0, closed: false) }
        let tp = truthLines.flatMap { resample($0, step: 0.25) }
        let dp = detected.flatMap { resample($0, step: 0.25) }
        let tSeg = truthLines.flatMap(\.segments), dSeg = detected.flatMap(\.segments)
        let dt = tp.map { distance($0, to: dSeg) }
        let dd = dp.map { distance($0, to: tSeg) }
        let recall = tp.isEmpty ? 1 : Double(dt.filter { $0 <= tolerance }.count) / Double(tp.count)
        let precision = dp.isEmpty ? (tp.isEmpty ? 1 : 0) : Double(dd.filter { $0 <= tolerance }.count) / Double(dp.count)
        let all = (dt + dd).filter(\.isFinite)
        let mean = all.isEmpty ? 0 : all.reduce(0, +) / Double(all.count)
        return BCDILineScore(recall: recall, precision: precision, meanDistance: mean, truthPoints: tp.count, detectedPoints: dp.count)
    }

    /// Points along the line every ≤ `step` voxels, both ends included.
    public static func resample(_ line: BCDILine, step: Double) -> [SIMD3<Double>] {
        var out: [SIMD3<Double>] = []
        for (a, b) in line.segments {
            let n = max(1, Int((BCDIVec.length(b - a) / step).rounded(.up)))
            for k in 0..<n { out.append(a + (b - a) * (Double(k) / Double(n))) }
        }
        if let last = line.closed ? line.points.first : line.points.last { out.append(last) }
        return out
    }

    /// Distance from `p` to the nearest segment (infinity for none).
    public static func distance(_ p: SIMD3<Double>, to segments: [(SIMD3<Double>, SIMD3<Double>)]) -> Double {
        var best = Double.infinity
        for (a, b) in segments {
            let ab = b - a
            let l2 = BCDIVec.dot(ab, ab)
            let t = l2 > 0 ? min(1, max(0, BCDIVec.dot(p - a, ab) / l2)) : 0
            let e = a + ab * t - p
            best = min(best, BCDIVec.dot(e, e))
        }
        return best.squareRoot()
    }
}
