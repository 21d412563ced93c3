/// Joins linked tracks that hold one line by turns (`TEMTrackerConfig.joinAlternating`).
///
/// A faint line is lost for a frame, a fresh track takes it up, the old one is gap-closed to a
/// later piece of the same line: two (or more) tracks then alternate on the line for thousands of
/// frames, each continued to itself across the other's runs, and gap closing (ends to later
/// starts only) cannot join tracks that are alive at the same time. Two chains are the same line
/// when, read on their tracklet summaries alone:
///
/// - they are (almost) never seen in one frame (`TEMTracklet.seen`; without it, never alive at
///   once): shared frames in at most 1 % of the shorter chain's (a line cut in two pieces that
///   each kept a track for a frame);
/// - every tracklet of one and tracklet of the other alive at once (or within `maxGap + 1`
///   frames) are the same shape at the same glide position at their curves closest in time: the
///   shift (`CurveMatching.glide`) within z = 2.576 (the module's two-sided 1 % level) times
///   √(2σ² + D·Δt), σ the pair's own mean residual / 0.8 (the half-normal mean) floored at the
///   detector's positional noise of 0.5 px, D the glide variance per frame measured on the
///   tracklets' own curves (`glideDiffusion`), Δt the frames between the two curves;
/// - at least one pair says so, and none says otherwise (a curve of the other chain seen
///   beside, e.g. a pile-up neighbour 40 px away, at the same time).
///
/// Chains are joined most-supported pair first, a join refused when any pair of chains across
/// the two groups contradicts or shares frames, so a group never holds two lines.
///
/// Off by default: on the 10,000-frame medium video of seed 1 it joins the wrong tracks (the
/// measured D lets a curve some 50 frames away pass up to ≈ 30 px off), docs/tem.md.
public enum TEMAlternatingTracks {
    /// The two-sided 1 % point of the standard normal.
    static let z = 2.576
    /// The detector's positional noise floor, px (`TEMPieceAbsorption`, `commonShift`).
    static let positionNoise = 0.5

    /// What the tracklet pairs across two chains say.
    struct PairEvidence { var support = 0; var contradict = 0; var shared = 0 }

    /// `chains` (tracklet indices) with the chains that take turns on one line joined; each
    /// returned chain in order of its tracklets' first frames, the chains in order of their first
    /// tracklet.
    public static func join(_ chains: [[Int]], tracklets: [TEMTracklet], config: TEMTrackerConfig) -> [[Int]] {
        guard chains.count > 1 else { return chains }
        var chainOf = [Int](repeating: -1, count: tracklets.count)
        for (c, chain) in chains.enumerated() { for k in chain { chainOf[k] = c } }
        let reach = config.maxGap + 1
        let order = tracklets.indices.filter { chainOf[$0] >= 0 }
            .sorted { (tracklets[$0].firstFrame, $0) < (tracklets[$1].firstFrame, $1) }
        let bounds = tracklets.map { t in CurveMatching.bounds(t.first + t.last + t.start + t.end) }
        // A shift the test could pass is at most z · √2 · σ with σ ≤ the shape gate / 0.8.
        let margin = z * 2.0.squareRoot() * max(config.stitchMaxResidual / 0.8, positionNoise) + 1
        let diffusion = glideDiffusion(tracklets, shapeGate: config.stitchMaxResidual)
        var evidence: [Int64: PairEvidence] = [:]
        func key(_ p: Int, _ q: Int) -> Int64 { Int64(min(p, q)) * Int64(chains.count) + Int64(max(p, q)) }
        for (i, a) in order.enumerated() {
            let ta = tracklets[a]
            for b in order[(i + 1)...] {
                let tb = tracklets[b]
                if tb.firstFrame > ta.lastFrame + reach { break }
                // Concurrent, or one continuing the other within the frame tracker's reach.
                guard tb.lastFrame + reach >= ta.firstFrame else { continue }
                guard chainOf[a] != chainOf[b] else { continue }
                let (alo, ahi) = bounds[a], (blo, bhi) = bounds[b]
                if alo.x > bhi.x + margin || blo.x > ahi.x + margin || alo.y > bhi.y + margin || blo.y > ahi.y + margin { continue }
                var e = PairEvidence()
                e.shared = sharedFrames(ta, tb)
                switch meeting(ta, tb, diffusion: diffusion, shapeGate: config.stitchMaxResidual) {
                case .same?: e.support = 1
                case .apart?: e.contradict = 1
                case nil: break
                }
                guard e.support + e.contradict + e.shared > 0 else { continue }
                let k = key(chainOf[a], chainOf[b])
                var old = evidence[k] ?? PairEvidence()
                old.support += e.support; old.contradict += e.contradict; old.shared += e.shared
                evidence[k] = old
            }
        }
        let n = Int64(chains.count)
        let frames = chains.map { $0.reduce(0) { $0 + tracklets[$1].frames } }
        // A line cut into two pieces in a frame may give both tracks a piece: tolerated in 1 % of
        // the shorter chain's frames; two lines side by side share most of their frames.
        func shares(_ e: PairEvidence, _ p: Int, _ q: Int) -> Bool { 100 * e.shared > min(frames[p], frames[q]) }
        let candidates = evidence.filter { $0.value.support > 0 && $0.value.contradict == 0
                                           && !shares($0.value, Int($0.key / n), Int($0.key % n)) }
            .sorted { ($0.value.support, -$0.key) > ($1.value.support, -$1.key) }
        // Groups of chains; a join is refused when any two members across the groups disagree.
        var group = Array(chains.indices), members = chains.indices.map { [$0] }
        for (k, _) in candidates {
            let gp = group[Int(k / n)], gq = group[Int(k % n)]
            guard gp != gq else { continue }
            let clash = members[gp].contains { p in members[gq].contains { q in
                guard let e = evidence[key(p, q)] else { return false }
                return e.contradict > 0 || shares(e, p, q)
            } }
            guard !clash else { continue }
            for m in members[gq] { group[m] = gp }
            members[gp] += members[gq]
            members[gq] = []
        }
        return members.filter { !$0.isEmpty }
            .map { $0.flatMap { chains[$0] }.sorted { (tracklets[$0].firstFrame, $0) < (tracklets[$1].firstFrame, $1) } }
            .sorted { (tracklets[$0[0]].firstFrame, $0[0]) < (tracklets[$1[0]].firstFrame, $1[0]) }
    }

