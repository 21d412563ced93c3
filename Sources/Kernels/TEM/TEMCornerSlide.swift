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
/// The test, over every frame both tracks are seen in (not only those where they meet): fit
/// the offset as constant and as constant + rate × frame (least squares, both coordinates), and
/// compare the two by the F test with the scatter about the trend measured on the pair itself
/// (floored at the detector's positional noise, half a pixel, so exact synthetic curves do not
/// make any trend "significant"). The pair slides when the trend is significant at
/// `significance` **and** it carries the ends further apart than `TEMCornerPieces.maxGap` at
/// the first or last shared frame — a statistically detectable but small creep of a real corner
/// (the detector cutting a bend a few pixels further along it over a long track) is no reason
/// to split a line.
public enum TEMCornerSlide {
    /// The F test's level: a real corner is refused one time in a hundred by chance alone.
    public static let significance = 0.01
    /// Floor of the per-coordinate scatter of the offset about its trend (px): the detector's
    /// positional noise at an end (as in `TEMTracker.commonShift`).
    public static let noiseFloor = 0.5

    /// The offset of `b`'s facing end from `a`'s, in `a`'s frame at its end: along `a`'s inward
    /// direction and across it.
    public static func offset(_ a: [TEMPoint], aEnd: Bool, _ b: [TEMPoint], bEnd: Bool) -> TEMPoint {
        let u = TEMCornerPieces.inward(a, fromEnd: aEnd)
        let d = (bEnd ? b[b.count - 1] : b[0]) - (aEnd ? a[a.count - 1] : a[0])
        return TEMPoint(d.x * u.x + d.y * u.y, -d.x * u.y + d.y * u.x)
    }

    /// Whether the offsets `offsets` (one per frame `frames`, increasing) drift as two lines'
    /// ends sliding past each other do (above). Fewer than three frames: no test, false.
    public static func slides(frames: [Int], offsets: [TEMPoint]) -> Bool {
        let n = frames.count
        guard n >= 3, offsets.count == n else { return false }
        let tMean = Double(frames.reduce(0, +)) / Double(n)
        let mean = offsets.reduce(TEMPoint.zero, +) / Double(n)
        var stt = 0.0, stx = 0.0, sty = 0.0, total = 0.0
        for (f, d) in zip(frames, offsets) {
            let t = Double(f) - tMean, e = d - mean
            stt += t * t; stx += t * e.x; sty += t * e.y
            total += e.x * e.x + e.y * e.y
        }
        guard stt > 0 else { return false }
        let rate = TEMPoint(stx / stt, sty / stt)
        let explained = (rate.x * rate.x + rate.y * rate.y) * stt
        let dof = Double(2 * (n - 2))
        let scatter = max((total - explained) / dof, noiseFloor * noiseFloor)
        // F with (2, dof) degrees of freedom; its tail is (1 + 2F/dof)^(−dof/2) exactly.
        let f = explained / 2 / scatter
        let p = pow(1 + 2 * f / dof, -dof / 2)
        guard p < significance else { return false }
        let first = mean + (Double(frames[0]) - tMean) * rate, last = mean + (Double(frames[n - 1]) - tMean) * rate
        return max(TEMPolyline.norm(first), TEMPolyline.norm(last)) > TEMCornerPieces.maxGap
    }
}
