#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tracks that take turns on one line, joined inside the piece tracker while every frame is at
/// hand (`TEMTrackerConfig.joinTurns`).
///
/// A faint line that two live tracks both reach is given to one of them frame by frame by the
/// assignment (whichever reference is closer that frame); each survives as long as it gets the
/// line once every `maxGap + 1` frames, and gap closing continues each to itself. Inside one
/// 1,000-frame piece of the seed-1 medium video line 6 is so held by two tracks seen in 59 and 713
/// of the piece's frames. Their tracklet summaries keep four curves each, so the linker can only
/// compare them ~50 frames apart (`TEMAlternatingTracks.join`); here the curves at the two tracks'
/// consecutive sightings are compared, a frame or a few apart.
///
/// Two tracks are one line when:
/// - they are not seen as two lines in one frame: where both are seen, their curves neither lie
///   side by side (sharing half the shorter span) nor end to end over more than one line's length
///   (`TEMPieceAbsorption.longest` of the tracks' own lengths: two pieces of one cut line span one
///   line, two lines end to end about two), save as often as the 1 % level lets through by chance
///   (a one-sided binomial test over the shorter track's frames: a duplicated detection);
/// - at their meetings — a sighting of one followed by a sighting of the other within the frame
///   tracker's reach (`maxGap + 1` frames) — the two curves are the same shape
///   (`CurveMatching.glide`, residual within `stitchMaxResidual`, half the span shared) at the
///   same glide position: |shift| ≤ z · √(v · Δt), z = 2.576 (the module's two-sided 1 % level),
///   v the glide variance per frame measured on the two tracks' own frame-to-frame steps (median
///   of shift² / Δt over 0.455, the median of χ²₁: the detector's noise and the line's own glide
///   together), Δt the frames between the sightings;
/// - at least one meeting agrees, and the meetings that disagree are no more than the 1 % level
///   lets through by chance (a one-sided binomial test at 1 %).
///
/// Nothing is set by hand: the scale is the tracks' own, the levels the module's 1 %. Pairs are
/// joined most-supported first; a join is refused when any two tracks across the two groups
/// disagree or are seen as two lines. Where a joined track was seen twice in a frame (the cut
/// line's two pieces), the longer track's curve is kept; the other becomes a one-frame track
/// (`joinTurns`) or is handed back to be folded into the kept curve's observation
/// (`joinTurnsLeavingPieces`, `TEMTrackerConfig.joinTurnsFoldsPieces`).
extension TEMAlternatingTracks {
    /// Own steps sampled per track for its glide variance (evenly over the track): the median
    /// needs a few dozen, and `CurveMatching.glide` costs O(points²) per step.
    static let stepSamples = 64

    /// `tracks` over `curves` (frames increasing, an observation per frame) with those that take
    /// turns on one line joined: a joined track's frames in order (where two were seen in one
    /// frame, the longer track's curve is kept, the other a one-frame track of its own). Tracks
    /// come back numbered 0… by first frame.
    public static func joinTurns(_ tracks: [TEMTrack], curves: [[[TEMPoint]]], config: TEMTrackerConfig) -> [TEMTrack] {
        let r = joinTurnsLeavingPieces(tracks, curves: curves, config: config)
        guard !r.leftovers.isEmpty else { return r.tracks }
        // A piece left over: a one-frame track of its own, so a partial still writes every curve.
        // Inside a job's piece (`minTrackFrames` 1 there) it becomes a tracklet that gap
        // closing may link; only unlinked it falls to the final step's `minTrackFrames`.
        // On the 40-frame draws these leftovers cost about half the join's gain (docs/tem.md);
        // the frame tracker over observations folds them into the joined track's observation
        // instead (`TEMTrackerConfig.joinTurnsFoldsPieces`, on by default).
        var out = r.tracks
        for l in r.leftovers {
            out.append(TEMTrack(id: out.count, frames: [l.frame], curveIndices: [l.curve], centroids: [],
                                velocities: [], neighbourDistances: []))
        }
        return out.sorted { ($0.firstFrame, $0.id) < ($1.firstFrame, $1.id) }
            .enumerated().map { id, t in var t = t; t.id = id; return t }
    }

    /// A curve of a joined track's frame that the joined track does not keep (`merged`): the
    /// frame, its curve, and the curve the joined track keeps there.
    public struct Leftover: Equatable, Sendable {
        public var frame: Int, curve: Int, keptCurve: Int
    }

