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
/// be about 0 and the part would be a second line beside it, kept).
public enum TEMTemporalGhosts {
    /// Points hashed into square cells for nearest-point queries at any distance.
    public struct NearestPoints: Sendable {
        private var cells: [Int64: [TEMPoint]] = [:]
        /// Every point, for the exact scan that takes over when the rings would cost more.
        private var all: [TEMPoint] = []
        private let cell: Double
        private var lo = (x: Int.max, y: Int.max), hi = (x: Int.min, y: Int.min)

        public init(_ points: [TEMPoint], cell: Double = 4) {
            self.cell = max(cell, 0.5)
            for p in points where p.x.isFinite && p.y.isFinite {
                let i = Int((p.x / self.cell).rounded(.down)), j = Int((p.y / self.cell).rounded(.down))
                cells[Self.key(i, j), default: []].append(p)
                all.append(p)
                lo = (min(lo.x, i), min(lo.y, j)); hi = (max(hi.x, i), max(hi.y, j))
            }
        }

        public var isEmpty: Bool { cells.isEmpty }

        @inline(__always) private static func key(_ i: Int, _ j: Int) -> Int64 {
            Int64(i) << 32 ^ Int64(UInt32(bitPattern: Int32(truncatingIfNeeded: j)))
        }

        /// The nearest point to `p` and its distance (nil when there are no points). Rings of cells
        /// outwards from `p`'s cell, starting at the first ring that reaches the points' cells; once
        /// the rings would have looked at more cells than there are points (a query far from them,
        /// or a fine cell), an exact scan of every point finishes instead, so a query never costs
        /// more than about two plain scans.
        public func nearest(to p: TEMPoint) -> (point: TEMPoint, distance: Double)? {
            guard !cells.isEmpty else { return nil }
            let ci = Int((p.x / cell).rounded(.down)), cj = Int((p.y / cell).rounded(.down))
            let maxRing = max(abs(ci - lo.x), abs(ci - hi.x), abs(cj - lo.y), abs(cj - hi.y))
            // Rings nearer than the points' bounding box of cells hold nothing.
            var r = max(0, lo.x - ci, ci - hi.x, lo.y - cj, cj - hi.y)
            var best: TEMPoint?
            var best2 = Double.infinity
            var visited = 0
            @inline(__always) func visit(_ i: Int, _ j: Int) {
                guard let list = cells[Self.key(i, j)] else { return }
                for q in list {
                    let d = q - p
                    let d2 = d.x * d.x + d.y * d.y
                    if d2 < best2 { best2 = d2; best = q }
                }
            }
            while r <= maxRing {
                // A point in ring r is at least (r − 1)·cell away.
                if best != nil {
                    let reach = Double(r - 1) * cell
                    if reach > 0 && reach * reach > best2 { break }
                }
                visited += r == 0 ? 1 : 8 * r
                if visited > all.count {
                    return Self.scan(all, p)
                }
                if r == 0 {
                    visit(ci, cj)
                } else {
                    for di in -r...r { visit(ci + di, cj - r); visit(ci + di, cj + r) }
                    for dj in (1 - r)..<r { visit(ci - r, cj + dj); visit(ci + r, cj + dj) }
                }
                r += 1
            }
            guard let best else { return nil }
            return (best, best2.squareRoot())
        }

        /// The nearest of `points` to `p` by looking at every one.
        private static func scan(_ points: [TEMPoint], _ p: TEMPoint) -> (point: TEMPoint, distance: Double)? {
            var best: TEMPoint?
            var best2 = Double.infinity
            for q in points {
                let d = q - p
                let d2 = d.x * d.x + d.y * d.y
                if d2 < best2 { best2 = d2; best = q }
            }
            guard let best else { return nil }
            return (best, best2.squareRoot())
        }

        /// Whether a point lies within `r` of `p`.
        public func hasPoint(within r: Double, of p: TEMPoint) -> Bool {
            guard let n = nearest(to: p) else { return false }
            return n.distance <= r
        }
    }

    /// Whether the point `p` of an added part is a ghost's: some other frame of the window
    /// (`others`, their plain curves registered into this frame) has a curve within `radius` of
    /// it, and the frame's own nearest plain curve point q (`plain`) is no farther from p than
    /// the line's travel at q towards that frame (q's distance to the other frame's curves) plus
    /// `radius`.
    @inline(__always)
    public static func isGhostPoint(_ p: TEMPoint, plain: NearestPoints, others: [NearestPoints], radius: Double) -> Bool {
        guard let own = plain.nearest(to: p) else { return false }
        for other in others {
            guard let there = other.nearest(to: p), there.distance <= radius else { continue }
            guard let travel = other.nearest(to: own.point)?.distance else { continue }
            if own.distance <= travel + radius { return true }
        }
        return false
    }

    /// Whether the added part `run` (points about 1 px apart, in the frame's coordinates) is a
    /// gliding line's copy: at least half of its points are ghost points (`isGhostPoint`).
    public static func isGhost(_ run: [TEMPoint], plain: NearestPoints, others: [NearestPoints], radius: Double) -> Bool {
        guard !run.isEmpty, !plain.isEmpty, others.contains(where: { !$0.isEmpty }) else { return false }
        var ghosts = 0
        for p in run where isGhostPoint(p, plain: plain, others: others, radius: radius) { ghosts += 1 }
        return 2 * ghosts >= run.count
    }

    /// Another frame's plain curves moved into the frame's coordinates: a feature at p in the
    /// reference is at p + drift in a frame (`TEMTemporalMean.apply`), so a point of frame j is at
    /// point − drift(j) + drift(target) in the target frame. Resampled about 1 px apart.
    public static func registered(_ curves: [[TEMPoint]], drift: TEMPoint, target: TEMPoint) -> [TEMPoint] {
        let shift = target - drift
        return curves.flatMap { TEMPolyline.resample($0, spacing: 1).map { $0 + shift } }
    }
}
