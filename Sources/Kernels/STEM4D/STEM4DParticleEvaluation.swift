/// Scores reconstructed particles against the truth of a synthetic cube.
public enum STEM4DParticleEvaluation {
    /// Scores: recall over truth spheres, precision over found particles, errors of matches.
    public struct Score: Sendable, Hashable, Codable {
        public var truthCount: Int
        public var foundCount: Int
        public var matched: Int
        public var recall: Double
        public var precision: Double
        /// Median |Δz| and median lateral distance of matched pairs, px.
        public var medianDepthError: Double
        public var medianLateralError: Double
        /// Median |Δradius| of matched pairs, px.
        public var medianRadiusError: Double
        /// Least-squares slope of found z against true z over the matched pairs (1 = right
        /// depth scale; NaN when nothing matched).
        public var depthScale: Double = .nan
        /// Indices of the true spheres no found particle matched, and of the found particles
        /// that matched no true sphere (for diagnosing where a method fails).
        public var missedTruth: [Int] = []
        public var unmatchedFound: [Int] = []
        /// The matched pairs `[truth index, found index]`.
        public var matches: [[Int]] = []
    }

    /// One-to-one matching (Hungarian on 3D distance) gated by `lateralTolerance` (xy) and
    /// `depthTolerance` (z). `truth` rows are [x, y, z, radius].
    public static func score(truth: [[Double]], found: [STEM4DParticle3D], lateralTolerance: Double = 2,
                             depthTolerance: Double = 6) -> Score {
        let n = truth.count, m = found.count
        var cost = [Double](repeating: .infinity, count: n * m)
        for i in 0..<n {
            for j in 0..<m {
                let t = truth[i], f = found[j]
                let lat = ((t[0] - f.x) * (t[0] - f.x) + (t[1] - f.y) * (t[1] - f.y)).squareRoot()
                let dz = abs(t[2] - f.z)
                if lat <= lateralTolerance && dz <= depthTolerance { cost[i * m + j] = lat * lat + dz * dz }
            }
        }
        var dz: [Double] = [], dl: [Double] = [], dr: [Double] = []
        var szz = 0.0, szf = 0.0
        var truthMatched = [Bool](repeating: false, count: n), foundMatched = [Bool](repeating: false, count: m)
        var matches: [[Int]] = []
        if n > 0 && m > 0 {
            for (i, j) in Hungarian.solve(cost: cost, rows: n, columns: m).enumerated() {
                guard let j else { continue }
                truthMatched[i] = true; foundMatched[j] = true
                matches.append([i, j])
                let t = truth[i], f = found[j]
                dz.append(abs(t[2] - f.z))
                dl.append(((t[0] - f.x) * (t[0] - f.x) + (t[1] - f.y) * (t[1] - f.y)).squareRoot())
                dr.append(abs(t[3] - f.radius))
                szz += t[2] * t[2]; szf += t[2] * f.z
            }
        }
        return Score(truthCount: n, foundCount: m, matched: dz.count,
                     recall: n > 0 ? Double(dz.count) / Double(n) : 1,
                     precision: m > 0 ? Double(dz.count) / Double(m) : 1,
                     medianDepthError: median(dz), medianLateralError: median(dl), medianRadiusError: median(dr),
                     depthScale: szz > 0 ? szf / szz : .nan,
                     missedTruth: truthMatched.indices.filter { !truthMatched[$0] },
                     unmatchedFound: foundMatched.indices.filter { !foundMatched[$0] }, matches: matches)
    }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return .nan }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
