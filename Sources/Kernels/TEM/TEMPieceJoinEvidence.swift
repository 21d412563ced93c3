#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the frame shows in the gap of a piece join (`TEMFragmentGrouping.Join`): the ridge
/// response along the straight bridge between the facing ends, against the same response
/// beside the bridge and at the pieces' own ends, all in units of the frame's response noise.
public enum TEMPieceJoinEvidence {
    public struct Measure: Sendable, Equatable {
        /// Mean z over the bridge's interior samples (z: the largest response within 1 px,
        /// (r − median) / σ).
        public var bridge = 0.0
        /// Share of those samples whose ridge runs along the bridge (normal within 60° of across).
        public var alongShare = 0.0
        /// Mean z of the two pieces over their last 10 px before the gap.
        public var ends = 0.0
        /// Mean z of the bridge shifted sideways (± 5 and ± 8 px): the background next to it.
        public var beside = 0.0
        /// (bridge − beside) / (ends − beside): the share of the lines' own excess that the gap keeps.
        public var score = 0.0
        /// Interior bridge samples.
        public var samples = 0
        /// Mean `alongZ` over the bridge (the rule's statistic) and the frame null's level for
        /// it at 0 and 2 spreads (`Null.level`).
        public var alongBridge = 0.0
        public var nullMedian = 0.0
        public var nullLevel2 = 0.0
    }

    @inline(__always) static func z(_ p: TEMPoint, _ r: UnsafeBufferPointer<Float>, width: Int, height: Int,
                                     median: Float, sigma: Float) -> (z: Double, at: Int)? {
        let x = Int(p.x.rounded()), y = Int(p.y.rounded())
        guard x >= 1, y >= 1, x < width - 1, y < height - 1 else { return nil }
        var best = -Float.infinity, at = 0
        for dy in -1...1 { for dx in -1...1 { let i = (y + dy) * width + x + dx; if r[i] > best { best = r[i]; at = i } } }
        return (Double((best - median) / sigma), at)
    }

    /// The measure of one join of `pieces`.
    public static func measure(_ j: TEMFragmentGrouping.Join, pieces: [[TEMPoint]], response r: UnsafeBufferPointer<Float>,
                               normal: UnsafeBufferPointer<Float>, width: Int, height: Int, median: Float, sigma: Float) -> Measure {
        var m = Measure()
        let s = max(sigma, 1e-12)
        let (pa, pb) = j.ends(pieces)
        let d = pb - pa, len = TEMPolyline.norm(d)
        let u = len > 1e-9 ? d / len : TEMPoint(1, 0), nrm = TEMPoint(-u.y, u.x)
        let steps = Int(len.rounded(.down))
        // The quantised normals (0: x, 1: (1, 1), 2: y, 3: (1, −1)) as unit vectors.
        let h = 0.5.squareRoot()
        let normals = [TEMPoint(1, 0), TEMPoint(h, h), TEMPoint(0, 1), TEMPoint(h, -h)]
        var bridge = 0.0, along = 0, n = 0
        if steps >= 2 {
            for k in 1..<steps {
                let p = pa + (Double(k) / Double(steps)) * d
                guard let v = z(p, r, width: width, height: height, median: median, sigma: s) else { continue }
                bridge += v.z; n += 1
                let c = Int(normal[v.at])
                if c >= 0 && c < 4 && abs(normals[c].x * u.x + normals[c].y * u.y) <= 0.5 { along += 1 }
            }
        }
        m.samples = n
        m.bridge = n > 0 ? bridge / Double(n) : 0
        m.alongShare = n > 0 ? Double(along) / Double(n) : 0
        var beside = 0.0, nb = 0
        if steps >= 2 {
            for off in [-8.0, -5.0, 5.0, 8.0] {
                for k in 1..<steps {
                    let p = pa + (Double(k) / Double(steps)) * d + off * nrm
                    guard let v = z(p, r, width: width, height: height, median: median, sigma: s) else { continue }
                    beside += v.z; nb += 1
                }
            }
        }
        m.beside = nb > 0 ? beside / Double(nb) : 0
        var ends = 0.0, ne = 0
        for (c, atEnd) in [(pieces[j.a], j.aEnd), (pieces[j.b], j.bEnd)] {
            let dense = TEMPolyline.resample(c, spacing: 1)
            let tail = atEnd ? Array(dense.suffix(10)) : Array(dense.prefix(10))
            for p in tail {
                guard let v = z(p, r, width: width, height: height, median: median, sigma: s) else { continue }
                ends += v.z; ne += 1
            }
        }
        m.ends = ne > 0 ? ends / Double(ne) : 0
        m.score = (m.bridge - m.beside) / max(m.ends - m.beside, 1e-6)
        return m
    }
}

