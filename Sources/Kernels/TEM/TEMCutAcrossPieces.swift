/// A line cut in every frame of a job's piece, joined by the piece linker on a neighbouring
/// piece's whole view of it (`TEMTrackerConfig.collinearAcrossPieces`).
///
/// Inside a piece, two tracks whose pieces continue each other are joined only when the line was
/// seen whole there (`TEMCutEvidence.seenWhole`): two lines of two pile-ups facing each other
/// across the band gap continue each other as well as a cut line's pieces do (docs/tem.md,
/// tem-track18). A line the detector cuts in every frame of a 20-frame piece is never seen whole
/// in it, so its two pieces stay two tracklets; across the boundary one of them links to the
/// next piece's tracklet and the other becomes an identity of its own. The linker sees both
/// pieces: when the tracklet `c` that tracklet `a` links to across the boundary holds one curve
/// that spans both `a`'s and `b`'s pieces, the line was seen whole after all.
///
/// From the tracklet summaries' end curves (`TEMTracklet.head`, `tail`), for tracklets `a`, `b`
/// of one piece, `b` ending its chain there (or starting it, mirrored), and `a → c` linked across
/// the boundary:
/// - **cut**: in the end frames both `a` and `b` are seen, `b`'s piece continues `a`'s on its
///   extension (`TEMCollinearPieces.continues`, the tangent scatter measured on their own end
///   curves) in more frames than chance gives at 1 % (the chance rate floored at 1 %, as in the
///   piece), and they lie side by side in no more frames than the 1 % level lets through;
/// - **seen whole**: over the frames one of the two lines is seen without the other — `c`'s end
///   frames, `a`'s and `b`'s own — the curve spans both pieces of the nearest frame both were seen
///   in at the same glide shift (`TEMCutEvidence.seenWhole` over `a` followed by `c`, against
///   `b`) beyond chance at 1 %: the seen-whole binomial of the piece pooled over the
///   neighbouring piece's frames.
/// Then `b`'s chain joins `a`'s (one track id; the evaluator and the merge read a track's two
/// curves in one frame as one line's pieces). Two lines end to end are never one curve, so no
/// neighbouring piece spans them unless the detector bridges them there.
enum TEMCutAcrossPieces {
    /// What one (a, b, c) triple says.
    struct Evidence: Equatable {
        /// End frames both `a` and `b` are seen in; of them, those where one piece continues the
        /// other and those where they lie side by side.
        var shared = 0, collinear = 0, sideBySide = 0
        /// `TEMCutEvidence.seenWhole` over `a` + `c` against `b`.
        var whole = 0, read = 0
        /// Of them, those in `c`'s frames (the neighbouring piece's own view).
        var wholeNext = 0, readNext = 0

        /// One line cut in two (both tests at the 1 % level).
        var oneLine: Bool {
            TEMCollinearPieces.significant(collinear, of: shared, rate: 0.01)
                && !TEMAlternatingTracks.tooManyMisses(sideBySide, of: shared)
                && TEMCollinearPieces.significant(whole, of: read, rate: 0.01)
        }

        /// `oneLine`, and (`TEMTrackerConfig.collinearAcrossNextView`) the neighbouring piece's
        /// own frames alone read the line whole beyond chance at 1 %: one frame of it cannot.
        func oneLine(nextView: Bool) -> Bool {
            oneLine && (!nextView || TEMCollinearPieces.significant(wholeNext, of: readNext, rate: 0.01))
        }
    }

