/// Tools that tell, per randomised draw, where its identity score is lost (`ctl bench tem
/// --draws N --attribute`): a one-line account of what was drawn, and the identities a perfect
/// tracker would give the detector's own curves. For benchmarks, not tracking.
public enum TEMDrawsAttribution {
    /// Tracks that give every detected curve the identity of the true line it lies on: a curve
    /// belongs to the true line holding the most of its points within `gate` px, when that is at
    /// least half of them; curves on no line are left out (a tracker could drop them as noise).
    /// Scored with `TEMEvaluator`, this is the IDF1 the detection allows: what is lost below it
    /// is misses, cuts and curves over two lines, not linking.
    public static func oracleTracks(truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]], gate: Double = 3) -> [TEMTrack] {
        var members: [Int: [(frame: Int, curve: Int)]] = [:]
        for f in 0..<min(truth.count, detected.count) {
            let lines = truth[f].map { PointGrid(TEMPolyline.resample($0.points, spacing: 0.5), cell: gate) }
            for (c, curve) in detected[f].enumerated() {
                let points = TEMPolyline.resample(curve, spacing: 1)
                guard !points.isEmpty else { continue }
                var best = -1, bestCount = 0
                for (i, grid) in lines.enumerated() {
                    let n = points.reduce(0) { $0 + (grid.hasPoint(within: gate, of: $1) ? 1 : 0) }
                    if n > bestCount { best = i; bestCount = n }
                }
                if best >= 0, 2 * bestCount >= points.count { members[truth[f][best].id, default: []].append((f, c)) }
            }
        }
        return members.keys.sorted().map { id in
            let m = members[id]!
            return TEMTrack(id: id, frames: m.map(\.frame), curveIndices: m.map(\.curve), centroids: [], velocities: [],
                            neighbourDistances: [])
        }
    }

    /// The draw's nuisances in one line: line style, mean width and contrast, drawn visibility,
    /// blur, dose (e⁻/px, 0 none) and read noise, stage drift speed and jitter, dropped and
    /// repeated frame chances, flicker, bend contours and spots, and whether the video has a
    /// close pair or a source-fed band.
    public static func nuisanceSummary(_ p: TEMSynthParams) -> String {
        guard let n = p.nuisance else { return "preset" }
        let lines = p.pileups.flatMap(\.dislocations)
        let k = Double(max(1, lines.count))
        let width = lines.map(\.width).reduce(0, +) / k, contrast = lines.map(\.contrast).reduce(0, +) / k
        func f(_ x: Double, _ d: Int) -> String { TEMBenchmark.fmt(x, d) }
        var parts = ["w \(f(width, 1))", "c \(f(contrast, 2))", "vis \(f(n.visibility ?? .nan, 1))", "blur \(f(n.blurSigma, 1))",
                     "dose \(f(n.dose, 0))", "read \(f(n.readNoise, 3))",
                     "drift \(f(TEMPolyline.norm(n.driftVelocity), 1))+j\(f(n.jitter, 1))",
                     "drop \(f(n.pDrop, 2))", "rep \(f(n.pRepeat, 2))", "flick \(f(n.flicker, 2))",
                     "bends \(n.bendContours.count)", "spots \(n.spots.count)", "lines \(lines.count)"]
        if lines.contains(where: \.pairedWithPrevious) { parts.append("pair") }
        if p.pileups.contains(where: { $0.motion.exit != nil }) { parts.append("fed") }
        return parts.joined(separator: " ")
    }
}