extension TEMPieceJoinEvidence {
    /// The quantised normals of `RidgeFilter.apply` (0: x, 1: (1, 1), 2: y, 3: (1, −1)) as unit vectors.
    static let normals: [TEMPoint] = {
        let h = 0.5.squareRoot()
        return [TEMPoint(1, 0), TEMPoint(h, h), TEMPoint(0, 1), TEMPoint(h, -h)]
    }()

    /// The ridge response along a straight path at `p` heading `u`, in the frame's noise units:
    /// the largest z within 1 px among the pixels whose line runs along the path (normal within
    /// 45° of across it); a ridge crossing the path (a slip trace, another line) does not count.
    /// The lowest z (no response) when no such pixel is there.
    @inline(__always) static func alongZ(_ p: TEMPoint, _ u: TEMPoint, _ r: UnsafeBufferPointer<Float>, _ normal: UnsafeBufferPointer<Float>,
                                         width: Int, height: Int, median: Float, sigma: Float) -> Double? {
        let x = Int(p.x.rounded()), y = Int(p.y.rounded())
        guard x >= 1, y >= 1, x < width - 1, y < height - 1 else { return nil }
        var best: Float = 0
        for dy in -1...1 {
            for dx in -1...1 {
                let i = (y + dy) * width + x + dx
                let c = Int(normal[i])
                guard c >= 0 && c < 4, abs(normals[c].x * u.x + normals[c].y * u.y) <= 0.7072 else { continue }
                best = max(best, r[i])
            }
        }
        return Double((best - median) / sigma)
    }

    /// Mean `alongZ` over the interior of the straight path from `a` to `b` (1 px apart), and how
    /// many samples; with `trim` > 0 only the samples at least `trim` px from both ends (beyond
    /// the reach of the ends' own response: a line's ridge response runs on past its end by
    /// about two filter scales, so the first and last samples of any gap read the lines, not the gap).
    static func pathMean(from a: TEMPoint, to b: TEMPoint, _ r: UnsafeBufferPointer<Float>, _ normal: UnsafeBufferPointer<Float>,
                         width: Int, height: Int, median: Float, sigma: Float, trim: Double = 0) -> (mean: Double, samples: Int) {
        let d = b - a, len = TEMPolyline.norm(d)
        let steps = Int(len.rounded(.down))
        guard steps >= 2 else { return (0, 0) }
        let u = d / len
        var sum = 0.0, n = 0
        for k in 1..<steps {
            let t = Double(k) / Double(steps) * len
            guard t >= trim, len - t >= trim else { continue }
            guard let v = alongZ(a + (Double(k) / Double(steps)) * d, u, r, normal, width: width, height: height,
                                 median: median, sigma: sigma) else { continue }
            sum += v; n += 1
        }
        return (n > 0 ? sum / Double(n) : 0, n)
    }

    /// The mean `alongZ` beside the straight path from `a` to `b`: the path shifted sideways by
    /// `offsets` px on each side, each side's paths averaged, the lower side taken (a neighbour
    /// line of a pile-up runs along one side only; a slip trace crossing the gap crosses both).
    /// Nil when neither side has samples.
    static func besideMean(from a: TEMPoint, to b: TEMPoint, _ r: UnsafeBufferPointer<Float>, _ normal: UnsafeBufferPointer<Float>,
                           width: Int, height: Int, median: Float, sigma: Float, trim: Double,
                           offsets: [Double] = [6, 9]) -> Double? {
        let d = b - a, len = TEMPolyline.norm(d)
        guard len > 1e-9 else { return nil }
        let nrm = TEMPoint(-d.y / len, d.x / len)
        var sides: [Double] = []
        for side in [-1.0, 1.0] {
            var sum = 0.0, n = 0
            for o in offsets {
                let p = pathMean(from: a + side * o * nrm, to: b + side * o * nrm, r, normal, width: width, height: height,
                                 median: median, sigma: sigma, trim: trim)
                sum += p.mean * Double(p.samples); n += p.samples
            }
            if n > 0 { sides.append(sum / Double(n)) }
        }
        return sides.min()
    }

