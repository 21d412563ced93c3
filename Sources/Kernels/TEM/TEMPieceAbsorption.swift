#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line, one track: a piece of a line that a concurrent track already holds is that track's,
/// not the start (or the continuation) of a track of its own.
///
/// The detector cuts a faint line in two now and then, and the per-frame grouping
/// (`TEMFragmentGrouping`) leaves the pieces apart when their ends are hooked or bowed beyond its
/// tolerance. One piece then continues the line's track and the other starts a second track on
/// the same line; while both live, the line goes to one or the other from frame to frame, and
/// when the duplicate ends, gap closing may join its end to the next line of the pile-up
/// (docs/tem.md, "where seed 1's faint lines really break").
///
/// In a frame, the track holds a line when it matched one of the line's pieces; its reference
/// curve (the whole line as last seen, `TEMTracker`) says where the rest of the line runs. A
/// second piece lies along that line when, read against the reference (`CurveMatching.glide`):
/// - half or more of it lies within the reference's span (the line is known there);
/// - it shares at most half of the shorter span with the track's own piece (pieces of one line
///   lie end to end; a close-pair neighbour runs alongside);
/// - its shift from the reference equals the track's own piece's shift within the pieces' own
///   scatter: both are the same line moved by the same glide, so the difference of the two
///   shifts is noise, with variance σ₁² + σ₂², each σ measured on its piece (mean residual
///   about its shift / 0.8, the half-normal mean, never below the detector's positional noise
///   of half a pixel), and the piece is refused at level 1 %.
/// Nothing here is a distance chosen per preset: the scales are the pieces' own.
enum TEMPieceAbsorption {
    /// Two-sided 1 % point of the normal: a real piece is refused one time in a hundred by chance.
    static let z = 2.5758
    /// Floor of a piece's positional noise, px (as `TEMTracker.commonShift`, `TEMCornerSlide`).
    static let noiseFloor = 0.5

    /// A piece read against a reference line: glide shift, its noise scale and its span along the
    /// reference's chord.
    struct Fit {
        var shift: Double
        var sigma: Double
        var lo: Double
        var hi: Double
    }

    /// `piece` against `line`, or nil when less than half of it lies within the line's span (or
    /// the chords differ by more than `maxAngleDegrees`, `CurveMatching.glide`'s 25°).
    static func fit(_ piece: [TEMPoint], on line: [TEMPoint], maxAngleDegrees: Double = 25) -> Fit? {
        guard let g = CurveMatching.glide(line, piece, maxAngleDegrees: maxAngleDegrees), g.overlap >= 0.5,
              let o = line.first, let e = line.last else { return nil }
        let chord = e - o, l = TEMPolyline.norm(chord)
        guard l > 0 else { return nil }
        let c = chord / l
        var lo = Double.infinity, hi = -Double.infinity
        for p in piece { let t = (p - o).x * c.x + (p - o).y * c.y; lo = min(lo, t); hi = max(hi, t) }
        return Fit(shift: g.shift, sigma: max(noiseFloor, g.residual / 0.8), lo: lo, hi: hi)
    }

    /// Frames of a track's own line lengths kept for `longest`.
    static let lengthWindow = 25

    /// The longest a track's line may be and still be one line: the median of its recent lengths
    /// (`lengths`, px) plus the 1 % point of their own scatter (1.4826 · MAD, never below the
    /// positional noise). With fewer than 3 lengths, `fallback` (the reference's length).
    ///
    /// Why: a reference the detector drew over two lines of two pile-ups end to end (≈ 200 in
    /// every 1,000 frames of the seed-1 medium video) holds the other pile-up's line within its
    /// span at the same glide shift; absorbed, the two lines become the track's reference, and
    /// the track keeps taking the other line frame after frame (docs/tem.md, tem-track10).
    static func longest(_ lengths: [Double], fallback: Double) -> Double {
        guard lengths.count >= 3 else { return fallback }
        let sorted = lengths.sorted(), median = sorted[sorted.count / 2]
        let deviations = lengths.map { abs($0 - median) }.sorted()
        return median + z * max(noiseFloor, 1.4826 * deviations[deviations.count / 2])
    }

