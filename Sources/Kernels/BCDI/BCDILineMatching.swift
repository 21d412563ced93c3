/// Line matching across the volumes of a time series: a polyline distance, gated Hungarian
/// assignment between consecutive volumes, and track ids.
public enum BCDILineMatching {
    /// Symmetric mean closest-point distance (voxels): the mean over points of `a` (resampled
    /// every `step`) of the distance to `b`, averaged with the same from `b` to `a`.
    public static func distance(_ a: BCDILine, _ b: BCDILine, step: Double = 0.5) -> Double {
        let pa = BCDIEvaluation.resample(a, step: step), pb = BCDIEvaluation.resample(b, step: step)
        let sa = a.segments, sb = b.segments
        guard !pa.isEmpty, !pb.isEmpty else { return .infinity }
        let ab = pa.reduce(0) { $0 + BCDIEvaluation.distance($1, to: sb) } / Double(pa.count)
        let ba = pb.reduce(0) { $0 + BCDIEvaluation.distance($1, to: sa) } / Double(pb.count)
        return (ab + ba) / 2
    }

    /// For every line of `previous`, the index of its match in `next` or nil: minimum total
    /// distance, pairs farther apart than `gate` voxels never matched.
    public static func match(_ previous: [BCDILine], _ next: [BCDILine], gate: Double) -> [Int?] {
        var cost = [Double](repeating: .infinity, count: previous.count * next.count)
        for (i, a) in previous.enumerated() {
            for (j, b) in next.enumerated() {
                let d = distance(a, b)
                if d <= gate { cost[i * next.count + j] = d }
            }
        }
        return Hungarian.solve(cost: cost, rows: previous.count, columns: next.count)
    }
}

/// One line of one volume with its track.
public struct BCDITrackedLine: Hashable, Sendable {
    /// Index of the volume in the series and of the line in that volume's list.
    public var volume: Int
    public var line: Int
    /// Track id, shared by the matched lines of consecutive volumes; new ids count up from 0.
    public var track: Int
    /// Symmetric mean distance to the matched line of the previous volume (nil for a new track).
    public var displacement: Double?
    /// Centroid shift `[x, y, z]` from the matched line of the previous volume.
    public var shift: SIMD3<Double>?

    public init(volume: Int, line: Int, track: Int, displacement: Double? = nil, shift: SIMD3<Double>? = nil) {
        self.volume = volume
        self.line = line
        self.track = track
        self.displacement = displacement
        self.shift = shift
    }
}

/// Track ids through a time series of detected lines.
public enum BCDITracker {
    /// Tracks through `volumes` (the lines of each volume in order): consecutive volumes are
    /// matched with `BCDILineMatching.match`; an unmatched line starts a new track.
    public static func track(_ volumes: [[BCDILine]], gate: Double = 5) -> [[BCDITrackedLine]] {
        var out: [[BCDITrackedLine]] = []
        var nextTrack = 0
        for (v, lines) in volumes.enumerated() {
            var tracked = lines.indices.map { BCDITrackedLine(volume: v, line: $0, track: -1) }
            if v > 0 {
                let prev = volumes[v - 1]
                let m = BCDILineMatching.match(prev, lines, gate: gate)
                for (i, j) in m.enumerated() {
                    guard let j else { continue }
                    tracked[j].track = out[v - 1][i].track
                    tracked[j].displacement = BCDILineMatching.distance(prev[i], lines[j])
                    tracked[j].shift = centroid(lines[j]) - centroid(prev[i])
                }
            }
            for k in tracked.indices where tracked[k].track < 0 {
                tracked[k].track = nextTrack
                nextTrack += 1
            }
            out.append(tracked)
        }
        return out
    }

    /// Length-weighted centroid of a line's points.
    static func centroid(_ line: BCDILine) -> SIMD3<Double> {
        let p = BCDIEvaluation.resample(line, step: 0.5)
        return p.isEmpty ? .zero : p.reduce(.zero, +) / Double(p.count)
    }
}