    /// The gap test of `config` (`joinGapEvidence` k > 0) for the straight gap from `a` to `b`:
    /// whether the ridge along it stands k spreads of the frame's null (`FrameNull`) above the
    /// null's median — or, with `gapBeside`, above the lower side beside it (`besideMean`) —
    /// counting, with `gapTrimScales` > 0, only the samples beyond that many filter scales
    /// from both ends (all when that leaves fewer than 2). A gap of fewer than 2 samples passes.
    static func gapPasses(from a: TEMPoint, to b: TEMPoint, _ r: UnsafeBufferPointer<Float>, _ normal: UnsafeBufferPointer<Float>,
                          width: Int, height: Int, median: Float, sigma: Float, config: TEMDetectorConfig, null: FrameNull) -> Bool {
        var trim = config.gapTrimScales * (config.scales.max() ?? 1)
        var path = pathMean(from: a, to: b, r, normal, width: width, height: height, median: median, sigma: sigma, trim: trim)
        if path.samples < 2 && trim > 0 {
            trim = 0
            path = pathMean(from: a, to: b, r, normal, width: width, height: height, median: median, sigma: sigma)
        }
        guard path.samples >= 2 else { return true }
        let n = null.get(response: r, normal: normal, width: width, height: height, median: median, sigma: sigma)
        let k = config.joinGapEvidence
        if config.gapBeside,
           let beside = besideMean(from: a, to: b, r, normal, width: width, height: height, median: median, sigma: sigma, trim: trim) {
            let median = n.level(samples: path.samples, k: 0), spread = n.level(samples: path.samples, k: 1) - median
            return path.mean - max(beside, median) >= k * spread
        }
        return path.mean >= n.level(samples: path.samples, k: k)
    }

    /// The frame's null for `pathMean`: the same statistic over `count` straight paths placed at
    /// random (positions and directions) in the frame, for every path length of 1…`maxSamples`
    /// samples — the median and the robust spread (MAD × 1.4826) of the path means. Lines cover
    /// a small share of a frame, so the few paths that land on one barely move either.
    public struct Null: Sendable {
        public var median: [Double]
        public var spread: [Double]

        public init(response r: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>, width: Int, height: Int,
                    median m: Float, sigma: Float, maxSamples: Int, count: Int = 256, seed: UInt64 = 7) {
            var rng = SeededRandom(seed: seed)
            let stride = maxSamples + 1
            // means[path · stride + k]: the mean over the path's first k samples (flat: no array per length).
            var means = [Double](repeating: 0, count: count * stride)
            var paths = 0
            let margin = Double(maxSamples + 3)
            if Double(width) > 2 * margin && Double(height) > 2 * margin {
                means.withUnsafeMutableBufferPointer { out in
                    for _ in 0..<count {
                        let a = TEMPoint(rng.uniform(margin...(Double(width) - margin)), rng.uniform(margin...(Double(height) - margin)))
                        let t = rng.uniform(0...Double.pi)
                        let u = TEMPoint(cos(t), sin(t))
                        let along = TEMPieceJoinEvidence.alongCodes(u)
                        var sum = 0.0
                        let row = paths * stride
                        for k in 1...maxSamples {
                            // Inside the margin every sample is interior: no bounds test.
                            sum += TEMPieceJoinEvidence.alongZ(a + Double(k) * u, codes: along, r, normal, width: width,
                                                               median: m, sigma: sigma)
                            out[row + k] = sum / Double(k)
                        }
                        paths += 1
                    }
                }
            }
            var median = [Double](repeating: 0, count: stride), spread = [Double](repeating: .infinity, count: stride)
            if paths > 0 {
                var column = [Double](repeating: 0, count: paths)
                for k in 1...maxSamples {
                    for p in 0..<paths { column[p] = means[p * stride + k] }
                    let c = Self.median(&column)
                    for p in 0..<paths { column[p] = abs(column[p] - c) }
                    median[k] = c
                    spread[k] = 1.4826 * Self.median(&column)
                }
            }
            self.median = median
            self.spread = spread
        }