    /// `joinTurns` with the curves left over where a joined track was seen twice in a frame
    /// returned apart (not as tracks): the caller places them (`TEMTracker.trackObservations`
    /// folds each into the observation the joined track keeps in that frame).
    public static func joinTurnsLeavingPieces(_ tracks: [TEMTrack], curves: [[[TEMPoint]]], config: TEMTrackerConfig)
        -> (tracks: [TEMTrack], leftovers: [Leftover]) {
        guard tracks.count > 1 else { return (tracks, []) }
        let reach = config.maxGap + 1
        let shape = config.stitchMaxResidual
        let concurrent = config.joinConcurrentPieces
        let collinear = config.joinCollinearPieces
        let everyFrame = config.collinearEveryFrame
        func curve(_ t: Int, _ k: Int) -> [TEMPoint] { curves[tracks[t].frames[k]][tracks[t].curveIndices[k]] }
        // Each track's bounds over all its curves, its own steps (shift² / Δt) and the longest its
        // line may be.
        var bounds: [(TEMPoint, TEMPoint)] = [], steps: [[Double]] = [], longest: [Double] = []
        // (`joinCollinearPieces`) Each track's end-tangent scatter per sighting, radians.
        var tangent: [Double] = []
        for t in tracks.indices {
            var lo = TEMPoint(.infinity, .infinity), hi = TEMPoint(-.infinity, -.infinity)
            for k in tracks[t].frames.indices {
                let (a, b) = CurveMatching.bounds(curve(t, k))
                lo = TEMPoint(min(lo.x, a.x), min(lo.y, a.y)); hi = TEMPoint(max(hi.x, b.x), max(hi.y, b.y))
            }
            bounds.append((lo, hi))
            let n = tracks[t].frames.count
            var rates: [Double] = []
            if n > 1 {
                let stride = max(1, (n - 1) / stepSamples)
                for k in Swift.stride(from: 1, to: n, by: stride) {
                    let dt = tracks[t].frames[k] - tracks[t].frames[k - 1]
                    guard dt <= reach, let g = CurveMatching.glide(curve(t, k - 1), curve(t, k)),
                          g.overlap >= 0.5, g.residual <= shape else { continue }
                    rates.append(g.shift * g.shift / Double(dt))
                }
            }
            steps.append(rates)
            // The longest its line may be and still be one line (`TEMPieceAbsorption.longest`).
            let lengths = Swift.stride(from: 0, to: n, by: max(1, n / stepSamples)).map { TEMPolyline.length(curve(t, $0)) }
            longest.append(TEMPieceAbsorption.longest(lengths, fallback: lengths.max() ?? 0))
            if collinear {
                tangent.append(TEMCollinearPieces.tangentScatter(
                    Swift.stride(from: 0, to: n, by: max(1, (n - 1) / stepSamples)).map { curve(t, $0) }))
            }
        }
        let order = tracks.indices.sorted { (tracks[$0].firstFrame, $0) < (tracks[$1].firstFrame, $1) }
        var evidence: [Int: TurnEvidence] = [:]
        let n = tracks.count
        for (i, a) in order.enumerated() {
            for b in order[(i + 1)...] {
                if tracks[b].firstFrame > tracks[a].lastFrame + reach { break }
                guard tracks[b].lastFrame + reach >= tracks[a].firstFrame else { continue }
                let pooled = (steps[a] + steps[b]).sorted()
                guard !pooled.isEmpty else { continue }
                // Per frame; never below the detector's positional noise on two curves.
                let v = max(pooled[pooled.count / 2] / 0.455, 2 * positionNoise * positionNoise)
                var margin = z * (v * Double(reach)).squareRoot() + 1
                // Pieces of one line held at once may lie a cut apart: anything within one line's
                // length (the span test in `meetings` decides).
                if concurrent || collinear { margin = max(margin, max(longest[a], longest[b])) }
                let (alo, ahi) = bounds[a], (blo, bhi) = bounds[b]
                if alo.x > bhi.x + margin || blo.x > ahi.x + margin || alo.y > bhi.y + margin || blo.y > ahi.y + margin { continue }
                let e = meetings(tracks[a], tracks[b], curves: curves, variance: v, reach: reach, shapeGate: shape,
                                 longest: max(longest[a], longest[b]), concurrent: concurrent,
                                 tangents: collinear ? (tangent[a], tangent[b]) : nil)
                guard e.support + e.contradict + e.sideBySide + e.beyondOneLine + e.endToEnd > 0 else { continue }
                evidence[min(a, b) * n + max(a, b)] = e
            }
        }
        // Pieces that glided together while moving are one line however far their two curves
        // span: the tracks' own lengths are the pieces' (`joinConcurrentPieces`).
        func glideTogether(_ e: TurnEvidence) -> Bool {
            concurrent && e.moved > 0 && !tooManyMisses(e.glideApart, of: e.glideTogether + e.glideApart)
        }
        // (`joinCollinearPieces`) Pairs whose pieces continue each other in more of their shared
        // frames than chance gives at the 1 % level: the chance rate is how often the other
        // pairs of this piece of video (those sharing neither track) pass, never below 1 %.
        var onExtension = Set<Int>()
        if collinear {
            var pass = [Int](repeating: 0, count: n), tested = [Int](repeating: 0, count: n)
            var allPass = 0, allTested = 0
            for (k, e) in evidence {
                for t in [k / n, k % n] { pass[t] += e.collinear; tested[t] += e.shared }
                allPass += e.collinear; allTested += e.shared
            }
            for (k, e) in evidence where e.collinear > 0 {
                let p = k / n, q = k % n
                let others = allTested - tested[p] - tested[q] + e.shared
                let rate = others > 0 ? Double(allPass - pass[p] - pass[q] + e.collinear) / Double(others) : 0
                guard TEMCollinearPieces.significant(e.collinear, of: e.shared, rate: max(0.01, rate)) else { continue }
                // (`collinearSeenWhole`, `collinearEndsWander`) and one line cut, not two lines
                // end to end on one trace: either evidence asked for.
                if config.collinearSeenWhole || config.collinearEndsWander {
                    let whole = config.collinearSeenWhole && TEMCutEvidence.wasSeenWhole(tracks[p], tracks[q], curves: curves,
                                                                                            bowed: config.collinearSeenWholeBowed,
                                                                                            local: config.collinearSeenWholeLocal,
                                                                                            scatter: config.collinearArcScatter)
                    let wander = !whole && config.collinearEndsWander
                        && TEMCutEvidence.endsWander(tracks[p], tracks[q], curves: curves, reach: reach,
                                                     scatterA: tangent[p], scatterB: tangent[q])
                    guard whole || wander else { continue }
                }
                onExtension.insert(k)
            }
        }
        func apart(_ e: TurnEvidence, _ p: Int, _ q: Int) -> Bool {
            let continued = onExtension.contains(min(p, q) * n + max(p, q))
            // (`collinearEveryFrame`) A continued pair's failing frames within one line's length
            // count too: the geometry is its evidence, so it must hold wherever both are seen.
            let off = everyFrame ? e.offExtension + e.offWithinLine : e.offExtension
            let twoLines = e.sideBySide + (glideTogether(e) ? 0 : continued ? off : e.beyondOneLine)
            // The glide of the two pieces vetoes (`joinCollinearPieces`: only the pairs their
            // geometry would join; the pairs `joinTurns` joins by their meetings stay as they were).
            return tooManyMisses(twoLines, of: min(tracks[p].frames.count, tracks[q].frames.count))
                || tooManyMisses(e.contradict, of: e.support + e.contradict)
                || ((concurrent || continued) && tooManyMisses(e.glideApart, of: e.glideTogether + e.glideApart))
        }
        // Evidence for one line: meetings that agree, (`joinConcurrentPieces`) shared frames
        // whose pieces glided together while moving, or (`joinCollinearPieces`) shared frames
        // whose pieces continue each other.
        func support(_ k: Int, _ e: TurnEvidence) -> Int {
            e.support + (glideTogether(e) ? e.glideTogether : 0) + (onExtension.contains(k) ? e.collinear : 0)
        }
        let candidates = evidence.filter { support($0.key, $0.value) > 0 && !apart($0.value, $0.key / n, $0.key % n) }
            .sorted { (support($0.key, $0.value), -$0.key) > (support($1.key, $1.value), -$1.key) }
        var group = Array(tracks.indices), members = tracks.indices.map { [$0] }
        for (k, _) in candidates {
            let gp = group[k / n], gq = group[k % n]
            guard gp != gq else { continue }
            let clash = members[gp].contains { p in members[gq].contains { q in
                guard let e = evidence[min(p, q) * n + max(p, q)] else { return false }
                return apart(e, p, q)
            } }
            guard !clash else { continue }
            for m in members[gq] { group[m] = gp }
            members[gp] += members[gq]
            members[gq] = []
        }
        guard members.contains(where: { $0.count > 1 }) else { return (tracks, []) }
        var joined: [TEMTrack] = [], leftovers: [Leftover] = []
        for m in members where !m.isEmpty {
            let (t, apart) = merged(m.map { tracks[$0] })
            joined.append(t)
            leftovers += apart.map { Leftover(frame: $0.frame, curve: $0.curve, keptCurve: $0.kept) }
        }
        let sorted = joined.sorted { ($0.firstFrame, $0.id) < ($1.firstFrame, $1.id) }
            .enumerated().map { id, t in var t = t; t.id = id; return t }
        return (sorted, leftovers)
    }

