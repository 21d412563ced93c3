#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether two tracks whose ends meet are two lines whose ends slide past each other rather than
/// the pieces of one bent line (`TEMCornerPieces`).
///
/// The corner of a bent line is one point of the line: it stays at the end of both pieces and
/// moves with them, so the offset from one piece's end to the other's, read in the first piece's
/// own frame at its end (along its inward direction and across it), stays put while the line
/// glides or turns. Two lines of crossing slip systems whose ends pass each other meet only
/// while they pass, and the offset between their ends runs through the meeting at the lines'
/// relative speed. Counting frames (`minShare`) cannot tell the two apart in a short piece of
/// video, where the passing takes half the frames; the trend of the offset can.
///
/// The test, over the frames where the ends meet (the only frames where "the ends" are the
/// corner: elsewhere a track may hold a fragment, or for a few frames another piece, and its
/// end is anywhere): fit the offset as constant and as constant + rate × frame (least squares,
/// both coordinates). Under a fixed corner the sum of squares the rate explains, over the
/// offset's noise variance σ², is χ² with 2 degrees of freedom, so its tail is
/// exp(−ESS / 2σ²). σ² is measured on the data — the scatter about the trends, pooled over
/// every candidate pair of the piece of video (one pair's 3–5 meeting frames say little about
/// the noise; the detector's end noise is shared by all) — and never taken below the
/// detector's positional noise, half a pixel, so exact synthetic curves do not make every
/// trend significant. The pair slides when the trend is significant at `significance` **and**,
/// carried on over every frame the two tracks share, it takes the ends further apart than
/// `TEMCornerPieces.maxGap` — the ends would have parted within the tracks' common life, as
/// two passing lines' ends do right after they pass; a detectable but slow creep of a real
/// corner (the detector cutting a bend a pixel further along over a long track) is no reason
/// to split a line.
public enum TEMCornerSlide {
    /// The test's level: a real corner is refused one time in a hundred by chance alone.
    public static let significance = 0.01
    /// Floor of the per-coordinate noise of the offset (px): the detector's positional noise
    /// at an end (as in `TEMTracker.commonShift`).
    public static let noiseFloor = 0.5

    /// The offset of `b`'s facing end from `a`'s, in `a`'s frame at its end: along `a`'s inward
    /// direction and across it.
    public static func offset(_ a: [TEMPoint], aEnd: Bool, _ b: [TEMPoint], bEnd: Bool) -> TEMPoint {
        let u = TEMCornerPieces.inward(a, fromEnd: aEnd)
        let d = (bEnd ? b[b.count - 1] : b[0]) - (aEnd ? a[a.count - 1] : a[0])
        return TEMPoint(d.x * u.x + d.y * u.y, -d.x * u.y + d.y * u.x)
    }

    /// The least-squares trend of one pair's meeting offsets.
    public struct Trend {
        public var tMean: Double, mean: TEMPoint, rate: TEMPoint
        /// Sum of squares the rate explains, and the residual sum of squares with its degrees
        /// of freedom (2 per frame, less 4 parameters).
        public var explained: Double, residual: Double, dof: Int

        /// The trend of `offsets` at frames `frames` (increasing); nil below three frames.
        public init?(frames: [Int], offsets: [TEMPoint]) {
            let n = frames.count
            guard n >= 3, offsets.count == n else { return nil }
            tMean = Double(frames.reduce(0, +)) / Double(n)
            mean = offsets.reduce(TEMPoint.zero, +) / Double(n)
            var stt = 0.0, stx = 0.0, sty = 0.0, total = 0.0
            for (f, d) in zip(frames, offsets) {
                let t = Double(f) - tMean, e = d - mean
                stt += t * t; stx += t * e.x; sty += t * e.y
                total += e.x * e.x + e.y * e.y
            }
            guard stt > 0 else { return nil }
            rate = TEMPoint(stx / stt, sty / stt)
            explained = (rate.x * rate.x + rate.y * rate.y) * stt
            residual = max(0, total - explained)
            dof = 2 * (n - 2)
        }

        /// The fitted offset at frame `f`.
        public func at(_ f: Int) -> TEMPoint { mean + (Double(f) - tMean) * rate }
    }

    /// The noise variance of the offsets: the pooled residual variance of `trends`, floored.
    public static func noiseVariance(_ trends: [Trend]) -> Double {
        let dof = trends.reduce(0) { $0 + $1.dof }
        let pooled = dof > 0 ? trends.reduce(0) { $0 + $1.residual } / Double(dof) : 0
        return max(pooled, noiseFloor * noiseFloor)
    }

    /// Whether `trend` is two lines' ends sliding past each other (above), with noise variance
    /// `variance` and the tracks both seen over `span`.
    public static func slides(_ trend: Trend, variance: Double, span: ClosedRange<Int>) -> Bool {
        guard exp(-trend.explained / (2 * variance)) < significance else { return false }
        return max(TEMPolyline.norm(trend.at(span.lowerBound)), TEMPolyline.norm(trend.at(span.upperBound))) > TEMCornerPieces.maxGap
    }

    /// `slides` for one pair on its own (its noise measured on itself).
    public static func slides(frames: [Int], offsets: [TEMPoint], span: ClosedRange<Int>) -> Bool {
        guard let t = Trend(frames: frames, offsets: offsets) else { return false }
        return slides(t, variance: noiseVariance([t]), span: span)
    }
}
