/// Where a randomised draw's true lines are lost (`ctl bench tem --draws N --line-diagnosis`):
/// per true dislocation, its own visibility and, over the frames it is in, the share of its
/// centreline points that the detector's response map holds above the seed and continuation
/// thresholds, that a traced curve covers before the curve rules, and that a reported curve
/// covers. Read by visibility band, it says whether faint lines are lost at the pixel
/// thresholds, at tracing, or at the curve rules. For benchmarks, not for detection.
public enum TEMLineDiagnosis {
    /// One true dislocation of one draw, summed over its frames.
    public struct Line: Codable, Sendable {
        /// Depth (sides 6 px out minus centre, median along the line, first frame it is in)
        /// over the frame's line-scale structure σ (`TEMLineVisibility`): this line alone.
        public var visibility: Double
        public var points = 0
        /// Points within 1 px of a response pixel ≥ the seed level (`high`), ≥ the continuation level (`low`).
        public var aboveHigh = 0
        public var aboveLow = 0
        /// Points within 2 px of a traced curve before the curve rules, of a reported curve.
        public var traced = 0
        public var reported = 0
        /// Sum over points of the largest response within 1 px, in σ above the median.
        public var zSum = 0.0
    }

    /// Accumulates one frame into `lines` (keyed by truth id); a line's visibility is measured on
    /// the first frame it is in.
    public static func add(frame: [Float], width: Int, height: Int, truth: [TEMTruthDislocation],
                           response: [Float], thresholds: (median: Float, sigma: Float, low: Float, high: Float),
                           candidates: [[TEMPoint]], reported: [[TEMPoint]],
                           into lines: inout [Int: Line]) {
        let tracedGrid = PointGrid(candidates.flatMap { TEMPolyline.resample($0, spacing: 0.5) }, cell: 2)
        let reportedGrid = PointGrid(reported.flatMap { TEMPolyline.resample($0, spacing: 0.5) }, cell: 2)
        let sigma = max(thresholds.sigma, 1e-12)
        for d in truth {
            if lines[d.id] == nil {
                lines[d.id] = Line(visibility: TEMLineVisibility.effectiveCNR(frame, width: width, height: height, lines: [d.points]))
            }
            var l = lines[d.id]!
            for p in TEMPolyline.resample(d.points, spacing: 1) {
                let x = Int(p.x.rounded()), y = Int(p.y.rounded())
                guard x >= 1, y >= 1, x < width - 1, y < height - 1 else { continue }
                var best = -Float.infinity
                for dy in -1...1 { for dx in -1...1 { best = max(best, response[(y + dy) * width + x + dx]) } }
                l.points += 1
                if best >= thresholds.high { l.aboveHigh += 1 }
                if best >= thresholds.low { l.aboveLow += 1 }
                l.zSum += Double((best - thresholds.median) / sigma)
                if tracedGrid.hasPoint(within: 2, of: p) { l.traced += 1 }
                if reportedGrid.hasPoint(within: 2, of: p) { l.reported += 1 }
            }
            lines[d.id] = l
        }
    }

    /// A printable table by the lines' own visibility: lines, and the pooled shares.
    public static func report(_ lines: [Line], label: String) -> String {
        let bands = [0.0, 1.5, 2.5, 4, .infinity]
        var out = ["\(label) per-line (visibility of the line alone): lines  points  ≥high  ≥low  traced  reported  mean z"]
        for k in 0..<(bands.count - 1) {
            let bin = lines.filter { $0.visibility >= bands[k] && $0.visibility < bands[k + 1] && $0.points > 0 }
            guard !bin.isEmpty else { continue }
            let n = Double(bin.reduce(0) { $0 + $1.points })
            func share(_ key: KeyPath<Line, Int>) -> String { TEMBenchmark.fmt(Double(bin.reduce(0) { $0 + $1[keyPath: key] }) / n, 3) }
            let z = bin.reduce(0.0) { $0 + $1.zSum } / n
            let name = "\(TEMBenchmark.fmt(bands[k], 1))–\(bands[k + 1].isFinite ? TEMBenchmark.fmt(bands[k + 1], 1) : "∞")"
            out.append("\(label) line vis. \(TEMBenchmark.pad(name, 8)): \(bin.count)  \(Int(n))  \(share(\.aboveHigh))  \(share(\.aboveLow))  \(share(\.traced))  \(share(\.reported))  \(TEMBenchmark.fmt(z, 2))")
        }
        return out.joined(separator: "\n")
    }
}
