#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Two curves of one frame read as one line cut in two: the second piece continues the first on
/// its extension (`TEMTrackerConfig.joinCollinearPieces`).
///
/// Motion cannot tell a cut line's two pieces from two lines of one pile-up: the pile-up's lines
/// glide as one (draw 32 of the medium draws: 19 of 19 steps together, docs/tem.md). Geometry
/// can: a pile-up's lines lie side by side or staggered across the glide direction, a cut line's
/// pieces lie on one curve. In one frame, piece b continues piece a when, at their facing ends
/// (the closest pair of end points),
/// - the gap between the ends is shorter than either piece (a cut, not a second line further on);
/// - the ends face each other (the gap runs out of each piece, not back along it: no overlap);
/// - each piece's end tangent (`endTangent`) meets the other's end: the
///   offset of the other end across the tangent is within z · √(2σ² + g²σ_θ²), σ the detector's
///   positional noise, g the gap, σ_θ the tangent's own scatter;
/// - the two tangents agree within z · √(σ_θa² + σ_θb²).
/// σ_θ is measured on the track's own curves (`tangentScatter`): how much its end tangents turn
/// from one sighting to the next, never below the estimate's own noise in that frame. z is the
/// module's two-sided 1 %.
enum TEMCollinearPieces {
    static let z = TEMAlternatingTracks.z
    static let positionNoise = TEMAlternatingTracks.positionNoise

    /// The tangent of `c` at its first (`atEnd` false) or last point, pointing out of the curve
    /// there: the chord of the half at that end turned on by its angle from the whole chord
    /// (exact on a circular arc of angle θ: the whole chord lies θ/2 from the end tangent, the
    /// half's chord θ/4), with the estimate's own noise from its end points, each
    /// the detector's positional noise off (√2 σ · √(4 / half² + 1 / whole²), radians). nil for
    /// a curve whose halves are shorter than 1 px.
    static func endTangent(_ c: [TEMPoint], atEnd: Bool) -> (end: TEMPoint, out: TEMPoint, noise: Double)? {
        guard c.count >= 2 else { return nil }
        let total = TEMPolyline.length(c)
        guard total > 2 else { return nil }
        // The point half the arc length from the end.
        var s = 0.0, mid = c[c.count / 2]
        for i in 1..<c.count {
            let d = TEMPolyline.dist(c[i], c[i - 1])
            if s + d >= total / 2 {
                let t = d > 0 ? (total / 2 - s) / d : 0
                mid = c[i - 1] + t * (c[i] - c[i - 1])
                break
            }
            s += d
        }
        let end = atEnd ? c[c.count - 1] : c[0], start = atEnd ? c[0] : c[c.count - 1]
        let half = end - mid, whole = end - start
        let lh = TEMPolyline.norm(half), lw = TEMPolyline.norm(whole)
        guard lh > 1, lw > 1 else { return nil }
        let h = half / lh, turn = angle(whole / lw, h)
        let out = TEMPoint(h.x * cos(turn) - h.y * sin(turn), h.x * sin(turn) + h.y * cos(turn))
        return (end, out, 2.0.squareRoot() * positionNoise * (4 / (lh * lh) + 1 / (lw * lw)).squareRoot())
    }

    /// The angle from `u` to `v` (unit vectors), radians in (−π, π].
    static func angle(_ u: TEMPoint, _ v: TEMPoint) -> Double { atan2(u.x * v.y - u.y * v.x, u.x * v.x + u.y * v.y) }