    /// What two tracks' sightings say (`joinTurns`).
    struct TurnEvidence {
        /// Meetings (consecutive sightings of the two within the tracker's reach) at the same glide
        /// position at the 1 % level, and not.
        var support = 0, contradict = 0
        /// Frames both are seen in side by side, end to end over more than one line's length
        /// (two lines, unless `joinConcurrentPieces` finds them gliding as one), and end to end
        /// within it (one line cut in two).
        var sideBySide = 0, beyondOneLine = 0, endToEnd = 0
        /// (`joinConcurrentPieces`) Steps between consecutive frames both are seen in end to end
        /// where the two pieces glided by the same shift at the 1 % level, and not; and of the
        /// agreeing ones, those where they moved beyond the detector's positional noise.
        var glideTogether = 0, glideApart = 0, moved = 0
        /// (`joinCollinearPieces`) Frames both are seen in, those where one piece continues the
        /// other on its extension (`TEMCollinearPieces.continues`), and those end to end over more
        /// than one line's length where it does not.
        var shared = 0, collinear = 0, offExtension = 0
        /// (`joinCollinearPieces`) Frames end to end within one line's length where the test fails.
        var offWithinLine = 0
    }

    /// What the consecutive sightings of two tracks say: meetings within `reach` frames that
    /// agree or disagree at the 1 % level, and the frames both are seen in. Stops early once the
    /// frames seen as two lines alone keep them apart. `longest`: the longest one line may be.
    static func meetings(_ a: TEMTrack, _ b: TEMTrack, curves: [[[TEMPoint]]], variance v: Double, reach: Int,
                         shapeGate: Double, longest: Double, concurrent: Bool = false,
                         tangents: (Double, Double)? = nil) -> TurnEvidence {
        var e = TurnEvidence()
        let shorter = min(a.frames.count, b.frames.count)
        var i = 0, j = 0
        // The last sighting taken, as (track 0/1, frame, curve).
        var previous: (Int, Int, [TEMPoint])?
        // The last frame both were seen in end to end, with their two curves.
        var shared: (Int, [TEMPoint], [TEMPoint])?
        while i < a.frames.count || j < b.frames.count {
            let fa = i < a.frames.count ? a.frames[i] : Int.max, fb = j < b.frames.count ? b.frames[j] : Int.max
            if fa == fb {
                let ca = curves[fa][a.curveIndices[i]], cb = curves[fb][b.curveIndices[j]]
                // Side by side, or end to end spanning more than one line: two lines (the latter
                // unless, with `concurrent`, the two glide as one).
                e.shared += 1
                if let g = CurveMatching.glide(ca, cb), g.overlap >= 0.5 {
                    e.sideBySide += 1
                    shared = nil
                } else {
                    let beyond = span(ca, cb) > longest
                    if beyond { e.beyondOneLine += 1 } else { e.endToEnd += 1 }
                    if let (sa, sb) = tangents {
                        if TEMCollinearPieces.continues(ca, cb, scatterA: sa, scatterB: sb) {
                            e.collinear += 1
                        } else if beyond {
                            e.offExtension += 1
                        } else {
                            e.offWithinLine += 1
                        }
                    }
                    // The glide of the two pieces: evidence (`concurrent`) or a veto (`tangents`).
                    if concurrent || tangents != nil {
                        if let (pf, pa, pb) = shared, fa - pf <= reach {
                            glidedTogether(pa, ca, pb, cb, frames: fa - pf, variance: v, shapeGate: shapeGate, into: &e)
                        }
                        shared = (fa, ca, cb)
                    }
                }
                // Stop once the frames seen as two lines alone keep them apart (with `tangents`,
                // frames end to end off each other's extension).
                let twoLines = e.sideBySide + (concurrent ? 0 : tangents != nil ? e.offExtension : e.beyondOneLine)
                if tooManyMisses(twoLines, of: shorter) { return e }
                previous = nil
                i += 1; j += 1
                continue
            }
            let side = fa < fb ? 0 : 1
            let f = min(fa, fb)
            let c = side == 0 ? curves[f][a.curveIndices[i]] : curves[f][b.curveIndices[j]]
            if let (s, pf, pc) = previous, s != side, f - pf <= reach,
               let g = CurveMatching.glide(pc, c), g.overlap >= 0.5, g.residual <= shapeGate {
                if abs(g.shift) <= z * (v * Double(f - pf)).squareRoot() { e.support += 1 } else { e.contradict += 1 }
            }
            previous = (side, f, c)
            if side == 0 { i += 1 } else { j += 1 }
        }
        return e
    }

