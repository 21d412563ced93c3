#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The straight slip-trace parts of the paths the extra seeds trace
/// (`TEMDetectorConfig.extraStraightParts`). A slip trace's band edge is straight across the
/// field; where the tracer follows it from extra seeds and then hooks off it (at a pile-up's
/// head, into a junction, into texture) the path as a whole is too curved for the straight-trace
/// rule, yet most of it is one straight run. Straight is measured against the frame's own
/// scatter: how far the frame's traced paths stray from their own short chords.
public enum ExtraStraightParts {
    /// Prefix sums of a point sequence's coordinates and their products (relative to the first
    /// point), so any run's RMS distance to its principal line is read in O(1).
    public struct Moments {
        var sx: [Double] = [0], sy: [Double] = [0], sxx: [Double] = [0], syy: [Double] = [0], sxy: [Double] = [0]

        public init(_ p: ArraySlice<TEMPoint>) {
            guard let o = p.first else { return }
            sx.reserveCapacity(p.count + 1); sy.reserveCapacity(p.count + 1)
            sxx.reserveCapacity(p.count + 1); syy.reserveCapacity(p.count + 1); sxy.reserveCapacity(p.count + 1)
            for q in p {
                let d = q - o
                sx.append(sx.last! + d.x); sy.append(sy.last! + d.y)
                sxx.append(sxx.last! + d.x * d.x); syy.append(syy.last! + d.y * d.y); sxy.append(sxy.last! + d.x * d.y)
            }
        }

        /// RMS distance of points `i..<j` (offsets into the slice) to their principal line.
        @inline(__always) public func rms(_ i: Int, _ j: Int) -> Double {
            let n = Double(j - i)
            guard j - i >= 3 else { return 0 }
            let mx = (sx[j] - sx[i]) / n, my = (sy[j] - sy[i]) / n
            let cxx = (sxx[j] - sxx[i]) / n - mx * mx
            let cyy = (syy[j] - syy[i]) / n - my * my
            let cxy = (sxy[j] - sxy[i]) / n - mx * my
            let tr = cxx + cyy, det = cxx * cyy - cxy * cxy
            let small = tr / 2 - max(0, tr * tr / 4 - det).squareRoot()
            return max(0, small).squareRoot()
        }
    }

    /// The longest run `p[i..<j]` (most points; the first of equal length) whose RMS distance to
    /// its own principal line is at most `tolerance`, as offsets into `p`, when it has at least
    /// `atLeast` points; else an empty range. Empty when `p` has fewer than 3 points.
    public static func longestStraightRun(_ p: ArraySlice<TEMPoint>, tolerance: Double, atLeast: Int = 3) -> Range<Int> {
        let n = p.count
        guard n >= 3, n >= atLeast else { return 0..<0 }
        let m = Moments(p)
        // Only runs longer than `best` are looked for: at least `atLeast` points.
        var best = 0..<(max(3, atLeast) - 1)
        // From each start, the longest end first; starts that cannot beat the best are skipped.
        for i in 0..<n {
            guard n - i > best.count else { break }
            var j = n
            while j - i > best.count {
                if m.rms(i, j) <= tolerance { best = i..<j; break }
                j -= 1
            }
        }
        return best.count >= max(3, atLeast) ? best : 0..<0
    }

    /// Plain twin for tests: every run's RMS about its principal axis (the direction from the
    /// centred second moments' angle, distances summed point by point), longest first.
    public static func referenceLongestStraightRun(_ p: [TEMPoint], tolerance: Double, atLeast: Int = 3) -> Range<Int> {
        guard p.count >= max(3, atLeast) else { return 0..<0 }
        func rms(_ q: ArraySlice<TEMPoint>) -> Double {
            let c = q.reduce(TEMPoint.zero, +) / Double(q.count)
            var sxx = 0.0, syy = 0.0, sxy = 0.0
            for v in q { let d = v - c; sxx += d.x * d.x; syy += d.y * d.y; sxy += d.x * d.y }
            let theta = 0.5 * atan2(2 * sxy, sxx - syy)
            var ss = 0.0
            for v in q { let d = v - c; let off = d.x * sin(theta) - d.y * cos(theta); ss += off * off }
            return (ss / Double(q.count)).squareRoot()
        }
        for len in stride(from: p.count, through: max(3, atLeast), by: -1) {
            for i in 0...(p.count - len) where rms(p[i..<(i + len)]) <= tolerance {
                return i..<(i + len)
            }
        }
        return 0..<0
    }

    /// The frame's scatter: the RMS distance to their own principal line of consecutive
    /// `window`-point runs of every path (non-overlapping, from each path's start). At a short
    /// window a bowed line is straight to well under a pixel, so this is the tracer's own wander
    /// on the frame — pixel steps, noise, texture pulling the ridge sideways.
    public static func windowScatter(_ paths: [[TEMPoint]], window: Int) -> [Double] {
        guard window >= 3 else { return [] }
        var out: [Double] = []
        for p in paths where p.count >= window {
            let m = Moments(p[...])
            var i = 0
            while i + window <= p.count { out.append(m.rms(i, i + window)); i += window }
        }
        return out
    }

    /// The straight tolerance of a frame: the upper `quantile` of its window scatter (nil: no
    /// path long enough to measure it).
    public static func tolerance(_ scatter: [Double], quantile: Double) -> Double? {
        guard !scatter.isEmpty else { return nil }
        let s = scatter.sorted()
        return s[min(s.count - 1, Int((quantile * Double(s.count)).rounded(.down)))]
    }

    /// The runs of consecutive points flagged `extra`, as index ranges.
    public static func extraRuns(_ extra: [Bool]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start: Int?
        for (i, e) in extra.enumerated() {
            if e { if start == nil { start = i } } else if let s = start { out.append(s..<i); start = nil }
        }
        if let s = start { out.append(s..<extra.count) }
        return out
    }

    /// `path` read against the slip traces: when its longest straight part (RMS to its line ≤
    /// `tolerance`) is at least half of it and `minStraight` points long, the path is a straight
    /// trace, perhaps with a hook — dropped whole when most of its points are extra, else cut
    /// back to its plain points (every extra run of `minRun` points or more taken out: a plain
    /// curve carried on along the trace by extra seeds). The pieces are returned (the caller
    /// drops what is too short); a path with no extra point, or not straight, comes back whole.
    public static func cut(_ path: [TEMPoint], extra: [Bool], tolerance: Double, minStraight: Int, minRun: Int) -> [[TEMPoint]] {
        guard path.count == extra.count else { return [path] }
        let extraCount = extra.filter { $0 }.count
        guard extraCount > 0,
              !longestStraightRun(path[...], tolerance: tolerance, atLeast: max(minStraight, (path.count + 1) / 2)).isEmpty
        else { return [path] }
        if 2 * extraCount > path.count { return [] }
        let removed = extraRuns(extra).filter { $0.count >= max(1, minRun) }
        guard !removed.isEmpty else { return [path] }
        var pieces: [[TEMPoint]] = []
        var start = 0
        for r in removed {
            if r.lowerBound > start { pieces.append(Array(path[start..<r.lowerBound])) }
            start = r.upperBound
        }
        if start < path.count { pieces.append(Array(path[start...])) }
        return pieces
    }
}
