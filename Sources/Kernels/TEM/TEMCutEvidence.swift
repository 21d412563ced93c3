/// Whether two tracks whose pieces continue each other (`TEMCollinearPieces`) are one line cut
/// in two or two lines lying end to end on one trace (`TEMTrackerConfig.collinearSeenWhole`,
/// `collinearEndsWander`).
///
/// Geometry alone cannot tell them: on the hard draws the pairs `joinCollinearPieces` joins
/// wrongly are lines of two pile-ups (two bands) facing each other across the band gap, a fixed
/// distance (the true gap's range over a pair's frames is 0 px at the median), 33 px apart at
/// the median where a cut's pieces are 7 px apart (docs/tem.md, tem-track18). Two statistics
/// of the pair's own sightings can:
/// - **seen whole**: in the frames one track is seen without the other, its curve spans the
///   other's piece — both pieces of the nearest shared frame lie along it, end to end at the
///   same glide shift within their own scatter (`TEMPieceAbsorption.fit`, `continues`) — in
///   more frames than the 1 % chance level gives (the rate floored at 1 %, as
///   `TEMCollinearPieces`' chance rate is): the line was seen uncut. Two lines are not, unless
///   the detector bridges them;
/// - **ends wander**: from one shared frame where the pieces continue each other to the next
///   within the tracker's reach, each piece's facing end moves along its chord more than its
///   far end does, in more steps than a fair coin gives at the 1 % level (a sign test): a cut's
///   facing ends lie where the contrast happened to fade, and move with the noise; two lines'
///   facing ends are line ends like their far ends.
enum TEMCutEvidence {
    /// (seen whole) Frames one of `a`, `b` is seen without the other whose curve spans the
    /// other's piece, and such frames read (both pieces of the nearest shared frame lie at
    /// least half within its span).
    ///
    /// `bowed` (`TEMTrackerConfig.collinearSeenWholeBowed`): a piece is read against the line with
    /// the chord-angle gate widened by the line's own bow (`bow`): on a bowed line a piece near
    /// an end runs along the end tangent, not the chord — on medium draw 12 the lower piece of a
    /// 178-px line lies 31–49° off the whole line's chord, so the 25° gate never let the line be
    /// read whole (docs/tem.md, tem-track20).
    /// `local` (`TEMTrackerConfig.collinearSeenWholeLocal`, over `bowed`): a piece is read along
    /// the line's own arc (`TEMArcFit`), not against its chord.
    /// `scatter` (`TEMTrackerConfig.collinearArcScatter`, with `local`): the off-arc tolerance is
    /// the line's own frame-to-frame scatter (`TEMArcFit.scatterTolerance` against its track's
    /// curves in the frames before and after), not the detector's floor alone.
    /// `counted`: only the sightings in frames it accepts are read (all when nil).
    static func seenWhole(_ a: TEMTrack, _ b: TEMTrack, curves: [[[TEMPoint]]], bowed: Bool = false,
                          local: Bool = false, scatter: Bool = false, counted: ((Int) -> Bool)? = nil) -> (whole: Int, read: Int) {
        let ia = Dictionary(zip(a.frames, a.curveIndices), uniquingKeysWith: { x, _ in x })
        let ib = Dictionary(zip(b.frames, b.curveIndices), uniquingKeysWith: { x, _ in x })
        let shared = a.frames.filter { ib[$0] != nil }
        guard !shared.isEmpty else { return (0, 0) }
        var whole = 0, read = 0
        // Per sighting: frame, curve, and the same track's curves in the frames before and after.
        func sightings(_ t: TEMTrack) -> [(f: Int, c: Int, near: [[TEMPoint]])] {
            t.frames.indices.map { i in
                (t.frames[i], t.curveIndices[i],
                 [i - 1, i + 1].filter { t.frames.indices.contains($0) }.map { curves[t.frames[$0]][t.curveIndices[$0]] })
            }
        }
        for (f, c, near) in sightings(a) + sightings(b) where (ia[f] == nil) != (ib[f] == nil) && counted?(f) != false {
            let line = curves[f][c]
            let tolerance = local && scatter ? TEMArcFit.scatterTolerance(of: line, neighbours: near) : TEMArcFit.tolerance
            // The nearest frame both were seen in: the two pieces as they were then.
            let s = shared.min { (abs($0 - f), $0) < (abs($1 - f), $1) }!
            let gate = bowed ? 25 + bow(line) : 25
            func fit(_ piece: [TEMPoint]) -> TEMPieceAbsorption.Fit? {
                local ? TEMArcFit.fit(piece, on: line, tolerance: tolerance) : TEMPieceAbsorption.fit(piece, on: line, maxAngleDegrees: gate)
            }
            guard let fa = fit(curves[s][ia[s]!]), let fb = fit(curves[s][ib[s]!]) else { continue }
            read += 1
            if TEMPieceAbsorption.continues(fb, fa) != nil { whole += 1 }
        }
        return (whole, read)
    }