    /// One step of two concurrent pieces (`joinConcurrentPieces`): piece a from `a0` to `a1`,
    /// piece b from `b0` to `b1`, `frames` apart. Each piece's shift is its own glide (same
    /// shape, half the span shared), signed along a0's glide direction (b's flipped when its
    /// chord points the other way). Under one line the two differ by the noise of two
    /// independent steps, variance 2 v Δt; the step counts as movement when their mean is beyond
    /// the positional noise of a step averaged over two pieces (z · positionNoise).
    static func glidedTogether(_ a0: [TEMPoint], _ a1: [TEMPoint], _ b0: [TEMPoint], _ b1: [TEMPoint], frames dt: Int,
                               variance v: Double, shapeGate: Double, into e: inout TurnEvidence) {
        guard let ga = CurveMatching.glide(a0, a1), ga.overlap >= 0.5, ga.residual <= shapeGate,
              let gb = CurveMatching.glide(b0, b1), gb.overlap >= 0.5, gb.residual <= shapeGate else { return }
        let ca = a0[a0.count - 1] - a0[0], cb = b0[b0.count - 1] - b0[0]
        let la = TEMPolyline.norm(ca), lb = TEMPolyline.norm(cb)
        guard la > 1, lb > 1 else { return }
        let cosine = (ca.x * cb.x + ca.y * cb.y) / (la * lb)
        // Pieces of one line run along one chord; far off it their glide directions differ.
        guard abs(cosine) >= cos(25 * Double.pi / 180) else { return }
        let sa = ga.shift, sb = cosine < 0 ? -gb.shift : gb.shift
        if abs(sa - sb) <= z * (2 * v * Double(dt)).squareRoot() {
            e.glideTogether += 1
            if abs(sa + sb) / 2 > z * positionNoise { e.moved += 1 }
        } else {
            e.glideApart += 1
        }
    }

