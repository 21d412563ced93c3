#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Follows ridges of a `STEM4DRidgeSweep.Map` into ordered polylines (sub-pixel, scan px),
/// each point with the depth the trace followed.
///
/// Scores are in robust standard deviations of their own depth-and-scale slice (per-image
/// noise statistics). A line starts at a pixel whose best score over all depths and scales
/// exceeds `high` and is followed while the response at its own scale, within one depth step
/// of the depth it has so far, stays above `low` (hysteresis): one pixel along the ridge
/// tangent per step, re-centred across it to the response's maximum. Following one depth
/// rather than the best of all keeps the trace from wandering onto noise past a line's end.
/// At a crossing the tangent of the other line is refused (turns over `maxTurnDeg` go straight
/// on), so both lines run through; a trace that runs along an earlier line stops there.
public struct STEM4DRidgeTracer: Sendable, Hashable {
    /// Start and follow thresholds, robust standard deviations.
    public var high: Double = 5
    public var low: Double = 2.5
    /// Shortest polyline kept, px, and per scale index when given (a wider line must be longer).
    public var minLength: Double
    public var minLengthAtScale: [Double] = []
    /// Largest turn per step before the trace goes straight on, degrees.
    public var maxTurnDeg: Double = 40
    /// Steps below `low` bridged before a trace ends, and steps straight on (the tangent
    /// there belongs to another line) before it ends.
    public var gapSteps = 2
    public var maxStraightSteps = 6
    /// Cut a trace where its depth jumps (`STEM4DTraceDepthBreaks`: it ran into another line
    /// meeting it in projection); each part is kept as its own line. nil: traces are not cut
    /// (the method of 5 December).
    public var depthBreaks: STEM4DTraceDepthBreaks?
    /// The sweep's scales, px (the depth-break test's block is 2σ points).
    public var scales: [Double] = []

    /// A tracer keeping lines of at least `minLength` px.
    public init(minLength: Double) { self.minLength = minLength }

    /// A traced point: position (scan px) and depth.
    public struct Point: Sendable, Hashable {
        public var x: Double
        public var y: Double
        public var z: Double
        /// Response where the trace passed, robust standard deviations.
        public var score: Double
    }

    /// The polylines of `map`, strongest first, with the scale index each was followed at.
    public func trace(_ map: STEM4DRidgeSweep.Map) -> [(points: [Point], scale: Int)] {
        let w = map.cols, h = map.rows
        var owner = [Int32](repeating: -1, count: w * h)
        var tried = [Bool](repeating: false, count: w * h)
        let seeds = (0..<(w * h)).filter { i in
            guard Double(map.score[i]) >= high else { return false }
            let x = Double(i % w), y = Double(i / w), nx = Double(map.nx[i]), ny = Double(map.ny[i])
            return Double(map.score[i]) >= map.scoreAt(x + nx, y + ny) && Double(map.score[i]) >= map.scoreAt(x - nx, y - ny)
        }.sorted { map.score[$0] > map.score[$1] }
        var lines: [(points: [Point], scale: Int)] = []
        for seed in seeds where owner[seed] < 0 && !tried[seed] {
            tried[seed] = true
            let k = Int(map.scale[seed])
            let p0 = Point(x: Double(seed % w), y: Double(seed / w), z: Double(map.depth[seed]), score: Double(map.score[seed]))
            let t0 = SIMD2(-Double(map.ny[seed]), Double(map.nx[seed]))
            let id = Int32(lines.count)
            let ahead = walk(map, from: p0, direction: t0, scale: k, owner: owner, id: id)
            let back = walk(map, from: p0, direction: -t0, scale: k, owner: owner, id: id)
            let walked = back.reversed() + [p0] + ahead
            for p in walked { tried[map.index(p.x, p.y)] = true }
            for part in pieces(of: walked, map: map, scale: k) {
                let line = Self.trimmedAtHalfMaximum(part)
                let shortest = k < minLengthAtScale.count ? minLengthAtScale[k] : minLength
                guard Self.length(line.map { SIMD2($0.x, $0.y) }) >= shortest else { continue }
                for p in line {
                    let cx = Int(p.x.rounded()), cy = Int(p.y.rounded())
                    for yy in max(0, cy - 1)...min(h - 1, cy + 1) {
                        for xx in max(0, cx - 1)...min(w - 1, cx + 1) where owner[yy * w + xx] < 0 { owner[yy * w + xx] = Int32(lines.count) }
                    }
                }
                lines.append((line, k))
            }
        }
        return lines
    }

    /// `walked` cut where its depth jumps (`depthBreaks`), tested without its faded ends (past
    /// a line's end the depth is noise); the whole trace when the test is off or finds nothing.
    func pieces(of walked: [Point], map: STEM4DRidgeSweep.Map, scale k: Int) -> [[Point]] {
        guard let test = depthBreaks else { return [walked] }
        let core = Self.halfMaximumRange(walked)
        let z = STEM4DTraceDepthBreaks.depths(walked[core].map { SIMD2($0.x, $0.y) }, field: map.field, scale: k)
        let block = k < scales.count ? max(1, Int((2 * scales[k]).rounded())) : 2
        // Both sides of a cut keep the shortest line kept at this scale (points are ≈ 1 px apart).
        let shortest = k < minLengthAtScale.count ? minLengthAtScale[k] : minLength
        let cuts = test.breaks(z, block: block, resolution: map.depthStep, minimumPoints: Int(shortest.rounded(.up))).map { $0 + core.lowerBound }
        guard !cuts.isEmpty else { return [walked] }
        let bounds = [0] + cuts + [walked.count]
        return zip(bounds, bounds.dropFirst()).map { Array(walked[$0..<$1]) }
    }