    enum Meeting { case same, apart }

    /// The two tracklets' curves closest in time: the same line (same shape, same glide position
    /// within their own scatter and the glide the line may have made between the two frames,
    /// `diffusion` · frames apart), or a line beside (same shape, shifted). nil: not comparable
    /// (another direction, no common span, different shapes).
    static func meeting(_ a: TEMTracklet, _ b: TEMTracklet, diffusion: Double, shapeGate: Double) -> Meeting? {
        let ca: [(Int, [TEMPoint])] = [(a.firstFrame, a.first), (a.startFrame, a.start), (a.endFrame, a.end), (a.lastFrame, a.last)]
        let cb: [(Int, [TEMPoint])] = [(b.firstFrame, b.first), (b.startFrame, b.start), (b.endFrame, b.end), (b.lastFrame, b.last)]
        var best: (Int, [TEMPoint], [TEMPoint])?
        for (fa, pa) in ca { for (fb, pb) in cb where best == nil || abs(fa - fb) < best!.0 { best = (abs(fa - fb), pa, pb) } }
        guard let (dt, pa, pb) = best,
              let g = CurveMatching.glide(pa, pb), g.overlap >= 0.5, g.residual <= shapeGate else { return nil }
        let sigma = max(g.residual / 0.8, positionNoise)
        return abs(g.shift) <= z * (2 * sigma * sigma + diffusion * Double(dt)).squareRoot() ? .same : .apart
    }

    /// The glide variance a line gains per frame, px²/frame, measured on the tracklets' own
    /// curves (first, representative start, representative end, last: one line each): the
    /// median of shift² / frames apart over 0.455 (the median of χ²₁), a random walk's rate.
    static func glideDiffusion(_ tracklets: [TEMTracklet], shapeGate: Double) -> Double {
        var rates: [Double] = []
        for t in tracklets {
            for (fa, pa, fb, pb) in [(t.firstFrame, t.first, t.startFrame, t.start), (t.startFrame, t.start, t.endFrame, t.end),
                                     (t.endFrame, t.end, t.lastFrame, t.last)] where fb > fa {
                guard let g = CurveMatching.glide(pa, pb), g.overlap >= 0.5, g.residual <= shapeGate else { continue }
                rates.append(g.shift * g.shift / Double(fb - fa))
            }
        }
        guard !rates.isEmpty else { return 0 }
        rates.sort()
        return rates[rates.count / 2] / 0.455
    }

    /// Frames both tracklets were seen in (`TEMTracklet.seen`); without the bit sets, the frames
    /// both were alive in.
    static func sharedFrames(_ a: TEMTracklet, _ b: TEMTracklet) -> Int {
        let lo = max(a.firstFrame, b.firstFrame), hi = min(a.lastFrame, b.lastFrame)
        guard lo <= hi else { return 0 }
        guard let sa = a.seen, let sb = b.seen else { return hi - lo + 1 }
        var count = 0
        for f in lo...hi where TEMTracklet.bit(sa, f - a.firstFrame) && TEMTracklet.bit(sb, f - b.firstFrame) { count += 1 }
        return count
    }
}