    /// How far a piece of `line` may turn from the line's chord, degrees: the larger angle
    /// between the chord and the line's end tangents (`TEMCollinearPieces.endTangent`, exact on a
    /// circular arc, where every chord of a piece lies between them). 0 for a line too short
    /// for tangents.
    static func bow(_ line: [TEMPoint]) -> Double {
        guard line.count >= 2, let s = TEMCollinearPieces.endTangent(line, atEnd: false),
              let e = TEMCollinearPieces.endTangent(line, atEnd: true) else { return 0 }
        let chord = line[line.count - 1] - line[0], l = TEMPolyline.norm(chord)
        guard l > 0 else { return 0 }
        let u = chord / l
        // The start tangent points out of the line (backwards along the chord): turned around.
        let turn = max(abs(TEMCollinearPieces.angle(u, TEMPoint(-s.out.x, -s.out.y))), abs(TEMCollinearPieces.angle(u, e.out)))
        return turn * 180 / .pi
    }

    /// Whether `seenWhole`'s count is beyond chance at the 1 % level (the rate floored at 1 %).
    static func wasSeenWhole(_ a: TEMTrack, _ b: TEMTrack, curves: [[[TEMPoint]]], bowed: Bool = false,
                             local: Bool = false, scatter: Bool = false) -> Bool {
        let (whole, read) = seenWhole(a, b, curves: curves, bowed: bowed, local: local, scatter: scatter)
        return TEMCollinearPieces.significant(whole, of: read, rate: 0.01)
    }

    /// (ends wander) Over consecutive frames within `reach` where `a`'s and `b`'s curves continue
    /// each other (`TEMCollinearPieces.continues` with the tracks' tangent scatter), per piece
    /// and step: whether its facing end moved along its chord more than its far end (`wander`)
    /// or less (`still`); ties are left out.
    static func endSteps(_ a: TEMTrack, _ b: TEMTrack, curves: [[[TEMPoint]]], reach: Int,
                         scatterA: Double, scatterB: Double) -> (wander: Int, still: Int) {
        let ib = Dictionary(zip(b.frames, b.curveIndices), uniquingKeysWith: { x, _ in x })
        var wander = 0, still = 0
        var previous: (f: Int, a: [TEMPoint], b: [TEMPoint])?
        for (f, c) in zip(a.frames, a.curveIndices) {
            guard let d = ib[f] else { continue }
            let ca = curves[f][c], cb = curves[f][d]
            guard TEMCollinearPieces.continues(ca, cb, scatterA: scatterA, scatterB: scatterB) else { continue }
            if let p = previous, f - p.f <= reach {
                for (x0, y0, x1, y1) in [(p.a, p.b, ca, cb), (p.b, p.a, cb, ca)] {
                    guard let m = moves(x0, facing: y0, then: x1, facing: y1) else { continue }
                    if m.facing > m.far { wander += 1 } else if m.facing < m.far { still += 1 }
                }
            }
            previous = (f, ca, cb)
        }
        return (wander, still)
    }

    /// Whether the facing ends wander beyond a fair coin at the 1 % level (`endSteps`).
    static func endsWander(_ a: TEMTrack, _ b: TEMTrack, curves: [[[TEMPoint]]], reach: Int,
                           scatterA: Double, scatterB: Double) -> Bool {
        let (wander, still) = endSteps(a, b, curves: curves, reach: reach, scatterA: scatterA, scatterB: scatterB)
        return TEMCollinearPieces.significant(wander, of: wander + still, rate: 0.5)
    }

    /// How far piece `x` moved along its chord (in the first frame) from `x0` to `x1` at its end
    /// facing the other piece (`y0`, `y1`) and at its far end, px; nil for a curve shorter than
    /// 1 px.
    static func moves(_ x0: [TEMPoint], facing y0: [TEMPoint], then x1: [TEMPoint], facing y1: [TEMPoint])
        -> (facing: Double, far: Double)? {
        guard let s = x0.first, let e = x0.last, x1.count >= 2 else { return nil }
        let chord = e - s, l = TEMPolyline.norm(chord)
        guard l > 1 else { return nil }
        let u = chord / l
        func along(_ p: TEMPoint) -> Double { p.x * u.x + p.y * u.y }
        let (f0, _) = TEMCollinearPieces.facingEnds(x0, y0), (f1, _) = TEMCollinearPieces.facingEnds(x1, y1)
        let face0 = f0 ? x0[x0.count - 1] : x0[0], far0 = f0 ? x0[0] : x0[x0.count - 1]
        let face1 = f1 ? x1[x1.count - 1] : x1[0], far1 = f1 ? x1[0] : x1[x1.count - 1]
        return (abs(along(face1) - along(face0)), abs(along(far1) - along(far0)))
    }
}
