/// Scores 3D lines against the truth polylines of a synthetic cube.
public enum STEM4DLineEvaluation {
    public struct Score: Sendable, Hashable, Codable {
        /// Reconstructed points within `lateralTolerance` (xy) of a truth line.
        public var matchedPoints: Int
        public var totalPoints: Int
        /// Median |Δz| of matched points against the nearest (in xy) truth point, px.
        public var medianDepthError: Double
        /// Fraction of truth points (resampled every 0.5 px) with a reconstructed point within the tolerance.
        public var coverage: Double
        /// Least-squares slope of found z against true z over the matched points (1 = right
        /// depth scale; NaN when nothing matched or all true depths are 0).
        public var depthScale: Double = .nan
    }

    /// Compares `found` lines with `truth` polylines (`[x, y, z]` points).
    public static func score(truth: [[[Double]]], found: [STEM4DLine3D], lateralTolerance: Double = 2) -> Score {
        var dense: [[Double]] = []
        for line in truth where line.count >= 2 {
            for k in 1..<line.count {
                let a = line[k - 1], b = line[k]
                let len = ((b[0] - a[0]) * (b[0] - a[0]) + (b[1] - a[1]) * (b[1] - a[1])).squareRoot()
                let n = max(1, Int((len / 0.5).rounded(.up)))
                for s in 0..<n {
                    let t = Double(s) / Double(n)
                    dense.append([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2])])
                }
            }
            dense.append(line[line.count - 1])
        }
        let pts = found.flatMap { $0.points }
        let tol2 = lateralTolerance * lateralTolerance
        var errs: [Double] = []
        var szz = 0.0, szf = 0.0
        var covered = [Bool](repeating: false, count: dense.count)
        for p in pts {
            var best = Double.infinity, bi = -1
            for (i, q) in dense.enumerated() {
                let d2 = (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1])
                if d2 < best { best = d2; bi = i }
                if d2 <= tol2 { covered[i] = true }
            }
            if best <= tol2 {
                errs.append(abs(p[2] - dense[bi][2]))
                szz += dense[bi][2] * dense[bi][2]; szf += dense[bi][2] * p[2]
            }
        }
        return Score(matchedPoints: errs.count, totalPoints: pts.count,
                     medianDepthError: STEM4DParticleEvaluation.median(errs),
                     coverage: dense.isEmpty ? 1 : Double(covered.filter { $0 }.count) / Double(dense.count),
                     depthScale: szz > 0 ? szf / szz : .nan)
    }
}
