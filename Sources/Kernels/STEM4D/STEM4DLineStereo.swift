#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 3D line from stereo: points `[x, y, z]` in scan px (z positive downstream) ordered along
/// the line, with its re-projection error.
public struct STEM4DLine3D: Sendable, Hashable, Codable {
    /// Points `[x, y, z]` along the line.
    public var points: [[Double]]
    /// RMS distance (px) between the re-projected points and the input 2D lines of both views.
    public var reprojectionRMS: Double
    /// Indices of the matched input lines in the minus and plus views.
    public var minusIndex: Int
    public var plusIndex: Int

    /// A line through `points`, matched from lines `minusIndex` and `plusIndex` of the views.
    public init(points: [[Double]], reprojectionRMS: Double = 0, minusIndex: Int = 0, plusIndex: Int = 0) {
        self.points = points; self.reprojectionRMS = reprojectionRMS; self.minusIndex = minusIndex; self.plusIndex = plusIndex
    }
}

/// Stereo for lines over given 2D polylines in the two rectified views (baseline along +x,
/// so partners share rows): split lines into row-monotone pieces, match pieces by row
/// overlap and disparity consistency (Hungarian), enforce the ordering constraint, refine
/// each row's disparity to sub-pixel by 1D cross-correlation of the image rows, smooth it
/// along the line (continuity), and triangulate z = d / (2 sin(φ/2)), d = x_minus − x_plus.
public struct STEM4DLineStereo: Sendable, Hashable {
    /// Disparity search range, px (from the slab: 2 sin(φ/2)·z).
    public var disparityMin: Double
    public var disparityMax: Double
    /// Fewest common rows for a match.
    public var minOverlap: Int = 5
    /// Largest spread (std) of the raw disparity along a matched pair, px.
    public var maxDisparitySpread: Double = 3
    /// Half-width of the correlation window and of the shift search, px.
    public var window: Int = 5
    public var search: Int = 3
    /// Median-filter half-length along the line (continuity), rows.
    public var smoothing: Int = 2

    /// A matcher for disparities in `disparityMin…disparityMax` px.
    public init(disparityMin: Double, disparityMax: Double) {
        self.disparityMin = disparityMin; self.disparityMax = disparityMax
    }

    /// A row-monotone piece of a polyline: x at rows `y0 ..< y0 + xs.count`.
    struct Piece { var line: Int; var y0: Int; var xs: [Double] }