    /// |shift difference| when piece `b` continues the line whose other piece is `a` (both read
    /// against the same reference), nil when it does not. `longest`: with the length test, the
    /// largest extent along the reference's chord the two pieces together may span.
    static func continues(_ b: Fit, _ a: Fit, longest: Double = .infinity) -> Double? {
        let common = min(a.hi, b.hi) - max(a.lo, b.lo)
        guard common <= 0.5 * min(a.hi - a.lo, b.hi - b.lo) else { return nil }
        guard max(a.hi, b.hi) - min(a.lo, b.lo) <= longest else { return nil }
        let d = abs(b.shift - a.shift)
        return d <= z * (a.sigma * a.sigma + b.sigma * b.sigma).squareRoot() ? d : nil
    }

    /// For every observation of a frame that lies along a line held by another track, that
    /// track (index into `references`). `assignment[i]`: the track observation i was matched to;
    /// `references[j]`: track j's reference curve; `gated(i, j)`: whether observation i passed
    /// track j's gate (the cheap test: only those are read against the reference); `rank[j]`:
    /// frames track j has been seen in. Tracks are taken most established first (seen longest,
    /// then oldest): a track keeps its piece unless it lies along the line of a track already
    /// kept; unmatched observations are then read against the kept tracks.
    /// `longest[j]` (optional): the longest track j's line may be (`longest(_:fallback:)`); a
    /// piece whose span together with the track's own piece is longer is another line.
    static func holders(_ frame: [[TEMPoint]], references: [[TEMPoint]], assignment: [Int?], rank: [Int],
                        longest: [Double]? = nil, gated: (Int, Int) -> Bool) -> [Int: Int] {
        var observationOf = [Int?](repeating: nil, count: references.count)
        for (i, j) in assignment.enumerated() { if let j { observationOf[j] = i } }
        var kept: [Int] = [], own: [Int: Fit?] = [:], holderOf: [Int: Int] = [:]
        func ownFit(_ h: Int) -> Fit? {
            if let f = own[h] { return f }
            let f = fit(frame[observationOf[h]!], on: references[h])
            own[h] = f
            return f
        }
        func holder(_ i: Int) -> Int? {
            var best: (h: Int, d: Double)?
            for h in kept where gated(i, h) {
                guard let a = ownFit(h), let b = fit(frame[i], on: references[h]),
                      let d = continues(b, a, longest: longest?[h] ?? .infinity) else { continue }
                if best == nil || d < best!.d { best = (h, d) }
            }
            return best?.h
        }
        let matched = references.indices.filter { observationOf[$0] != nil }
            .sorted { (rank[$0], -$0) > (rank[$1], -$1) }
        for j in matched {
            let i = observationOf[j]!
            if let h = holder(i) { holderOf[i] = h } else { kept.append(j) }
        }
        for i in frame.indices where assignment[i] == nil {
            if let h = holder(i) { holderOf[i] = h }
        }
        return holderOf
    }

    /// The pieces as one line: ordered along `line`'s chord, each turned to run along it, joined
    /// end to end (gaps bridged straight) and resampled to as many points as the longest piece
    /// has. Returns the curve and the pieces' order.
    static func joined(_ pieces: [[TEMPoint]], along line: [TEMPoint]) -> (curve: [TEMPoint], order: [Int]) {
        guard pieces.count > 1, let o = line.first, let e = line.last else { return (pieces.first ?? [], Array(pieces.indices)) }
        let chord = e - o, l = max(TEMPolyline.norm(chord), 1e-9)
        let c = chord / l
        func t(_ p: TEMPoint) -> Double { (p - o).x * c.x + (p - o).y * c.y }
        let mid = pieces.map { p in p.reduce(0) { $0 + t($1) } / Double(max(1, p.count)) }
        let order = pieces.indices.sorted { mid[$0] < mid[$1] }
        var points: [TEMPoint] = []
        for k in order {
            let p = pieces[k]
            guard let a = p.first, let b = p.last else { continue }
            points += t(b) >= t(a) ? p : Array(p.reversed())
        }
        return (TEMPolyline.resample(points, count: max(2, pieces.map(\.count).max() ?? 2)), order)
    }
}
