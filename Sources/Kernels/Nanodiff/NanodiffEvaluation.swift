import Foundation

/// Scores a job's maps and defects against synthetic truth.
///
/// Strain and tilts are measured against a reference the data fixes (the scan median), the
/// truth against the unstrained lattice; so the median difference is removed before the RMS.
/// Positions within `margin` of a true dislocation core are left out of the map RMS (the beam
/// straddles a singular field there; the circulation test, not the map value, is the answer
/// at a core). Recall: true dislocations with a detected one within `tolerance` scan steps
/// (one-to-one, Hungarian).
public enum NanodiffEvaluation {
    public struct Score: Sendable, Equatable {
        public var strainRMS: Double
        public var tiltRMS: Double
        public var recall: Double
        public var precision: Double
        public var truePositives: Int
        public var trueCount: Int
        public var detectedCount: Int
        public var positionsScored: Int
    }

    public static func rms(estimate: [Double], truth: [Double], keep: [Bool]) -> Double {
        let diffs = zip(zip(estimate, truth), keep).compactMap { pair, k in k && pair.0.isFinite && pair.1.isFinite ? pair.0 - pair.1 : nil }
        guard !diffs.isEmpty else { return .nan }
        let m = NanodiffLPAICI.median(diffs)
        return (diffs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(diffs.count)).squareRoot()
    }

    /// Which positions the map RMS scores: those farther than `margin` from every true core.
    public static func mask(width: Int, height: Int, cores: [SIMD2<Double>], margin: Double) -> [Bool] {
        (0..<(width * height)).map { i in
            let p = SIMD2(Double(i % width), Double(i / width))
            return cores.allSatisfy { (($0 - p) * ($0 - p)).sum() > margin * margin }
        }
    }

    public static func match(truth: [SIMD2<Double>], detected: [SIMD2<Double>], tolerance: Double) -> Int {
        guard !truth.isEmpty, !detected.isEmpty else { return 0 }
        var cost = [Double](repeating: .infinity, count: truth.count * detected.count)
        for (i, t) in truth.enumerated() {
            for (j, d) in detected.enumerated() {
                let dist = ((t - d) * (t - d)).sum().squareRoot()
                if dist <= tolerance { cost[i * detected.count + j] = dist }
            }
        }
        let assignment = Hungarian.solve(cost: cost, rows: truth.count, columns: detected.count)
        return assignment.enumerated().filter { i, j in j.map { cost[i * detected.count + $0].isFinite } ?? false }.count
    }

    public static func score(width: Int, height: Int, strain: [Double], trueStrain: [Double], tiltX: [Double], tiltY: [Double],
                             trueTiltX: [Double], trueTiltY: [Double], cores: [SIMD2<Double>], detected: [SIMD2<Double>],
                             tolerance: Double = 1, margin: Double = 1.5) -> Score {
        let keep = mask(width: width, height: height, cores: cores, margin: margin)
        let sx = rms(estimate: tiltX, truth: trueTiltX, keep: keep), sy = rms(estimate: tiltY, truth: trueTiltY, keep: keep)
        let tp = match(truth: cores, detected: detected, tolerance: tolerance)
        return Score(
            strainRMS: rms(estimate: strain, truth: trueStrain, keep: keep),
            tiltRMS: ((sx * sx + sy * sy) / 2).squareRoot(),
            recall: cores.isEmpty ? 1 : Double(tp) / Double(cores.count),
            precision: detected.isEmpty ? (cores.isEmpty ? 1 : 0) : Double(tp) / Double(detected.count),
            truePositives: tp, trueCount: cores.count, detectedCount: detected.count,
            positionsScored: keep.filter { $0 }.count)
    }

    /// Boundary detection against the true boundaries: a detected line matches a true one when
    /// its centre lies within `offset` steps of the true line and its direction within
    /// `angleDeg` (one-to-one, Hungarian). `truth`: (x, y, angle°) of each true line.
    public struct BoundaryScore: Sendable, Equatable {
        public var truePositives: Int, trueCount: Int, detectedCount: Int
        public init(truePositives: Int, trueCount: Int, detectedCount: Int) {
            self.truePositives = truePositives; self.trueCount = trueCount; self.detectedCount = detectedCount
        }
        public var recall: Double { trueCount == 0 ? 1 : Double(truePositives) / Double(trueCount) }
        public var precision: Double { detectedCount == 0 ? (trueCount == 0 ? 1 : 0) : Double(truePositives) / Double(detectedCount) }
    }

    public static func scoreBoundaries(truth: [SIMD3<Double>], detected: [NanodiffDefect], offset: Double = 1.5, angleDeg: Double = 10) -> BoundaryScore {
        let lines = detected.filter { $0.kind == .tiltBoundary && $0.points.count == 2 }
        var cost = [Double](repeating: .infinity, count: truth.count * lines.count)
        for (i, t) in truth.enumerated() {
            let a = (t.z + 90) * .pi / 180
            for (j, d) in lines.enumerated() {
                let distance = abs((d.x - t.x) * cos(a) + (d.y - t.y) * sin(a))
                let direction = atan2(d.points[1][1] - d.points[0][1], d.points[1][0] - d.points[0][0]) * 180 / .pi
                let turn = abs(remainder(direction - t.z, 180))
                if distance <= offset && turn <= angleDeg { cost[i * lines.count + j] = distance + turn / angleDeg }
            }
        }
        var tp = 0
        if !truth.isEmpty && !lines.isEmpty {
            let assignment = Hungarian.solve(cost: cost, rows: truth.count, columns: lines.count)
            tp = assignment.enumerated().filter { i, j in j.map { cost[i * lines.count + $0].isFinite } ?? false }.count
        }
        return BoundaryScore(truePositives: tp, trueCount: truth.count, detectedCount: lines.count)
    }
}