    /// Reconstructs 3D lines. `minus`/`plus` are the rectified views, `minusLines`/`plusLines`
    /// their 2D polylines (points `[x, y]` in rectified coordinates); `rectification` maps
    /// the results back to scan coordinates (nil: rectified = scan coordinates).
    public func reconstruct(minus: STEM4DImage, plus: STEM4DImage, minusLines: [[[Double]]], plusLines: [[[Double]]],
                            stereoAngleRad: Double, rectification: STEM4DRectification? = nil) -> [STEM4DLine3D] {
        let pa = minusLines.enumerated().flatMap { Self.pieces($0.element, line: $0.offset) }
        let pb = plusLines.enumerated().flatMap { Self.pieces($0.element, line: $0.offset) }
        guard !pa.isEmpty, !pb.isEmpty else { return [] }
        var cost = [Double](repeating: .infinity, count: pa.count * pb.count)
        for (i, a) in pa.enumerated() {
            for (j, b) in pb.enumerated() {
                let d = Self.disparities(a, b)
                guard d.count >= minOverlap else { continue }
                let mean = d.reduce(0, +) / Double(d.count)
                let sd = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)).squareRoot()
                guard mean >= disparityMin - 1, mean <= disparityMax + 1, sd <= maxDisparitySpread else { continue }
                let cover = Double(d.count) / Double(min(a.xs.count, b.xs.count))
                cost[i * pb.count + j] = sd + 2 * (1 - cover)
            }
        }
        var matches: [(Int, Int, Double)] = []
        for (i, j) in Hungarian.solve(cost: cost, rows: pa.count, columns: pb.count).enumerated() {
            if let j { matches.append((i, j, cost[i * pb.count + j])) }
        }
        matches = enforceOrdering(matches, pa, pb)
        let h = sin(stereoAngleRad / 2)
        var out: [STEM4DLine3D] = []
        for (i, j, _) in matches {
            let a = pa[i], b = pb[j]
            let lo = max(a.y0, b.y0), hi = min(a.y0 + a.xs.count, b.y0 + b.xs.count)
            var xa: [Double] = [], ds: [Double] = []
            for y in lo..<hi {
                let xA = refineExtremum(minus, x: a.xs[y - a.y0], y: y)
                let xB0 = b.xs[y - b.y0]
                let xB = correlate(minus, xA, plus, xB0, y: y)
                xa.append(xA); ds.append(xA - xB)
            }
            ds = Self.medianFiltered(ds, half: smoothing)
            var pts: [[Double]] = []
            var e2 = 0.0
            for (k, y) in (lo..<hi).enumerated() {
                let d = min(max(ds[k], disparityMin - 2), disparityMax + 2)
                let z = d / (2 * h)
                let X = xa[k] - d / 2
                // Re-projection into both views against the input lines.
                e2 += Self.distance(X + z * h, Double(y), minusLines[a.line])
                e2 += Self.distance(X - z * h, Double(y), plusLines[b.line])
                if let r = rectification {
                    let (sx, sy) = r.toImage(X, Double(y))
                    pts.append([sx, sy, z])
                } else {
                    pts.append([X, Double(y), z])
                }
            }
            out.append(STEM4DLine3D(points: pts, reprojectionRMS: (e2 / Double(max(1, 2 * pts.count))).squareRoot(),
                                    minusIndex: a.line, plusIndex: b.line))
        }
        return out
    }

    /// Row-monotone pieces with x sampled at every integer row crossed. The polyline is
    /// first smoothed (moving average over ±2 vertices) and a change of direction in y only
    /// splits it once it has gone back by more than 1.5 px, so detector jitter does not
    /// shatter steep lines.
    static func pieces(_ raw: [[Double]], line index: Int) -> [Piece] {
        guard raw.count >= 2 else { return [] }
        let line: [[Double]] = raw.indices.map { k in
            if k == 0 || k == raw.count - 1 { return raw[k] }
            let lo = max(0, k - 2), hi = min(raw.count - 1, k + 2)
            let n = Double(hi - lo + 1)
            return [raw[lo...hi].map { $0[0] }.reduce(0, +) / n, raw[lo...hi].map { $0[1] }.reduce(0, +) / n]
        }
        var out: [Piece] = []
        var cur: [(Int, Double)] = []
        func flush() {
            if cur.count >= 2 {
                let sorted = cur.sorted { $0.0 < $1.0 }
                var xs: [Double] = []
                var last = sorted[0].0 - 1
                for (y, x) in sorted where y > last {
                    // Fill a skipped row by repeating (rows are consecutive in a piece).
                    while last + 1 < y { xs.append(x); last += 1 }
                    xs.append(x); last = y
                }
                out.append(Piece(line: index, y0: sorted[0].0, xs: xs))
            }
            cur = []
        }
        var dir = 0
        var extreme = line[0][1]
        for k in 1..<line.count {
            let (x0, y0, x1, y1) = (line[k - 1][0], line[k - 1][1], line[k][0], line[k][1])
            let s = y1 > y0 ? 1 : (y1 < y0 ? -1 : 0)
            if s == 0 { continue }
            if dir == 0 { dir = s }
            if s != dir {
                if abs(y1 - extreme) <= 1.5 { continue }  // jitter: ignore the backtrack
                flush()
                dir = s
                extreme = y0
            }
            extreme = dir > 0 ? max(extreme, y1) : min(extreme, y1)
            let ya = Int(min(y0, y1).rounded(.up)), yb = Int(max(y0, y1).rounded(.down))
            if ya > yb { continue }
            for y in ya...yb where !cur.contains(where: { $0.0 == y }) {
                let t = (Double(y) - y0) / (y1 - y0)
                cur.append((y, x0 + t * (x1 - x0)))
            }
        }
        flush()
        return out
    }

    static func disparities(_ a: Piece, _ b: Piece) -> [Double] {
        let lo = max(a.y0, b.y0), hi = min(a.y0 + a.xs.count, b.y0 + b.xs.count)
        guard hi > lo else { return [] }
        return (lo..<hi).map { a.xs[$0 - a.y0] - b.xs[$0 - b.y0] }
    }

    /// Drops matches that swap the left-to-right order of two lines on shared rows.
    func enforceOrdering(_ m: [(Int, Int, Double)], _ pa: [Piece], _ pb: [Piece]) -> [(Int, Int, Double)] {
        var keep = m.sorted { $0.2 < $1.2 }
        var changed = true
        while changed {
            changed = false
            search: for u in 0..<keep.count {
                for v in (u + 1)..<keep.count {
                    let (i, j, _) = keep[u], (k, l, _) = keep[v]
                    var agree = 0, disagree = 0
                    let lo = max(pa[i].y0, pa[k].y0, pb[j].y0, pb[l].y0)
                    let hi = min(pa[i].y0 + pa[i].xs.count, pa[k].y0 + pa[k].xs.count,
                                 pb[j].y0 + pb[j].xs.count, pb[l].y0 + pb[l].xs.count)
                    if hi <= lo { continue }
                    for y in lo..<hi {
                        let sa = pa[i].xs[y - pa[i].y0] - pa[k].xs[y - pa[k].y0]
                        let sb = pb[j].xs[y - pb[j].y0] - pb[l].xs[y - pb[l].y0]
                        if sa * sb > 0 { agree += 1 } else if sa * sb < 0 { disagree += 1 }
                    }
                    if disagree > agree {
                        keep.remove(at: v)  // the costlier of the two
                        changed = true
                        break search
                    }
                }
            }
        }
        return keep
    }

    /// The dark-line centre near `x` on row `y`: minimum of the lightly smoothed row profile
    /// within ±2 px, refined by a parabola.
    func refineExtremum(_ img: STEM4DImage, x: Double, y: Int) -> Double {
        func v(_ t: Double) -> Double {
            Double(img.sample(t - 1, Double(y))) * 0.25 + Double(img.sample(t, Double(y))) * 0.5 + Double(img.sample(t + 1, Double(y))) * 0.25
        }
        var best = x, bv = v(x)
        var t = x - 2
        while t <= x + 2 + 1e-9 {
            let q = v(t)
            if q < bv { bv = q; best = t }
            t += 0.5
        }
        let a = v(best - 0.5), c = v(best + 0.5)
        let den = a - 2 * bv + c
        if den > 0 { best += min(0.5, max(-0.5, 0.25 * (a - c) / den)) }
        return abs(best - x) <= 2.5 ? best : x
    }

    /// x in `b` matching `xa` in `a` on row `y`: normalised cross-correlation of ±`window`
    /// px rows over integer shifts ±`search` around `xb`, refined by a parabola.
    func correlate(_ a: STEM4DImage, _ xa: Double, _ b: STEM4DImage, _ xb: Double, y: Int) -> Double {
        let w = window
        let ta = (-w...w).map { Double(a.sample(xa + Double($0), Double(y))) }
        let ma = ta.reduce(0, +) / Double(ta.count)
        let na = ta.map { $0 - ma }
        let sa = (na.map { $0 * $0 }.reduce(0, +)).squareRoot()
        var scores: [Double] = []
        for s in -search...search {
            let tb = (-w...w).map { Double(b.sample(xb + Double(s) + Double($0), Double(y))) }
            let mb = tb.reduce(0, +) / Double(tb.count)
            let nb = tb.map { $0 - mb }
            let sb = (nb.map { $0 * $0 }.reduce(0, +)).squareRoot()
            scores.append(sa > 0 && sb > 0 ? zip(na, nb).map { $0 * $1 }.reduce(0, +) / (sa * sb) : -1)
        }
        let k = scores.indices.max { scores[$0] < scores[$1] }!
        var off = Double(k - search)
        if k > 0 && k < scores.count - 1 {
            off += STEM4DBlobDetector.parabola(scores[k - 1], scores[k], scores[k + 1])
        }
        return xb + off
    }

    static func medianFiltered(_ v: [Double], half: Int) -> [Double] {
        guard half > 0 else { return v }
        return v.indices.map { i in
            let w = v[max(0, i - half)...min(v.count - 1, i + half)].sorted()
            return w[w.count / 2]
        }
    }

    /// Squared distance from (x, y) to a polyline.
    static func distance(_ x: Double, _ y: Double, _ line: [[Double]]) -> Double {
        var best = Double.infinity
        if line.count == 1 { return (x - line[0][0]) * (x - line[0][0]) + (y - line[0][1]) * (y - line[0][1]) }
        for k in 1..<max(1, line.count) {
            let x0 = line[k - 1][0], y0 = line[k - 1][1], ex = line[k][0] - x0, ey = line[k][1] - y0
            let t = min(1, max(0, ((x - x0) * ex + (y - y0) * ey) / max(ex * ex + ey * ey, 1e-12)))
            let dx = x - x0 - t * ex, dy = y - y0 - t * ey
            best = min(best, dx * dx + dy * dy)
        }
        return best
    }
}
