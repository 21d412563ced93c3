#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The frame's level of `CurveContrast`'s depth for medians over as many points as a curve has.
///
/// `CurveContrast.level` reads medians over 14 points (40-px segments). A curve's depth is a
/// median over its own points, 3 px apart: a 150-px curve's over 50, whose spread on the frame's
/// background is smaller than a 14-point median's — by √(14/50) where pixel noise dominates (the
/// faint draws), by less where the mottle is correlated along a path (smooth real frames). The
/// spread is measured, not assumed: the prefixes of straight segments laid across the frame as
/// the level lays them give the statistic's median and spread for every number of points.
public enum CurveContrastLengths {
    /// Median and robust spread of the depth median over `n` points, at index `n` (1…`maxPoints`).
    public struct Levels: Sendable, Equatable {
        public var median: [Double]
        public var spread: [Double]
        /// Segments read.
        public var segments: Int

        /// The level for a median over `count` points (the longest measured for longer curves).
        public func level(points count: Int) -> CurveContrast.Level {
            let n = max(1, min(count, median.count - 1))
            return CurveContrast.Level(median: median[n], spread: spread[n], segments: segments)
        }
    }

    /// Points per segment: as long as the frame allows with the sides on it (centres over a span
    /// of at least a quarter of the frame's shorter side), at most `cap`.
    public static func maxPoints(width: Int, height: Int, spacing: Double = 3, farthest: Int = 8, cap: Int = 81) -> Int {
        let side = Double(min(width, height))
        let length = 0.75 * side - 2 * Double(farthest + 1)
        guard length > 0 else { return 0 }
        return min(cap, Int(length / spacing) + 1)
    }

    /// The levels of `frame`: `segments` straight segments of `maxPoints` points `spacing` px
    /// apart, centres and directions from the R₃ sequence (as `CurveContrast.level`), each
    /// segment's running median of the point depths taken after every point. Nil when the frame
    /// has no room for a segment of 3 points, or fewer than 8 segments are read whole.
    public static func levels(frame: UnsafeBufferPointer<Float>, width: Int, height: Int, bright: Bool,
                              segments: Int = 256, spacing: Double = 3, nearest: Int = 3, farthest: Int = 8) -> Levels? {
        let points = maxPoints(width: width, height: height, spacing: spacing, farthest: farthest)
        guard points >= 3, width > 0, height > 0, frame.count >= width * height, segments > 0 else { return nil }
        let length = Double(points - 1) * spacing
        let margin = length / 2 + Double(farthest) + 1
        let spanX = Double(width - 1) - 2 * margin, spanY = Double(height - 1) - 2 * margin
        guard spanX >= 0, spanY >= 0 else { return nil }
        let phi = 1.2207440846057596
        let alpha = (1 / phi, 1 / (phi * phi), 1 / (phi * phi * phi))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: farthest - nearest + 1)
        defer { scratch.deallocate() }
        // prefix[n · segments + s]: segment s's median over its first n points (flat).
        var prefix = [Double](repeating: 0, count: (points + 1) * segments)
        var sorted = [Double](repeating: 0, count: points)
        var read = 0
        for k in 0..<segments {
            let u = (0.5 + Double(k) * alpha.0).truncatingRemainder(dividingBy: 1)
            let v = (0.5 + Double(k) * alpha.1).truncatingRemainder(dividingBy: 1)
            let w = (0.5 + Double(k) * alpha.2).truncatingRemainder(dividingBy: 1)
            let centre = TEMPoint(margin + u * spanX, margin + v * spanY)
            let theta = Double.pi * w
            let dir = TEMPoint(cos(theta), sin(theta)), normal = TEMPoint(-sin(theta), cos(theta))
            var whole = true
            for j in 0..<points {
                let p = centre + (Double(j) * spacing - length / 2) * dir
                guard let d = CurveContrast.pointDepth(p, normal: normal, frame: frame, width: width, height: height, bright: bright,
                                                       nearest: nearest, farthest: farthest, scratch: scratch) else { whole = false; break }
                // Insertion into the running sorted list; its median after j + 1 points.
                var i = j
                while i > 0 && sorted[i - 1] > d { sorted[i] = sorted[i - 1]; i -= 1 }
                sorted[i] = d
                let n = j + 1
                prefix[n * segments + read] = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
            }
            if whole { read += 1 }
        }
        guard read >= 8 else { return nil }
        var median = [Double](repeating: 0, count: points + 1), spread = [Double](repeating: .infinity, count: points + 1)
        var column = [Double](repeating: 0, count: read)
        for n in 1...points {
            for s in 0..<read { column[s] = prefix[n * segments + s] }
            guard let m = CurveContrast.median(&column) else { continue }
            for s in 0..<read { column[s] = abs(prefix[n * segments + s] - m) }
            median[n] = m
            spread[n] = 1.4826 * (CurveContrast.median(&column) ?? 0)
        }
        return Levels(median: median, spread: spread, segments: read)
    }
}