        /// The median of `v` (the mean of the two middle values for an even count, as
        /// `TEMDrawsBenchmark.quantile(v, 0.5)`), by selection; `v` is reordered.
        static func median(_ v: inout [Double]) -> Double {
            let n = v.count
            guard n > 1 else { return n == 1 ? v[0] : .nan }
            let hi = n / 2, lo = (n - 1) / 2
            Selection.select(&v, hi)
            guard lo != hi else { return v[hi] }
            // The lower middle is the largest value before the upper one.
            var below = -Double.infinity
            for i in 0..<hi where v[i] > below { below = v[i] }
            return below + (v[hi] - below) * 0.5
        }

        /// The z a path of `samples` samples must reach to stand `k` spreads above the frame's null.
        public func level(samples: Int, k: Double) -> Double {
            let n = max(1, min(samples, median.count - 1))
            return median[n] + k * spread[n]
        }
    }

    /// Which quantised normals (`normals`' codes 0…3) count as a ridge along direction `u`
    /// (normal within 45° of across it), as bits.
    @inline(__always) static func alongCodes(_ u: TEMPoint) -> UInt8 {
        var bits: UInt8 = 0
        for c in 0..<4 where abs(normals[c].x * u.x + normals[c].y * u.y) <= 0.7072 { bits |= 1 << UInt8(c) }
        return bits
    }

    /// `alongZ` for a sample at least 1 px inside the frame, with the direction's codes
    /// (`alongCodes`) worked out once per path.
    @inline(__always) static func alongZ(_ p: TEMPoint, codes: UInt8, _ r: UnsafeBufferPointer<Float>, _ normal: UnsafeBufferPointer<Float>,
                                         width: Int, median: Float, sigma: Float) -> Double {
        let x = Int(p.x.rounded()), y = Int(p.y.rounded())
        var best: Float = 0
        for dy in -1...1 {
            let row = (y + dy) * width + x
            for dx in -1...1 {
                let c = Int(normal[row + dx])
                guard c >= 0 && c < 4, codes & (1 << UInt8(c)) != 0 else { continue }
                best = max(best, r[row + dx])
            }
        }
        return Double((best - median) / sigma)
    }

    /// A frame's `Null`, built when the frame first tests a gap and then shared by every test
    /// of that frame (the tracer's gap bridges and the piece joins): most frames test few gaps,
    /// many none. One per frame and response map.
    public final class FrameNull: @unchecked Sendable {
        /// Longest path (samples) the null covers: the longer of the tracer's and the joins' gaps.
        public let maxSamples: Int
        private var built: Null?
        public init(maxSamples: Int) { self.maxSamples = maxSamples }

        /// The null of the frame whose map is `response`, `normal` (built on the first call).
        public func get(response r: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>, width: Int, height: Int,
                        median: Float, sigma: Float) -> Null {
            if let built { return built }
            let n = Null(response: r, normal: normal, width: width, height: height, median: median, sigma: sigma, maxSamples: maxSamples)
            built = n
            return n
        }

        /// Whether the frame's null was built (a gap was tested).
        public var isBuilt: Bool { built != nil }
    }

    /// The join rule `config` asks for on a frame: every geometric join, or with
    /// `joinGapEvidence` > 0 only those whose bridge holds a ridge along it at least that many
    /// spreads above the frame's null for a path of its length (`Null`): the gap of a line
    /// cut where its contrast fades or another line crosses it still holds the line's ridge;
    /// the gap between two lines lying end to end holds background. A gap of fewer than 2
    /// samples has no interior to test and joins.
    /// `null`: the frame's null when the detector shares one (`FrameNull`); else one is made
    /// for the joins' gaps. Either way it is built only when a gap is tested.
    public static func rule(_ config: TEMDetectorConfig, response: [Float], normal: [Float], median: Float, sigma: Float,
                            width: Int, height: Int, pieces: [[TEMPoint]], null shared: FrameNull? = nil) -> (TEMFragmentGrouping.Join) -> Bool {
        let k = config.joinGapEvidence
        guard k > 0, response.count >= width * height, normal.count >= width * height else { return { _ in true } }
        let s = max(sigma, 1e-12)
        let null = shared ?? FrameNull(maxSamples: Self.joinSamples)
        return { j in
            let (pa, pb) = j.ends(pieces)
            return response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
                gapPasses(from: pa, to: pb, r, nb, width: width, height: height, median: median, sigma: s, config: config, null: null)
            } }
        }
    }

    /// Samples of the longest piece-join gap path (`TEMFragmentGrouping.maxGap` + 1).
    public static var joinSamples: Int { Int(TEMFragmentGrouping.maxGap.rounded(.up)) + 1 }
}