    /// `a`'s and `b`'s end curves (their tails, or with `atStart` their heads) against `c`'s
    /// curves at the facing end (its head, or its tail): nil when a summary lacks its end
    /// curves.
    /// `bowed`: `TEMCutEvidence.seenWhole`'s chord-angle gate widened by the line's bow; `alongArc`:
    /// pieces read along the line's arc (`TEMArcFit`).
    /// `scatter`: with `alongArc`, the off-arc tolerance from the line's own scatter
    /// (`TEMArcFit.scatterTolerance`, as the in-piece test reads it).
    static func evidence(_ a: TEMTracklet, _ b: TEMTracklet, _ c: TEMTracklet, atStart: Bool, bowed: Bool = false,
                         alongArc: Bool = false, scatter: Bool = false) -> Evidence? {
        func ends(_ t: TEMTracklet, _ head: Bool) -> [(Int, [TEMPoint])]? {
            guard let cs = head ? t.head : t.tail, let fs = head ? t.headFrames : t.tailFrames else { return nil }
            return Array(zip(fs, cs))
        }
        guard let ea = ends(a, atStart), let eb = ends(b, atStart), let ec = ends(c, !atStart) else { return nil }
        var e = Evidence()
        let sa = TEMCollinearPieces.tangentScatter(ea.map(\.1)), sb = TEMCollinearPieces.tangentScatter(eb.map(\.1))
        let ib = Dictionary(eb, uniquingKeysWith: { x, _ in x })
        for (f, ca) in ea {
            guard let cb = ib[f] else { continue }
            e.shared += 1
            if let g = CurveMatching.glide(ca, cb), g.overlap >= 0.5 {
                e.sideBySide += 1
            } else if TEMCollinearPieces.continues(ca, cb, scatterA: sa, scatterB: sb) {
                e.collinear += 1
            }
        }
        guard e.shared > 0 else { return e }
        // The frames as tracks over one small curve table: `a` and `c` as one track.
        var curves: [[[TEMPoint]]] = [], frameOf: [Int: Int] = [:]
        func local(_ f: Int, _ c: [TEMPoint]) -> (Int, Int) {
            if frameOf[f] == nil { frameOf[f] = curves.count; curves.append([]) }
            let k = frameOf[f]!
            curves[k].append(c)
            return (k, curves[k].count - 1)
        }
        // `seenWhole` wants frames increasing: ordered by video frame, so local indices are too.
        let all = (ea.map { (0, $0.0, $0.1) } + ec.map { (0, $0.0, $0.1) } + eb.map { (1, $0.0, $0.1) })
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        var ta = TEMTrack(id: 0, frames: [], curveIndices: [], centroids: [], velocities: [], neighbourDistances: [])
        var tb = ta
        tb.id = 1
        for (side, f, c) in all {
            let (k, i) = local(f, c)
            if side == 0 {
                // `a` and `c` never share a frame (different pieces); keep the first if they did.
                if ta.frames.last == k { continue }
                ta.frames.append(k); ta.curveIndices.append(i)
            } else {
                tb.frames.append(k); tb.curveIndices.append(i)
            }
        }
        (e.whole, e.read) = TEMCutEvidence.seenWhole(ta, tb, curves: curves, bowed: bowed, local: alongArc, scatter: scatter)
        let next = Set(ec.map { frameOf[$0.0]! })
        (e.wholeNext, e.readNext) = TEMCutEvidence.seenWhole(ta, tb, curves: curves, bowed: bowed, local: alongArc, scatter: scatter,
                                                             counted: { next.contains($0) })
        return e
    }

    /// `chains` with the chain of each cut line's second piece joined to the chain that carries
    /// the line on across the piece boundary (`evidence`). A chain joins at most one other, and
    /// one that took another in is not itself joined; returned in order of their first tracklet,
    /// each chain's tracklets in order of first frame.
    static func join(_ chains: [[Int]], tracklets: [TEMTracklet], config: TEMTrackerConfig) -> [[Int]] {
        guard chains.count > 1 else { return chains }
        var chainOf = [Int](repeating: -1, count: tracklets.count), next = [Int?](repeating: nil, count: tracklets.count)
        var previous = next
        for (c, chain) in chains.enumerated() {
            for k in chain { chainOf[k] = c }
            for (x, y) in zip(chain, chain.dropFirst()) { next[x] = y; previous[y] = x }
        }
        let piece = tracklets.map(TEMTrackletLinker.piece)
        var byPiece: [Int64: [Int]] = [:]
        for k in tracklets.indices where chainOf[k] >= 0 { byPiece[piece[k], default: []].append(k) }
        // Pieces within one line's length of each other: the facing ends' gap is shorter than
        // either piece, so their bounds are at most a piece apart.
        let bounds = tracklets.map { t in CurveMatching.bounds((t.tail ?? []).flatMap { $0 } + (t.head ?? []).flatMap { $0 }) }
        func near(_ a: Int, _ b: Int) -> Bool {
            let (alo, ahi) = bounds[a], (blo, bhi) = bounds[b]
            let m = max(ahi.x - alo.x, ahi.y - alo.y, bhi.x - blo.x, bhi.y - blo.y)
            return !(alo.x > bhi.x + m || blo.x > ahi.x + m || alo.y > bhi.y + m || blo.y > ahi.y + m)
        }
        // Candidate (carrying chain, joining chain, evidence), strongest seen-whole evidence first.
        var found: [(into: Int, from: Int, e: Evidence)] = []
        for a in tracklets.indices where chainOf[a] >= 0 {
            for (c, atStart) in [(next[a], false), (previous[a], true)] {
                guard let c, piece[c] == piece[a] + (atStart ? -1 : 1) else { continue }
                for b in byPiece[piece[a]] ?? [] where b != a && chainOf[b] != chainOf[a] {
                    // `b`'s chain stops at this boundary: nothing else carries its line on.
                    guard (atStart ? previous[b] : next[b]) == nil, near(a, b),
                          chains[chainOf[b]].allSatisfy({ k in chains[chainOf[a]].contains { piece[$0] == piece[k] } }),
                          let e = evidence(tracklets[a], tracklets[b], tracklets[c], atStart: atStart,
                                           bowed: config.collinearSeenWholeBowed, alongArc: config.collinearSeenWholeLocal,
                                           scatter: config.collinearArcScatter),
                          e.oneLine(nextView: config.collinearAcrossNextView) else { continue }
                    found.append((chainOf[a], chainOf[b], e))
                }
            }
        }
        found.sort { ($0.e.whole, $0.e.collinear, -$0.from, -$0.into) > ($1.e.whole, $1.e.collinear, -$1.from, -$1.into) }
        return TEMChainJoin.apply(found.map { ($0.into, $0.from) }, chains: chains, tracklets: tracklets)
    }
}
