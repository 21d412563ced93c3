/// One line of an ensemble's consensus with how far the reconstructions agree on it.
public struct BCDIConsensusLine: Sendable {
    /// The line as found in the member that agrees best with the others, shifted into the
    /// frame of member 0.
    public var line: BCDILine
    /// Mean over the members of the fraction of this line found (within the gate) in that
    /// member: 1 when every reconstruction has it, 1/M when only one of M does.
    public var confidence: Double
    /// Members holding at least half of the line.
    public var agreeing: Int
    /// The member the line was taken from.
    public var member: Int
}

/// Several reconstructions of one time step (an ensemble: PyNX runs from different random
/// starts) combined into one set of lines, each with a confidence from their agreement.
///
/// The members are registered by their support centroids (reconstructions of one dataset
/// may sit a voxel or two apart in the array); a line of one member counts as present in
/// another where its points lie within `gate` voxels of that member's lines.
public enum BCDIEnsemble {
    /// Combines `members` (the lines of each reconstruction, in its own frame; `centroids`
    /// its support centroid). Lines are taken greedily by confidence; a line whose points lie
    /// mostly (≥ half) within the gate of a line already taken is the same line and dropped.
    public static func combine(_ members: [[BCDILine]], centroids: [SIMD3<Double>], gate: Double = 2) -> [BCDIConsensusLine] {
        precondition(members.count == centroids.count, "one centroid per member")
        guard let reference = centroids.first else { return [] }
        let m = members.count
        let aligned = members.enumerated().map { k, lines in
            lines.map { shifted($0, by: reference - centroids[k]) }
        }
        let segments = aligned.map { $0.flatMap(\.segments) }
        var candidates: [BCDIConsensusLine] = []
        for (k, lines) in aligned.enumerated() {
            for line in lines {
                let points = BCDIEvaluation.resample(line, step: 0.5)
                var total = 1.0, agreeing = 1
                for other in 0..<m where other != k {
                    let f = fraction(points, near: segments[other], gate: gate)
                    total += f
                    if f >= 0.5 { agreeing += 1 }
                }
                candidates.append(BCDIConsensusLine(line: line, confidence: total / Double(m), agreeing: agreeing, member: k))
            }
        }
        candidates.sort { ($0.confidence, $0.line.length, -$0.member) > ($1.confidence, $1.line.length, -$1.member) }
        var kept: [BCDIConsensusLine] = []
        var keptSegments: [(SIMD3<Double>, SIMD3<Double>)] = []
        for c in candidates {
            let points = BCDIEvaluation.resample(c.line, step: 0.5)
            guard fraction(points, near: keptSegments, gate: gate) < 0.5 else { continue }
            kept.append(c)
            keptSegments += c.line.segments
        }
        return kept
    }

    /// Fraction of `points` within `gate` of any segment.
    static func fraction(_ points: [SIMD3<Double>], near segments: [(SIMD3<Double>, SIMD3<Double>)], gate: Double) -> Double {
        guard !points.isEmpty, !segments.isEmpty else { return 0 }
        let near = points.filter { BCDIEvaluation.distance($0, to: segments) <= gate }.count
        return Double(near) / Double(points.count)
    }

    static func shifted(_ line: BCDILine, by d: SIMD3<Double>) -> BCDILine {
        var out = line
        out.points = line.points.map { $0 + d }
        return out
    }
}
