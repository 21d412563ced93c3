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
        /// Per truth line: covered fraction and median |Δz| of the found points nearest to it.
        public var lineCoverage: [Double] = []
        public var lineDepthError: [Double] = []
        /// Per found line: its points, and how many lie within the tolerance of a truth line.
        public var foundPoints: [Int] = []
        public var foundMatched: [Int] = []
    }

    /// Compares `found` lines with `truth` polylines (`[x, y, z]` points).
    public static func score(truth: [[[Double]]], found: [STEM4DLine3D], lateralTolerance: Double = 2) -> Score {
        var dense: [[Double]] = []
        var owner: [Int] = []
        for (index, line) in truth.enumerated() where line.count >= 2 {
            defer { owner += [Int](repeating: index, count: dense.count - owner.count) }
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
        let pointLine = found.enumerated().flatMap { k, l in [Int](repeating: k, count: l.points.count) }
        var foundMatched = [Int](repeating: 0, count: found.count)
        let tol2 = lateralTolerance * lateralTolerance
        var errs: [Double] = []
        var szz = 0.0, szf = 0.0
        var covered = [Bool](repeating: false, count: dense.count)
        var lineErrors = [[Double]](repeating: [], count: truth.count)
        for (pi, p) in pts.enumerated() {
            var best = Double.infinity, bi = -1
            for (i, q) in dense.enumerated() {
                let d2 = (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1])
                if d2 < best { best = d2; bi = i }
                if d2 <= tol2 { covered[i] = true }
            }
            if best <= tol2 {
                foundMatched[pointLine[pi]] += 1
                errs.append(abs(p[2] - dense[bi][2]))
                lineErrors[owner[bi]].append(abs(p[2] - dense[bi][2]))
                szz += dense[bi][2] * dense[bi][2]; szf += dense[bi][2] * p[2]
            }
        }
        return Score(matchedPoints: errs.count, totalPoints: pts.count,
                     medianDepthError: STEM4DParticleEvaluation.median(errs),
                     coverage: dense.isEmpty ? 1 : Double(covered.filter { $0 }.count) / Double(dense.count),
                     depthScale: szz > 0 ? szf / szz : .nan,
                     lineCoverage: truth.indices.map { l in
                         let mine = dense.indices.filter { owner[$0] == l }
                         return mine.isEmpty ? 1 : Double(mine.filter { covered[$0] }.count) / Double(mine.count)
                     },
                     lineDepthError: lineErrors.map { STEM4DParticleEvaluation.median($0) },
                     foundPoints: found.map(\.points.count), foundMatched: foundMatched)
    }
}
