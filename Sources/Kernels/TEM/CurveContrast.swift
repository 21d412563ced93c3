#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A curve's depth below what lies beside it, read against the same measure at straight
/// segments laid across the frame: what tells a line from the mottle of a smooth real frame.
///
/// The Hessian finds ridges in mottled texture whose centre lies no lower than what is a few px
/// beside it, and on a smooth (high-dose, JPEG) frame the response noise is so small that they
/// pass every noise-relative threshold. What they lack is depth on the frame's own scale: how
/// deep does an arbitrary short straight stretch of this frame lie below its sides? That spread
/// is the mottle's (plus the camera noise's), measured on the frame itself, so no intensity level
/// is set by hand. The side level is the median of the pixels 3–8 px along the normal and the
/// depth is read below the *brighter* side: a close neighbour of a pile-up covers part of one
/// side's reach and would otherwise take the line's depth away (docs/tem.md, real frames).
public enum CurveContrast {
    /// The frame's level of the depth statistic: median and robust spread (1.4826 × MAD) of the
    /// depths of straight segments across the frame.
    public struct Level: Sendable, Equatable {
        public var median: Double
        public var spread: Double
        /// Segments measured.
        public var segments: Int
    }

    /// Median over points `spacing` px apart along `points` (the fitted curve, any spacing) of
    /// the depth below the brighter side (dark lines; bright lines: the height above the darker
    /// side), sides being the median of the pixels `nearest`…`farthest` px along the normal.
    /// Nil when no point has both sides on the frame.
    public static func depth(_ points: [TEMPoint], frame: UnsafeBufferPointer<Float>, width: Int, height: Int,
                             bright: Bool, spacing: Double = 3, nearest: Int = 3, farthest: Int = 8) -> Double? {
        guard points.count >= 2, width > 0, height > 0, frame.count >= width * height, farthest >= nearest else { return nil }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: farthest - nearest + 1)
        defer { scratch.deallocate() }
        var depths: [Double] = []
        depths.reserveCapacity(points.count)
        var sinceLast = Double.infinity
        for i in points.indices {
            if i > 0 { sinceLast += TEMPolyline.norm(points[i] - points[i - 1]) }
            guard sinceLast >= spacing - 1e-9 else { continue }
            let a = points[max(0, i - 1)], b = points[min(points.count - 1, i + 1)]
            let t = b - a, len = TEMPolyline.norm(t)
            guard len > 1e-9 else { continue }
            guard let d = pointDepth(points[i], normal: TEMPoint(-t.y, t.x) / len, frame: frame, width: width, height: height,
                                     bright: bright, nearest: nearest, farthest: farthest, scratch: scratch) else { continue }
            sinceLast = 0
            depths.append(d)
        }
        return median(&depths)
    }

    /// The frame's level: `segments` straight segments `length` px long (points `spacing` px
    /// apart), centres and directions from the R₃ low-discrepancy sequence (deterministic, even
    /// over the frame and the directions, tied to no pixel grid), each segment's `depth`. A
    /// segment lies mostly on background, so the level is the background's, whatever lines the
    /// frame holds. Nil when the frame is too small for a segment with its sides, or fewer than 8
    /// segments could be read.
    public static func level(frame: UnsafeBufferPointer<Float>, width: Int, height: Int, bright: Bool,
                             segments: Int = 256, length: Double = 40, spacing: Double = 3,
                             nearest: Int = 3, farthest: Int = 8) -> Level? {
        guard width > 0, height > 0, frame.count >= width * height, segments > 0, length > 0, spacing > 0 else { return nil }
        let margin = length / 2 + Double(farthest) + 1
        let spanX = Double(width - 1) - 2 * margin, spanY = Double(height - 1) - 2 * margin
        guard spanX >= 0, spanY >= 0 else { return nil }
        // R₃: fractional parts of k·(1/φ₃, 1/φ₃², 1/φ₃³), φ₃ the plastic-like root of x⁴ = x + 1.
        let phi = 1.2207440846057596
        let alpha = (1 / phi, 1 / (phi * phi), 1 / (phi * phi * phi))
        let count = Int(length / spacing) + 1
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: farthest - nearest + 1)
        defer { scratch.deallocate() }
        var depths: [Double] = [], values: [Double] = []
        depths.reserveCapacity(count)
        values.reserveCapacity(segments)
        for k in 0..<segments {
            let u = (0.5 + Double(k) * alpha.0).truncatingRemainder(dividingBy: 1)
            let v = (0.5 + Double(k) * alpha.1).truncatingRemainder(dividingBy: 1)
            let w = (0.5 + Double(k) * alpha.2).truncatingRemainder(dividingBy: 1)
            let centre = TEMPoint(margin + u * spanX, margin + v * spanY)
            let theta = Double.pi * w
            let dir = TEMPoint(cos(theta), sin(theta)), normal = TEMPoint(-sin(theta), cos(theta))
            depths.removeAll(keepingCapacity: true)
            for j in 0..<count {
                let p = centre + (Double(j) * spacing - length / 2) * dir
                if let d = pointDepth(p, normal: normal, frame: frame, width: width, height: height, bright: bright,
                                      nearest: nearest, farthest: farthest, scratch: scratch) { depths.append(d) }
            }
            if depths.count >= 3, let m = median(&depths) { values.append(m) }
        }
        guard values.count >= 8, let m = median(&values) else { return nil }
        var deviations = values.map { abs($0 - m) }
        return Level(median: m, spread: 1.4826 * (median(&deviations) ?? 0), segments: values.count)
    }

    /// Whether `depth` stands out of the frame's level at `alpha`: above its median by more than
    /// Φ⁻¹(1 − α) spreads (a frame without spread, e.g. noise-free: above the median).
    public static func stands(_ depth: Double, above level: Level, alpha: Double) -> Bool {
        guard alpha > 0, alpha < 1 else { return true }
        let z = NanodiffStatistics.normalQuantile(1 - alpha)
        return depth > level.median + max(z, 0) * level.spread
    }

    /// Depth at `p` below the brighter side's median (dark lines), nearest pixels; nil when a
    /// pixel is off the frame. `scratch` holds `farthest − nearest + 1` values.
    @inline(__always)
    static func pointDepth(_ p: TEMPoint, normal: TEMPoint, frame: UnsafeBufferPointer<Float>, width: Int, height: Int,
                           bright: Bool, nearest: Int, farthest: Int, scratch: UnsafeMutablePointer<Float>) -> Double? {
        let base = frame.baseAddress!
        let xMax = Double(width) - 0.5, yMax = Double(height) - 0.5
        @inline(__always) func at(_ q: TEMPoint) -> Float? {
            // The nearest pixel with halves away from zero, as `rounded()`, without its libm
            // call (most of this kernel's time): only −0.5 < x < width − 0.5 lands on the frame.
            guard q.x > -0.5, q.y > -0.5, q.x < xMax, q.y < yMax else { return nil }
            return base[Int(q.y + 0.5) * width + Int(q.x + 0.5)]
        }
        guard let c = at(p) else { return nil }
        let reach = farthest - nearest + 1
        @inline(__always) func sideMedian(_ sign: Double) -> Float? {
            // Insertion sort as the values arrive: a handful of values, no allocation.
            for k in 0..<reach {
                guard let v = at(p + sign * Double(k + nearest) * normal) else { return nil }
                var j = k
                while j > 0 && scratch[j - 1] > v { scratch[j] = scratch[j - 1]; j -= 1 }
                scratch[j] = v
            }
            return reach % 2 == 1 ? scratch[reach / 2] : (scratch[reach / 2 - 1] + scratch[reach / 2]) / 2
        }
        guard let l = sideMedian(-1), let r = sideMedian(1) else { return nil }
        return bright ? Double(c - min(l, r)) : Double(max(l, r) - c)
    }

    /// Plain twin of `depth` for tests and the benchmark: the definition, nothing shared with it
    /// but the nearest-pixel rule.
    public static func referenceDepth(_ points: [TEMPoint], frame: [Float], width: Int, height: Int, bright: Bool) -> Double? {
        var out: [Double] = [], since = Double.infinity
        for i in points.indices {
            if i > 0 { since += hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y) }
            guard since >= 3 - 1e-9 else { continue }
            let a = points[max(0, i - 1)], b = points[min(points.count - 1, i + 1)]
            let tx = b.x - a.x, ty = b.y - a.y, len = hypot(tx, ty)
            guard len > 1e-9, let d = referencePointDepth(frame, width, height, points[i].x, points[i].y, -ty / len, tx / len, bright) else { continue }
            since = 0
            out.append(d)
        }
        return referenceMedian(out)
    }

    /// Plain twin of `level` (the default segments: 256 of 40 px, points 3 px apart).
    public static func referenceLevel(frame: [Float], width: Int, height: Int, bright: Bool, segments: Int = 256) -> Level? {
        let margin = 29.0, sx = Double(width - 1) - 2 * margin, sy = Double(height - 1) - 2 * margin
        guard sx >= 0, sy >= 0 else { return nil }
        let g = 1.2207440846057596
        func frac(_ v: Double) -> Double { v - v.rounded(.down) }
        var medians: [Double] = []
        for k in 0..<segments {
            let cx = margin + frac(0.5 + Double(k) * (1 / g)) * sx, cy = margin + frac(0.5 + Double(k) * (1 / (g * g))) * sy
            let th = Double.pi * frac(0.5 + Double(k) * (1 / (g * g * g)))
            let d = (0..<14).compactMap { j in
                referencePointDepth(frame, width, height, cx + (3 * Double(j) - 20) * cos(th), cy + (3 * Double(j) - 20) * sin(th),
                                    -sin(th), cos(th), bright)
            }
            if d.count >= 3 { medians.append(referenceMedian(d)!) }
        }
        guard medians.count >= 8, let m = referenceMedian(medians) else { return nil }
        return Level(median: m, spread: 1.4826 * referenceMedian(medians.map { abs($0 - m) })!, segments: medians.count)
    }

    static func referencePointDepth(_ f: [Float], _ w: Int, _ h: Int, _ x: Double, _ y: Double, _ nx: Double, _ ny: Double,
                                    _ bright: Bool) -> Double? {
        func pixel(_ x: Double, _ y: Double) -> Double? {
            let xi = Int(x.rounded()), yi = Int(y.rounded())
            return xi >= 0 && yi >= 0 && xi < w && yi < h ? Double(f[yi * w + xi]) : nil
        }
        guard let c = pixel(x, y) else { return nil }
        var sides: [Double] = []
        for sign in [-1.0, 1.0] {
            var v: [Double] = []
            for k in 3...8 {
                guard let q = pixel(x + sign * Double(k) * nx, y + sign * Double(k) * ny) else { return nil }
                v.append(q)
            }
            sides.append(referenceMedian(v)!)
        }
        return bright ? c - sides.min()! : sides.max()! - c
    }

    static func referenceMedian(_ v: [Double]) -> Double? {
        guard !v.isEmpty else { return nil }
        let s = v.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// Median of `values` (reordered); nil when empty.
    static func median(_ values: inout [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        values.sort()
        let n = values.count
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2
    }
}
