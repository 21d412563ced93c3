#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A curve-level test with an empirical null taken from the frame itself (issue 11 item 2).
///
/// The ridge filter of the *opposite* polarity sees the same background structure as the
/// detected one (mottle, bend-contour edges, spots, fixed pattern and row noise are roughly
/// symmetric in sign) but none of the dislocations. Curves traced the same way in both
/// polarities are therefore exchangeable where they are background; a detected curve is kept only
/// when its evidence exceeds every opposite-polarity curve seen over the last `window` frames.
/// If the window holds N null curves and a frame has M background candidates of the same
/// distribution, the expected number kept per frame is M / (N + 1) (a rank test), about
/// 1 / window when the two polarities trace as many background curves per frame.
///
/// A line of one polarity makes two weaker ridges of the other along its flanks (≈ 0.45 of its
/// peak for a Gaussian profile, up to about as strong for a wide, flat-bottomed line seen at a
/// fine scale). Those belong to the line, not to the background, so a curve of either set that
/// runs alongside a stronger curve of the other set is set aside before the comparison (the same
/// rule on both sets keeps them exchangeable: of two adjacent background ridges of opposite sign
/// the stronger is as often dark as bright).
public enum CurveNullTest {
    /// Evidence of a curve: mean ridge response along it (noise units) × √length, i.e. the sum of
    /// the response along the curve scaled like a z-score of a path integral.
    public static func statistic(_ curve: TEMCurve) -> Double {
        curve.meanResponse * max(curve.lengthPx, 0).squareRoot()
    }

    /// Indices of `curves` that are not a flank of `other`: fewer than half their points lie
    /// within `distance` px of curves of `other` whose mean response is at least `ratio` times
    /// theirs (the stronger of two adjacent ridges of opposite sign is the line, the weaker its
    /// flank; with `ratio` 1 the rule is symmetric between the two sets).
    public static func notFlanks(_ curves: [TEMCurve], of other: [TEMCurve], distance: Double, ratio: Double) -> [Int] {
        let boxes = other.map { box($0.points, pad: distance) }
        let d2 = distance * distance
        return curves.indices.filter { i in
            let pts = curves[i].points
            guard !pts.isEmpty else { return true }
            let stronger = other.indices.filter { other[$0].meanResponse >= ratio * curves[i].meanResponse }
            guard !stronger.isEmpty else { return true }
            var near = 0
            for p in pts where stronger.contains(where: { j in
                let b = boxes[j]
                guard p.x >= b.lo.x && p.x <= b.hi.x && p.y >= b.lo.y && p.y <= b.hi.y else { return false }
                return other[j].points.contains { q in let d = p - q; return (d * d).sum() <= d2 }
            }) { near += 1 }
            return 2 * near < pts.count
        }
    }

    static func box(_ p: [TEMPoint], pad: Double) -> (lo: TEMPoint, hi: TEMPoint) {
        var lo = TEMPoint(.infinity, .infinity), hi = TEMPoint(-.infinity, -.infinity)
        for q in p { lo = TEMPoint(min(lo.x, q.x), min(lo.y, q.y)); hi = TEMPoint(max(hi.x, q.x), max(hi.y, q.y)) }
        return (lo - TEMPoint(pad, pad), hi + TEMPoint(pad, pad))
    }

    /// The largest null statistic of each of the last `window` frames (a ring): the threshold is
    /// their maximum, i.e. the maximum over every null curve of the window.
    public struct Window: Sendable, Equatable {
        public private(set) var maxima: [Double] = []
        private var next = 0
        public let size: Int

        public init(size: Int) { self.size = max(1, size) }

        /// Adds one frame's null curves (a frame without any adds 0: it is evidence too).
        public mutating func add(_ nullStatistics: [Double]) {
            let m = nullStatistics.max() ?? 0
            if maxima.count < size { maxima.append(m) } else { maxima[next] = m }
            next = (next + 1) % size
        }

        /// The current threshold: a candidate must exceed it.
        public var threshold: Double { maxima.max() ?? 0 }
    }
}
