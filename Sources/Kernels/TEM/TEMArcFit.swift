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
    static func fit(_ piece: [TEMPoint], on line: [TEMPoint]) -> TEMPieceAbsorption.Fit? {
        guard line.count >= 2, piece.count >= 3, let o = line.first, let e = line.last else { return nil }
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
}
