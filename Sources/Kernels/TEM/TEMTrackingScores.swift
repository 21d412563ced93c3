/// CLEAR-MOT (MOTA, identity switches) and HOTA of tracks against the truth, accumulated frame
/// by frame from one-to-one matches between the true dislocations and the *tracked* curves of
/// each frame (curves left out of every track are not hypotheses, as in IDF1).
///
/// HOTA is taken at the one localisation threshold of the matching (the curve gate) rather than
/// averaged over thresholds: a curve match is a distance gate, not an IoU.
public struct TEMTrackingScores: Codable, Sendable, Equatable {
    /// 1 − (misses + false tracked curves + identity switches) / true dislocation-frames.
    public var mota: Double
    /// √(DetA · AssA).
    public var hota: Double
    /// Detection accuracy TP / (TP + FN + FP) and association accuracy (mean over the TPs of
    /// TPA / (TPA + FNA + FPA)).
    public var detA: Double
    public var assA: Double
    /// A true dislocation matched in a frame to another track than at its previous match.
    public var idSwitches: Int
    public var truePositives: Int
    public var misses: Int
    public var falsePositives: Int
}

/// Collects the per-frame matches, then scores them (`TEMEvaluator` feeds it).
public struct TEMTrackingScoresAccumulator: Sendable {
    /// (truth id, track id) of every TP, in frame order.
    private var pairs: [(truth: Int, track: Int)] = []
    private var truthCount: [Int: Int] = [:]
    private var trackCount: [Int: Int] = [:]
    private var lastTrack: [Int: Int] = [:]
    private var misses = 0, falsePositives = 0, switches = 0

    public init() {}

    /// One frame: the ids of its true dislocations, the track ids of its tracked curves, and the
    /// match (`match[i]`: index into `tracks` of truth i's partner, or nil).
    public mutating func add(truth: [Int], tracks: [Int], match: [Int?]) {
        for g in truth { truthCount[g, default: 0] += 1 }
        for h in tracks { trackCount[h, default: 0] += 1 }
        var used = Set<Int>()
        for (i, g) in truth.enumerated() {
            guard i < match.count, let j = match[i] else { misses += 1; continue }
            used.insert(j)
            let h = tracks[j]
            pairs.append((g, h))
            if let previous = lastTrack[g], previous != h { switches += 1 }
            lastTrack[g] = h
        }
        falsePositives += tracks.count - used.count
    }

    /// The scores; a video without truth and without tracked curves scores 1.
    public func scores() -> TEMTrackingScores {
        let tp = pairs.count
        let nTruth = truthCount.values.reduce(0, +)
        let mota = nTruth > 0 ? 1 - Double(misses + falsePositives + switches) / Double(nTruth) : (falsePositives == 0 ? 1 : 0)
        let detDenominator = tp + misses + falsePositives
        let detA = detDenominator > 0 ? Double(tp) / Double(detDenominator) : 1
        var tpa: [Int: Int] = [:] // truth << 32 | track → TPs of the pair
        for p in pairs { tpa[p.truth << 32 | p.track, default: 0] += 1 }
        var assSum = 0.0
        for p in pairs {
            let both = Double(tpa[p.truth << 32 | p.track]!)
            assSum += both / (Double(truthCount[p.truth]! + trackCount[p.track]!) - both)
        }
        let assA = tp > 0 ? assSum / Double(tp) : (detDenominator == 0 ? 1 : 0)
        return TEMTrackingScores(mota: mota, hota: (detA * assA).squareRoot(), detA: detA, assA: assA,
                                 idSwitches: switches, truePositives: tp, misses: misses, falsePositives: falsePositives)
    }
}
