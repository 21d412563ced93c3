/// A gliding line's smeared copy in the temporal mean (`TEMDetectorConfig.temporalDropGhosts`;
/// issue 11 item 5; docs/tem.md, "Ghosts and hooked trace pieces in the mean's added parts").
///
/// The mean of a window of registered frames holds a line that glides within the window at each
/// of its places, each at a share of its depth. The frame's own curve covers the line where it is
/// now; the mean's detector can also trace it where it was (or will be) in another frame of the
/// window — a copy running alongside the frame's curve, a few px to one side, which the tracker
/// then takes for a line of its own. Such an added part is told by three facts read from the
/// plain curves alone, with no distance set: (1) another frame of the window has a plain curve
/// where the part is (within the cover radius: the line was there); (2) the frame's nearest plain
/// curve is no farther from the part than that line's travel between the two frames — the
/// distance from its nearest point to the other frame's plain curves, i.e. where the line went;
/// (3) hence that other frame has no curve where the frame's own line is (else the travel would
/// be about 0 and the part would be a second line beside it, kept). With
/// `temporalGhostLeftAlpha` > 0, (3) is read on the other frame's own ridge response too: a faint
/// line that frame's detector merely missed at q has not left it (`TEMTemporalLineLeft`).
public enum TEMTemporalGhosts {
    /// Whether the point `p` of an added part is a ghost's: some other frame of the window
    /// (`others`, their plain curves registered into this frame) has a curve within `radius` of
    /// it, and the frame's own nearest plain curve point q (`plain`) is no farther from p than
    /// the line's travel at q towards that frame (q's distance to the other frame's curves) plus
    /// `radius`.
    @inline(__always)
    static func isGhostPoint(_ p: TEMPoint, plain: PointGrid, others: [PointGrid], radius: Double) -> Bool {
        ghostFrames(p, plain: plain, others: others, radius: radius) { _, _ in true }
    }

    /// `isGhostPoint`'s reading, frame by frame: `found(j, q)` is called for each other frame j
    /// (index into `others`) that makes p a ghost's point, with q, the frame's own nearest plain
    /// point, until it returns true; returns whether it did.
    @inline(__always)
    static func ghostFrames(_ p: TEMPoint, plain: PointGrid, others: [PointGrid], radius: Double,
                            _ found: (Int, TEMPoint) -> Bool) -> Bool {
        guard let own = plain.nearest(to: p) else { return false }
        for (j, other) in others.enumerated() {
            guard let there = other.nearest(to: p), there.distance <= radius else { continue }
            guard let travel = other.nearest(to: own.point)?.distance else { continue }
            if own.distance <= travel + radius, found(j, own.point) { return true }
        }
        return false
    }

    /// Whether the added part `run` (points about 1 px apart, in the frame's coordinates) is a
    /// gliding line's copy: at least half of its points are ghost points (`isGhostPoint`).
    /// `left` (`temporalGhostLeftAlpha`): one test per other frame j, given the frame's own line
    /// points q that j's plain curves say the line left (in this frame's coordinates) — whether
    /// frame j's own response shows the line gone there (`TEMTemporalLineLeft`); a point counts
    /// as a ghost's only through a frame whose test says so. Nil: every such frame counts.
    static func isGhost(_ run: [TEMPoint], plain: PointGrid, others: [PointGrid], radius: Double,
                        left: [([TEMPoint]) -> Bool]? = nil) -> Bool {
        guard !run.isEmpty, !plain.isEmpty, others.contains(where: { !$0.isEmpty }) else { return false }
        guard let left else {
            var ghosts = 0
            for p in run where isGhostPoint(p, plain: plain, others: others, radius: radius) { ghosts += 1 }
            return 2 * ghosts >= run.count
        }
        // Each point's frames that make it a ghost's, and per frame the distinct own points q.
        var byFrame = [[Int]](repeating: [], count: others.count)
        var qs = [[TEMPoint]](repeating: [], count: others.count)
        var seenQ = [Set<TEMPoint>](repeating: [], count: others.count)
        for (i, p) in run.enumerated() {
            _ = ghostFrames(p, plain: plain, others: others, radius: radius) { j, q in
                byFrame[j].append(i)
                if seenQ[j].insert(q).inserted { qs[j].append(q) }
                return false
            }
        }
        var ghost = [Bool](repeating: false, count: run.count)
        for j in others.indices where !byFrame[j].isEmpty && j < left.count && left[j](qs[j]) {
            for i in byFrame[j] { ghost[i] = true }
        }
        return 2 * ghost.filter { $0 }.count >= run.count
    }

    /// Another frame's plain curves moved into the frame's coordinates: a feature at p in the
    /// reference is at p + drift in a frame (`TEMTemporalMean.apply`), so a point of frame j is at
    /// point − drift(j) + drift(target) in the target frame. Resampled about 1 px apart.
    public static func registered(_ curves: [[TEMPoint]], drift: TEMPoint, target: TEMPoint) -> [TEMPoint] {
        let shift = target - drift
        return curves.flatMap { TEMPolyline.resample($0, spacing: 1).map { $0 + shift } }
    }
}
