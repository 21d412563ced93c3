/// Whether a frame's own ridge response still shows a line along given points, read against the
/// same statistic at the points moved to other places of the same frame
/// (`TEMDetectorConfig.temporalGhostLeftAlpha`; issue 11 item 5; docs/tem.md, "Ghosts read on
/// the other frame's own response").
///
/// The ghost rule (`TEMTemporalGhosts`) takes an added part for a gliding line's copy when the
/// frame's own line q is, in another frame j of the window, where that frame shows no plain
/// curve: the line moved. On a faint video frame j's detector also misses lines that did not
/// move; then q reads as left and a real part is dropped. The evidence that the line left q is
/// frame j's own: the mean of its ridge response along q (registered into frame j) is not
/// distinguishable from the same mean along the same point set translated to places spread over
/// frame j (a low-discrepancy set of translations). The statistic's null is the frame's own —
/// its noise, its scale, the correlation of the response along a path — so no level is set: a
/// one-sided test at `alpha` on the median and robust spread (1.4826 × MAD) of the placements; a
/// placement that lands on another line sits in the tail the median and MAD ignore.
public enum TEMTemporalLineLeft {
    /// The frame's level of the path statistic for one point set: median and robust spread of
    /// its mean response over the placements.
    public struct Level: Sendable, Equatable {
        public var median: Double
        public var spread: Double
        /// Placements read (those with every point on the frame).
        public var placements: Int
    }

    /// The response at `p` bilinearly interpolated; nil off the frame (width and height ≥ 2).
    @inline(__always)
    static func sample(_ r: UnsafeBufferPointer<Float>, width: Int, height: Int, _ p: TEMPoint) -> Double? {
        guard p.x >= 0, p.y >= 0, p.x <= Double(width - 1), p.y <= Double(height - 1) else { return nil }
        let x0 = min(Int(p.x), width - 2), y0 = min(Int(p.y), height - 2)
        let fx = p.x - Double(x0), fy = p.y - Double(y0)
        let x1 = x0 + 1, y1 = y0 + 1
        let a = Double(r[y0 * width + x0]), b = Double(r[y0 * width + x1])
        let c = Double(r[y1 * width + x0]), d = Double(r[y1 * width + x1])
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }

    /// The mean response over `points` shifted by `shift`; nil when a point is off the frame.
    public static func meanResponse(_ points: [TEMPoint], shift: TEMPoint = .zero, response: UnsafeBufferPointer<Float>,
                                    width: Int, height: Int) -> Double? {
        guard !points.isEmpty, width > 1, height > 1, response.count >= width * height else { return nil }
        var sum = 0.0
        for p in points {
            guard let v = sample(response, width: width, height: height, p + shift) else { return nil }
            sum += v
        }
        return sum / Double(points.count)
    }

    /// The statistic's level on the frame for `points`' shape: the point set translated so that its
    /// bounding box's corner sits at `placements` places of the R₂ sequence (fractional parts of
    /// k·(1/φ₂, 1/φ₂²), φ₂ the plastic number) over the positions that keep it on the frame.
    /// Nil when fewer than 8 placements fit.
    public static func level(_ points: [TEMPoint], response: UnsafeBufferPointer<Float>, width: Int, height: Int,
                             placements: Int = 128) -> Level? {
        guard !points.isEmpty, width > 1, height > 1, response.count >= width * height, placements >= 8 else { return nil }
        var lo = points[0], hi = points[0]
        for p in points { lo = pointwiseMin(lo, p); hi = pointwiseMax(hi, p) }
        let spanX = Double(width - 1) - (hi.x - lo.x), spanY = Double(height - 1) - (hi.y - lo.y)
        guard spanX >= 0, spanY >= 0 else { return nil }
        let phi = 1.324717957244746
        let step = (1 / phi, 1 / (phi * phi))
        var values: [Double] = []
        values.reserveCapacity(placements)
        for k in 0..<placements {
            let u = (0.5 + Double(k) * step.0).truncatingRemainder(dividingBy: 1)
            let v = (0.5 + Double(k) * step.1).truncatingRemainder(dividingBy: 1)
            let shift = TEMPoint(u * spanX, v * spanY) - lo
            if let m = meanResponse(points, shift: shift, response: response, width: width, height: height) { values.append(m) }
        }
        guard values.count >= 8, let m = CurveContrast.median(&values) else { return nil }
        var deviations = values.map { abs($0 - m) }
        return Level(median: m, spread: 1.4826 * (CurveContrast.median(&deviations) ?? 0), placements: values.count)
    }

    /// Whether the frame's response along `points` (in the frame's own pixels; those off the
    /// frame left out) still shows a line: its mean stands above the level of the same point set
    /// placed over the frame by more than Φ⁻¹(1 − α) robust spreads. False when no point is on
    /// the frame or no level can be read (no evidence of a line there).
    public static func stillThere(_ points: [TEMPoint], response: UnsafeBufferPointer<Float>, width: Int, height: Int,
                                  alpha: Double, placements: Int = 128) -> Bool {
        let points = points.filter { $0.x >= 0 && $0.y >= 0 && $0.x <= Double(width - 1) && $0.y <= Double(height - 1) }
        guard alpha > 0, alpha < 1,
              let observed = meanResponse(points, response: response, width: width, height: height),
              let level = level(points, response: response, width: width, height: height, placements: placements)
        else { return false }
        let z = NanodiffStatistics.normalQuantile(1 - alpha)
        return observed > level.median + max(z, 0) * level.spread
    }
}
