/// The frame's intensity along a curve and beside it: what tells a line from an edge. A
/// dislocation is a line darker (or, in bright polarity, brighter) than the background on both of
/// its sides; the edge of a slip band or bend contour is a step — dark on one side, bright on the
/// other — whose dark side the Hessian also reports as a ridge. Read on the frame itself (not on
/// the ridge response), both are measured in the frame's own units, so the test needs no threshold
/// in intensity: a curve is a step when its two sides differ by more than its depth below the
/// darker side.
public enum CurveSides {
    /// Mean over the curve's points of the centre intensity and of each side's level. A side's
    /// level at a point is the brightest (for dark lines; darkest for bright ones) pixel at
    /// `nearest`…`farthest` px along the normal: a neighbouring line of a close pair covers only
    /// part of that reach, so it does not lower the side, while the dark side of a step does.
    public struct Profile: Sendable, Equatable {
        public var centre: Double
        public var left: Double
        public var right: Double

        /// Depth of the line below its darker side (dark lines), ≥ 0 for a line.
        public func depth(bright: Bool) -> Double {
            bright ? centre - max(left, right) : min(left, right) - centre
        }

        /// |left − right|: the step across the curve.
        public var step: Double { abs(left - right) }

        /// A step rather than a line: its sides differ by more than `ratio` × its depth.
        public func isStep(bright: Bool, ratio: Double) -> Bool { step > ratio * depth(bright: bright) }
    }

    /// The profile of `points` (the fitted curve, any spacing) on a row-major frame; nearest
    /// pixels, points or sides off the frame skipped. Nil when no point has both sides on the frame.
    public static func profile(_ points: [TEMPoint], frame: UnsafeBufferPointer<Float>, width: Int, height: Int,
                               bright: Bool, nearest: Int = 3, farthest: Int = 8) -> Profile? {
        guard points.count >= 3, width > 0, height > 0, frame.count >= width * height, farthest >= nearest else { return nil }
        func at(_ q: TEMPoint) -> Float? {
            let x = Int(q.x.rounded()), y = Int(q.y.rounded())
            guard x >= 0, y >= 0, x < width, y < height else { return nil }
            return frame[y * width + x]
        }
        var sc = 0.0, sl = 0.0, sr = 0.0, n = 0
        for i in points.indices {
            let a = points[max(0, i - 1)], b = points[min(points.count - 1, i + 1)]
            let t = b - a, len = TEMPolyline.norm(t)
            guard len > 1e-9, let c = at(points[i]) else { continue }
            let normal = TEMPoint(-t.y, t.x) / len
            func side(_ sign: Double) -> Float? {
                var best: Float?
                for k in nearest...farthest {
                    guard let v = at(points[i] + sign * Double(k) * normal) else { return nil }
                    best = best.map { bright ? min($0, v) : max($0, v) } ?? v
                }
                return best
            }
            guard let l = side(-1), let r = side(1) else { continue }
            sc += Double(c); sl += Double(l); sr += Double(r); n += 1
        }
        guard n > 0 else { return nil }
        return Profile(centre: sc / Double(n), left: sl / Double(n), right: sr / Double(n))
    }

    /// A sign test of a dip along a curve: at points `spacing` px apart along it, is the centre
    /// darker (bright lines: brighter) than the median of each side's pixels at
    /// `nearest`…`farthest` px along the normal?
    public struct Dip: Sendable, Equatable {
        /// Points whose centre lies beyond both sides' medians.
        public var beyond: Int
        /// Points tested (both sides on the frame; ties with the side's median left out).
        public var tested: Int
        /// P(at least `beyond` of `tested` | each point a fair coin): the chance of so many
        /// points beyond their sides where the profile has no dip.
        public var pValue: Double
    }

    /// The dip test of `points` (the fitted curve, any spacing) on a row-major frame; nil when no
    /// point has both sides on the frame. Where the profile across has no dip — an intensity step,
    /// the ridge the Hessian reports at a step's dark foot, a line's flank — the centre lies on
    /// or above the darker side's level, so it is beyond the darker side's median at no more than
    /// half of the points; a line lying on a step lies below its darker side along its whole
    /// length, however large the step. The median (not `profile`'s brightest pixel, which is
    /// above a plateau's noise at almost every point) keeps a flat side a fair coin, and points
    /// 3 px apart keep the frame's blur from counting one pixel's noise twice.
    public static func dip(_ points: [TEMPoint], frame: UnsafeBufferPointer<Float>, width: Int, height: Int,
                           bright: Bool, spacing: Double = 3, nearest: Int = 3, farthest: Int = 8) -> Dip? {
        guard points.count >= 3, width > 0, height > 0, frame.count >= width * height, farthest >= nearest else { return nil }
        func at(_ q: TEMPoint) -> Float? {
            let x = Int(q.x.rounded()), y = Int(q.y.rounded())
            guard x >= 0, y >= 0, x < width, y < height else { return nil }
            return frame[y * width + x]
        }
        let reach = farthest - nearest + 1
        var values = [Float](repeating: 0, count: reach)
        var beyond = 0, tested = 0
        var sinceLast = Double.infinity
        for i in points.indices {
            if i > 0 { sinceLast += TEMPolyline.norm(points[i] - points[i - 1]) }
            guard sinceLast >= spacing else { continue }
            let a = points[max(0, i - 1)], b = points[min(points.count - 1, i + 1)]
            let t = b - a, len = TEMPolyline.norm(t)
            guard len > 1e-9, let c = at(points[i]) else { continue }
            let normal = TEMPoint(-t.y, t.x) / len
            func sideMedian(_ sign: Double) -> Float? {
                for k in nearest...farthest {
                    guard let v = at(points[i] + sign * Double(k) * normal) else { return nil }
                    values[k - nearest] = v
                }
                values.sort()
                return reach % 2 == 1 ? values[reach / 2] : (values[reach / 2 - 1] + values[reach / 2]) / 2
            }
            guard let l = sideMedian(-1), let r = sideMedian(1) else { continue }
            sinceLast = 0
            // Beyond both sides: below the darker one (dark lines), above the brighter one.
            let side = bright ? max(l, r) : min(l, r)
            guard c != side else { continue }
            tested += 1
            if bright ? c > side : c < side { beyond += 1 }
        }
        guard tested > 0 else { return nil }
        return Dip(beyond: beyond, tested: tested, pValue: SeedPersistence.binomialTail(beyond, of: tested, p: 0.5))
    }
}
