#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A piece read against a whole line along the line's own arc, not its chord
/// (`TEMTrackerConfig.collinearSeenWholeLocal`).
///
/// `TEMPieceAbsorption.fit` compares chords (`CurveMatching.glide`'s 25° gate): a piece near the
/// end of a bowed line runs along the end tangent, 31–49° off the whole line's chord on medium
/// draw 12, and is refused; widening the gate by the line's bow (`collinearSeenWholeBowed`) lets
/// it in, but also another pile-up's line lying along the end tangent (docs/tem.md, tem-track20).
/// Read locally instead, the two differ: a piece of the line lies *on* the arc shifted by the
/// glide, wherever along it, while a straight line along the end tangent leaves the arc
/// quadratically.
/// - The glide is rigid along the line's glide direction (normal to its chord), so each piece
///   point is compared with the line at the same place along the chord (as `glide` does); no
///   chord-angle gate.
/// - Every such point lies within the detector's noise of the glide-shifted line: |offset −
///   shift| ≤ z·√2·0.5 px (two curves, each with the detector's positional noise); points off
///   the arc may occur at the 1 % rate (a hooked end), not beyond it (binomial, as
///   `TEMCollinearPieces.significant`).
/// - The piece's chord agrees with the chord of the stretch of line it lies along (within the
///   25° of `glide`, now measured on the line's local tangent, not its whole chord).
enum TEMArcFit {
    /// Two-sided 1 % point of the normal.
    static let z = TEMPieceAbsorption.z
    /// Largest |offset − shift| of a point on the arc, px: two curves' positional noise at 1 %.
    static let tolerance = z * 2.0.squareRoot() * TEMCollinearPieces.positionNoise
    /// The local tangent gate, degrees (`CurveMatching.glide`'s).
    static let maxAngleDegrees = 25.0

    /// `piece` against `line` along the line's arc, as `TEMPieceAbsorption.fit` (span along the
    /// line's chord; shift along its glide direction), or nil when less than half of it lies
    /// within the line's span, its points leave the shifted arc beyond chance, or its chord
    /// turns from the line's local chord by more than `maxAngleDegrees`.
    /// `tolerance`: the largest |offset − shift| of a point on the arc (default the detector's
    /// floor; `scatterTolerance` measures it on the line's own frames).
    static func fit(_ piece: [TEMPoint], on line: [TEMPoint], tolerance: Double = TEMArcFit.tolerance) -> TEMPieceAbsorption.Fit? {
        guard piece.count >= 3, let (inside, lo, hi) = along(piece, on: line) else { return nil }
        guard inside.count >= 3, Double(inside.count) >= 0.5 * Double(piece.count) else { return nil }
        let d = inside.map { $0.n - $0.at }
        let shift = d.sorted()[d.count / 2]
        let off = d.reduce(0) { $0 + (abs($1 - shift) > tolerance ? 1 : 0) }
        guard !TEMCollinearPieces.significant(off, of: d.count, rate: 0.01) else { return nil }
        // The piece's chord against the line's chord over the same stretch.
        let first = inside[0], last = inside[inside.count - 1]
        let pc = TEMPoint(last.t - first.t, last.n - first.n), lc = TEMPoint(last.t - first.t, last.at - first.at)
        let lp = TEMPolyline.norm(pc), ll = TEMPolyline.norm(lc)
        guard lp > 1, ll > 1, (pc.x * lc.x + pc.y * lc.y) / (lp * ll) >= cos(maxAngleDegrees * .pi / 180) else { return nil }
        let residual = d.reduce(0) { $0 + abs($1 - shift) } / Double(d.count)
        return TEMPieceAbsorption.Fit(shift: shift, sigma: max(TEMPieceAbsorption.noiseFloor, residual / 0.8), lo: lo, hi: hi)
    }

    /// Each point of `piece` within `line`'s span along its chord as (t along the chord, its
    /// offset along the glide direction, the line's offset at the same t), with the piece's
    /// span along the chord; nil for a line shorter than 1 px.
    static func along(_ piece: [TEMPoint], on line: [TEMPoint])
        -> (inside: [(t: Double, n: Double, at: Double)], lo: Double, hi: Double)? {
        guard line.count >= 2, let o = line.first, let e = line.last else { return nil }
        let chord = e - o, l = TEMPolyline.norm(chord)
        guard l > 1 else { return nil }
        let c = chord / l, g = TEMPoint(-c.y, c.x)
        let tl = line.map { ($0 - o).x * c.x + ($0 - o).y * c.y }, nl = line.map { ($0 - o).x * g.x + ($0 - o).y * g.y }
        var lo = Double.infinity, hi = -Double.infinity
        // Per point within the line's span: (t, piece offset, line offset there).
        var inside: [(t: Double, n: Double, at: Double)] = []
        for p in piece {
            let t = (p - o).x * c.x + (p - o).y * c.y, n = (p - o).x * g.x + (p - o).y * g.y
            lo = min(lo, t); hi = max(hi, t)
            // The line where it crosses this place along the chord; of several crossings (a line
            // folding back on itself), the nearest.
            var best = Double.infinity, at = 0.0
            for k in 0..<(line.count - 1) {
                let t0 = tl[k], t1 = tl[k + 1]
                guard (t0 - t) * (t1 - t) <= 0, t0 != t1 else { continue }
                let m = nl[k] + (nl[k + 1] - nl[k]) * (t - t0) / (t1 - t0)
                if abs(m - n) < best { best = abs(m - n); at = m }
            }
            if best.isFinite { inside.append((t, n, at)) }
        }
        return (inside, lo, hi)
    }

    /// The off-arc tolerance measured on the line itself (`TEMTrackerConfig.collinearArcScatter`):
    /// the same line in its track's neighbouring frames, read along it as a piece is, leaves it
    /// by its own frame-to-frame scatter — a faint line's detected curve wanders by more than
    /// the detector's 0.5 px floor. z times the robust scale (1.4826 × median |residual −
    /// median|) of the pooled residuals (already two curves' noise), never below `tolerance`;
    /// `tolerance` when fewer than 8 residuals.
    static func scatterTolerance(of line: [TEMPoint], neighbours: [[TEMPoint]]) -> Double {
        var r: [Double] = []
        for m in neighbours {
            guard let (inside, _, _) = along(m, on: line), inside.count >= 3 else { continue }
            let d = inside.map { $0.n - $0.at }
            let shift = d.sorted()[d.count / 2]
            r.append(contentsOf: d.map { abs($0 - shift) })
        }
        guard r.count >= 8 else { return tolerance }
        return max(tolerance, z * 1.4826 * r.sorted()[r.count / 2])
    }
}
