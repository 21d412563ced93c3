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

    /// Mean `alongZ` over the interior of the straight path from `a` to `b` (1 px apart), and how many samples.
    static func pathMean(from a: TEMPoint, to b: TEMPoint, _ r: UnsafeBufferPointer<Float>, _ normal: UnsafeBufferPointer<Float>,
                         width: Int, height: Int, median: Float, sigma: Float) -> (mean: Double, samples: Int) {
        let d = b - a, len = TEMPolyline.norm(d)
        let steps = Int(len.rounded(.down))
        guard steps >= 2 else { return (0, 0) }
        let u = d / len
        var sum = 0.0, n = 0
        for k in 1..<steps {
            guard let v = alongZ(a + (Double(k) / Double(steps)) * d, u, r, normal, width: width, height: height,
                                 median: median, sigma: sigma) else { continue }
            sum += v; n += 1
        }
        return (n > 0 ? sum / Double(n) : 0, n)
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
            var means = [[Double]](repeating: [], count: maxSamples + 1)
            let margin = Double(maxSamples + 3)
            if Double(width) > 2 * margin && Double(height) > 2 * margin {
                for _ in 0..<count {
                    let a = TEMPoint(rng.uniform(margin...(Double(width) - margin)), rng.uniform(margin...(Double(height) - margin)))
                    let t = rng.uniform(0...Double.pi)
                    let u = TEMPoint(cos(t), sin(t))
                    var sum = 0.0
                    for k in 1...maxSamples {
                        sum += TEMPieceJoinEvidence.alongZ(a + Double(k) * u, u, r, normal, width: width, height: height,
                                                           median: m, sigma: sigma) ?? 0
                        means[k].append(sum / Double(k))
                    }
                }
            }
            median = means.map { v in v.isEmpty ? 0 : TEMDrawsBenchmark.quantile(v, 0.5) }
            spread = zip(means, median).map { v, c in v.isEmpty ? .infinity : 1.4826 * TEMDrawsBenchmark.quantile(v.map { abs($0 - c) }, 0.5) }
        }

        /// The z a path of `samples` samples must reach to stand `k` spreads above the frame's null.
        public func level(samples: Int, k: Double) -> Double {
            let n = max(1, min(samples, median.count - 1))
            return median[n] + k * spread[n]
        }
    }

    /// The join rule `config` asks for on a frame: every geometric join, or with
    /// `joinGapEvidence` > 0 only those whose bridge holds a ridge along it at least that many
    /// spreads above the frame's null for a path of its length (`Null`): the gap of a line
    /// cut where its contrast fades or another line crosses it still holds the line's ridge;
    /// the gap between two lines lying end to end holds background. A gap of fewer than 2
    /// samples has no interior to test and joins.
    public static func rule(_ config: TEMDetectorConfig, response: [Float], normal: [Float], median: Float, sigma: Float,
                            width: Int, height: Int, pieces: [[TEMPoint]]) -> (TEMFragmentGrouping.Join) -> Bool {
        let k = config.joinGapEvidence
        guard k > 0, response.count >= width * height, normal.count >= width * height else { return { _ in true } }
        let s = max(sigma, 1e-12)
        let maxSamples = Int(TEMFragmentGrouping.maxGap.rounded(.up)) + 1
        let null = response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
            Null(response: r, normal: nb, width: width, height: height, median: median, sigma: s, maxSamples: maxSamples)
        } }
        return { j in
            let (pa, pb) = j.ends(pieces)
            let path = response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
                pathMean(from: pa, to: pb, r, nb, width: width, height: height, median: median, sigma: s)
            } }
            guard path.samples >= 2 else { return true }
            return path.mean >= null.level(samples: path.samples, k: k)
        }
    }
}