    /// The extent of two curves together along the longer one's chord, px.
    static func span(_ a: [TEMPoint], _ b: [TEMPoint]) -> Double {
        let l = TEMPolyline.length(a) >= TEMPolyline.length(b) ? a : b
        guard let o = l.first, let e = l.last, TEMPolyline.norm(e - o) > 0 else { return 0 }
        let c = (e - o) / TEMPolyline.norm(e - o)
        var lo = Double.infinity, hi = -Double.infinity
        for p in a + b { let t = (p - o).x * c.x + (p - o).y * c.y; lo = min(lo, t); hi = max(hi, t) }
        return hi - lo
    }

    /// Whether `misses` of `count` meetings that disagree are more than the 1 % level gives by
    /// chance: P(X ≥ misses) < 1 % for X ~ Binomial(count, 1 %).
    static func tooManyMisses(_ misses: Int, of count: Int) -> Bool {
        guard misses > 0 else { return false }
        let p = 0.01
        // P(X ≥ misses) = 1 − Σ_{k < misses} C(count, k) p^k (1 − p)^(count − k).
        var term = pow(1 - p, Double(count)), below = 0.0
        for k in 0..<misses {
            below += term
            term *= Double(count - k) / Double(k + 1) * p / (1 - p)
        }
        return 1 - below < 0.01
    }

    /// Tracks of one line as one: frames in order; where two were seen in one frame (a cut line's
    /// two pieces) the longer track's curve is kept and the other is returned apart with the
    /// curve kept there, so every curve stays placed.
    static func merged(_ group: [TEMTrack]) -> (track: TEMTrack, apart: [(frame: Int, curve: Int, kept: Int)]) {
        guard group.count > 1 else { return (group[0], []) }
        let ranked = group.sorted { ($0.frames.count, -$0.id) > ($1.frames.count, -$1.id) }
        var byFrame: [Int: Int] = [:], apart: [(frame: Int, curve: Int, kept: Int)] = []
        for t in ranked {
            for (f, c) in zip(t.frames, t.curveIndices) {
                if let k = byFrame[f] { apart.append((f, c, k)) } else { byFrame[f] = c }
            }
        }
        var t = ranked[0]
        t.frames = byFrame.keys.sorted()
        t.curveIndices = t.frames.map { byFrame[$0]! }
        t.id = group.map(\.id).min()!
        t.endAbsorbed = group.max { ($0.lastFrame, -$0.id) < ($1.lastFrame, -$1.id) }!.endAbsorbed
        return (t, apart)
    }
}