    /// The best response within one depth step of `z`: (score, normal, depth).
    func best(_ map: STEM4DRidgeSweep.Map, _ x: Double, _ y: Double, scale k: Int, z: Double) -> (score: Double, n: SIMD2<Double>, z: Double) {
        var out = (score: -Double.infinity, n: SIMD2<Double>(1, 0), z: z)
        for dz in [-1.0, 0, 1] {
            let zz = z + dz * map.depthStep
            let r = map.field.response(x, y, scale: k, z: zz)
            if r.score > out.score { out = (r.score, SIMD2(r.nx, r.ny), zz) }
        }
        return out
    }

    /// The points after `start` along `direction` until the ridge fades.
    func walk(_ map: STEM4DRidgeSweep.Map, from start: Point, direction: SIMD2<Double>, scale k: Int,
              owner: [Int32], id: Int32) -> [Point] {
        var p = SIMD2(start.x, start.y), z = start.z
        var t = direction / max(1e-12, (direction * direction).sum().squareRoot())
        var out: [Point] = []
        var weak = 0, foreign = 0, straight = 0
        var visited: [Int: Int] = [map.index(p.x, p.y): 0]
        let cosTurn = cos(maxTurnDeg * .pi / 180)
        for step in 1...(4 * (map.rows + map.cols)) {
            var q = p + t
            guard q.x >= 0, q.y >= 0, q.x <= Double(map.cols - 1), q.y <= Double(map.rows - 1) else { break }
            let here = best(map, q.x, q.y, scale: k, z: z)
            var tn = SIMD2(-here.n.y, here.n.x)
            if (tn * t).sum() < 0 { tn = -tn }
            let turned = (tn * t).sum() < cosTurn
            var score = here.score
            if !turned {
                // Re-centre across the ridge: the response's maximum within ±1 px of the normal.
                let n = SIMD2(-tn.y, tn.x)
                var scores: [Double] = []
                for i in -4...4 { scores.append(map.field.response(q.x + Double(i) * 0.25 * n.x, q.y + Double(i) * 0.25 * n.y, scale: k, z: here.z).score) }
                let i = scores.indices.max { scores[$0] < scores[$1] }!
                var offset = Double(i - 4) * 0.25
                if i > 0 && i < 8 { offset += 0.25 * STEM4DBlobDetector.parabola(scores[i - 1], scores[i], scores[i + 1]) }
                q += offset * n
                score = scores[i]
                z = here.z
            }
            // Going straight on through a crossing is fine while the response holds there.
            weak = score >= low ? 0 : weak + 1
            straight = turned ? straight + 1 : 0
            if weak > gapSteps || straight > maxStraightSteps { break }
            let j = map.index(q.x, q.y)
            if owner[j] >= 0 && owner[j] != id { foreign += 1 } else { foreign = 0 }
            // Crossing an earlier line's band (3 px wide) at ≥ 22° takes at most 8 steps; longer
            // is running along it.
            if foreign > 8 { break }
            if let seen = visited[j], step - seen > 4 { break }
            visited[j] = step
            let d = q - p
            let len = (d * d).sum().squareRoot()
            if len > 0.3 && !turned { t = d / len }
            out.append(Point(x: q.x, y: q.y, z: z, score: score))
            p = q
        }
        // Drop the trailing steps that bridged nothing and those on another line.
        while let last = out.last {
            let j = map.index(last.x, last.y)
            let weakEnd = map.field.response(last.x, last.y, scale: k, z: last.z).score < low
            guard weakEnd || (owner[j] >= 0 && owner[j] != id) else { break }
            out.removeLast()
        }
        return out
    }

    /// The line without the ends where the response is under half its level nearby (the
    /// median of the next `reach` points inwards). A line that stops abruptly, seen through a
    /// symmetric filter, falls to half its response exactly at its end; past it a strong line's
    /// filter tail can stay well above the noise threshold for several pixels.
    static func trimmedAtHalfMaximum(_ line: [Point], reach: Int = 10) -> [Point] {
        Array(line[halfMaximumRange(line, reach: reach)])
    }

    /// The indices `trimmedAtHalfMaximum` keeps.
    static func halfMaximumRange(_ line: [Point], reach: Int = 10) -> Range<Int> {
        guard line.count > 2 else { return 0..<line.count }
        func level(_ range: Range<Int>) -> Double {
            let s = line[range].map(\.score).sorted()
            return s.isEmpty ? 0 : s[s.count / 2]
        }
        var lo = 0, hi = line.count - 1
        while lo < hi && line[lo].score < 0.5 * level((lo + 1)..<min(line.count, lo + 1 + reach)) { lo += 1 }
        while hi > lo && line[hi].score < 0.5 * level(max(0, hi - reach)..<hi) { hi -= 1 }
        return lo..<(hi + 1)
    }

    /// Polyline length, px.
    public static func length(_ line: [SIMD2<Double>]) -> Double {
        guard line.count > 1 else { return 0 }
        return (1..<line.count).map { let d = line[$0] - line[$0 - 1]; return (d * d).sum().squareRoot() }.reduce(0, +)
    }
}