    /// A track's end-tangent scatter per sighting, radians: over consecutive `curves` (its
    /// sampled sightings, in order), the turn of each end's half-chord (ends matched by the
    /// curves' orientation), 1.4826 · MAD / √2 of the turns (two sightings' noise in each);
    /// 0 with fewer than 3 turns.
    static func tangentScatter(_ curves: [[TEMPoint]]) -> Double {
        var turns: [Double] = []
        var previous: (first: TEMPoint, last: TEMPoint, chord: TEMPoint)?
        for c in curves {
            guard let a = endTangent(c, atEnd: false), let b = endTangent(c, atEnd: true) else { previous = nil; continue }
            let chord = c[c.count - 1] - c[0]
            if let p = previous {
                // The detector may list a curve's points either way round.
                let same = p.chord.x * chord.x + p.chord.y * chord.y >= 0
                turns.append(abs(angle(p.first, same ? a.out : b.out)))
                turns.append(abs(angle(p.last, same ? b.out : a.out)))
            }
            previous = (a.out, b.out, chord)
        }
        guard turns.count >= 3 else { return 0 }
        turns.sort()
        return 1.4826 * turns[turns.count / 2] / 2.0.squareRoot()
    }

    /// Whether `b` continues `a` on its extension in one frame (see the type). `scatterA`,
    /// `scatterB`: the tracks' end-tangent scatter (`tangentScatter`), radians.
    static func continues(_ a: [TEMPoint], _ b: [TEMPoint], scatterA: Double, scatterB: Double) -> Bool {
        guard !a.isEmpty, !b.isEmpty else { return false }
        let la = TEMPolyline.length(a), lb = TEMPolyline.length(b)
        let (ea, eb) = facingEnds(a, b)
        let g = TEMPolyline.dist(ea ? a[a.count - 1] : a[0], eb ? b[b.count - 1] : b[0])
        guard g < min(la, lb), let ta = endTangent(a, atEnd: ea), let tb = endTangent(b, atEnd: eb) else { return false }
        let sigma = positionNoise
        let sa = max(scatterA, ta.noise), sb = max(scatterB, tb.noise)
        let d = tb.end - ta.end
        // Facing: the gap runs out of a and into b (within the ends' noise).
        let facing = z * 2.0.squareRoot() * sigma
        guard d.x * ta.out.x + d.y * ta.out.y >= -facing, -(d.x * tb.out.x + d.y * tb.out.y) >= -facing else { return false }
        // Each end's tangent meets the other end.
        func across(_ u: TEMPoint) -> Double { abs(u.x * d.y - u.y * d.x) }
        guard across(ta.out) <= z * (2 * sigma * sigma + g * g * sa * sa).squareRoot(),
              across(tb.out) <= z * (2 * sigma * sigma + g * g * sb * sb).squareRoot() else { return false }
        // And the two tangents agree (one points out of a, the other out of b: opposite).
        return abs(angle(ta.out, -tb.out)) <= z * (sa * sa + sb * sb).squareRoot()
    }

    /// The facing ends of two curves, the closest pair of end points: whether each is its last
    /// point (else its first).
    static func facingEnds(_ a: [TEMPoint], _ b: [TEMPoint]) -> (Bool, Bool) {
        var best: (gap: Double, ea: Bool, eb: Bool)?
        for ea in [false, true] {
            for eb in [false, true] {
                let g = TEMPolyline.dist(ea ? a[a.count - 1] : a[0], eb ? b[b.count - 1] : b[0])
                if best == nil || g < best!.gap { best = (g, ea, eb) }
            }
        }
        return (best!.ea, best!.eb)
    }

    /// Whether `k` frames passing of `n` are more than chance passes at `rate` give at the 1 %
    /// level: P(X ≥ k) < 1 % for X ~ Binomial(n, rate).
    static func significant(_ k: Int, of n: Int, rate: Double) -> Bool {
        guard k > 0, n > 0 else { return false }
        let p = min(max(rate, 0), 1)
        guard p < 1 else { return false }
        guard p > 0 else { return true }
        // Σ_{i < k} C(n, i) pⁱ (1 − p)ⁿ⁻ⁱ, each term in logs (a piece of 1,000 frames underflows
        // (1 − p)ⁿ for rates of a few per cent).
        let lp = log(p), lq = log(1 - p)
        var below = 0.0, logChoose = 0.0
        for i in 0..<min(k, n + 1) {
            below += exp(logChoose + Double(i) * lp + Double(n - i) * lq)
            logChoose += log(Double(n - i)) - log(Double(i + 1))
        }
        return 1 - below < 0.01
    }
}
