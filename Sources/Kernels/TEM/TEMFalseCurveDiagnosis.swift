/// What a detector's false curves are on one randomised draw (`ctl bench tem --draws N
/// --false-overlays DIR`): every curve with most of its points more than 2 px from the truth
/// (the evaluator's precision tolerance), classed by where it lies — beside a true line (within
/// 8 px of one along most of it: a flank, a parallel ghost or a shifted trace), past a line's end
/// (its false points nearest a line's end point), on a slip trace, or elsewhere (clutter) — with
/// whether a base detector traces it too and whether any curve lay at the same place (true drift
/// removed) in the previous frame. Overlays show the worst frames. For benchmarks, not detection.
public enum TEMFalseCurveDiagnosis {
    /// One false curve.
    public struct FalseCurve: Sendable {
        public var frame: Int
        public var kind: String
        public var length: Double
        public var falseShare: Double
        /// Median distance of its points to the nearest true line point, px.
        public var distance: Double
        /// Traced by the base detector too (≥ half its points within 2 px of a base curve).
        public var inBase: Bool
        /// Half its points or more within 3 px of a curve of the previous frame (true drift removed).
        public var persists: Bool
        /// Its mean response over the frame's reference (`TEMDetector.dropSlipTraces`' upper
        /// quartile of the reported curves ≥ `faintMinLength`) and its RMS distance to its line, px.
        public var relativeResponse: Double
        public var rms: Double
    }

    /// The false curves of draw `seed` of `difficulty` under `config` (and `base` alongside), a
    /// summary, and overlays of the `overlays` frames with the most false points: the frame
    /// stretched to its 1st–99th percentiles, truth green, true points blue, false points red
    /// (orange where the base detector traces them too).
    public static func run(_ difficulty: TEMDifficulty, seed: UInt64, frames: Int, config: TEMDetectorConfig,
                           base: TEMDetectorConfig, overlays: Int) -> (curves: [FalseCurve], report: String, overlays: [TEMTraceThroughDiagnosis.Overlay]) {
        let params = TEMSynthParams.randomized(difficulty, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        let w = params.width, h = params.height
        var detector = TEMDetector(config: config), baseDetector = TEMDetector(config: base)
        detector.recordStages = true
        var found: [FalseCurve] = []
        var extras: [ExtraPath] = []
        var perFrame: [(frame: Int, falsePoints: Int, img: [Float], curves: [[TEMPoint]], baseCurves: [[TEMPoint]])] = []
        var previous: [[TEMPoint]] = []
        // With `temporalMeanFrames` the frames' curves are completed by their neighbours' mean
        // (registered with the true drift) before they are classed: all frames first.
        var window = config.temporalMeanFrames > 1 ? TEMTemporalWindow(config: config) : nil
        var frameImages: [[Float]] = [], reportedByFrame = [[TEMCurve]](repeating: [], count: frames)
        for f in 0..<frames {
            let img = synth.frame8(f).map { Float($0) / 255 }
            let own = detector.detect(img, width: w, height: h)
            extras += extraPaths(detector, config: config, frame: f, truth: PointGrid(synth.truth[f].flatMap { TEMPolyline.resample($0.points, spacing: 0.25) }, cell: 2),
                                 traces: PointGrid(synth.slipTraces.flatMap { TEMPolyline.resample($0, spacing: 0.5).map { $0 + synth.stage.drift[f] } }, cell: 2))
            frameImages.append(img)
            if window != nil {
                let response = config.temporalDropGhosts && config.temporalGhostLeftAlpha > 0 ? detector.lastResponse() : nil
                for o in img.withUnsafeBufferPointer({
                    window!.push($0, width: w, height: h, drift: synth.stage.drift[f], curves: own, response: response,
                                 plainPolarity: detector.polarityTest, gatePolarity: detector.gatePolarity)
                }) {
                    reportedByFrame[o.index] = o.curves
                }
            } else {
                reportedByFrame[f] = own
            }
        }
        if window != nil { for o in window!.finish() { reportedByFrame[o.index] = o.curves } }
        for f in 0..<frames {
            let img = frameImages[f]
            let reported = reportedByFrame[f]
            let curves = reported.map(\.points)
            var refs = reported.filter { $0.lengthPx >= config.faintMinLength }.map(\.meanResponse).sorted()
            if refs.isEmpty { refs = reported.map(\.meanResponse).sorted() }
            let reference = refs.isEmpty ? 1 : refs[(3 * refs.count) / 4]
            let baseCurves = baseDetector.detect(img, width: w, height: h).map(\.points)
            let truthPts = synth.truth[f].flatMap { TEMPolyline.resample($0.points, spacing: 0.25) }
            let truthGrid = PointGrid(truthPts, cell: 2)
            let ends = synth.truth[f].flatMap { [$0.points.first!, $0.points.last!] }
            let near = PointGrid(truthPts, cell: 8)
            let baseGrid = PointGrid(baseCurves.flatMap { TEMPolyline.resample($0, spacing: 0.5) }, cell: 2)
            // Slip traces are drawn on the specimen, which the stage drift moves like the lines.
            let traceGrid = PointGrid(synth.slipTraces.flatMap { TEMPolyline.resample($0, spacing: 0.5).map { $0 + synth.stage.drift[f] } }, cell: 2)
            let shift = f > 0 ? synth.stage.drift[f] - synth.stage.drift[f - 1] : .zero
            let prevGrid = PointGrid(previous.flatMap { TEMPolyline.resample($0, spacing: 0.5).map { $0 + shift } }, cell: 3)
            var falsePoints = 0
            for (ci, c) in curves.enumerated() {
                let pts = TEMPolyline.resample(c, spacing: 1)
                let bad = pts.filter { !truthGrid.hasPoint(within: 2, of: $0) }
                falsePoints += bad.count
                guard 2 * bad.count >= pts.count else { continue }
                let dists = pts.map { p in truthPts.reduce(Double.infinity) { min($0, TEMPolyline.dist($1, p)) } }.sorted()
                let d = dists.isEmpty ? .infinity : dists[dists.count / 2]
                let beside = pts.filter { near.hasPoint(within: 8, of: $0) }.count * 2 >= pts.count
                let pastEnd = !ends.isEmpty && bad.filter { p in
                    let e = ends.map { TEMPolyline.dist($0, p) }.min()!
                    return e <= truthPts.reduce(Double.infinity) { min($0, TEMPolyline.dist($1, p)) } + 0.5
                }.count * 2 >= bad.count
                let onTrace = pts.filter { traceGrid.hasPoint(within: 3, of: $0) }.count * 2 >= pts.count
                let kind = onTrace ? "slip trace" : pastEnd && d <= 12 ? "past a line's end" : beside ? "beside a line" : "clutter"
                found.append(FalseCurve(
                    frame: f, kind: kind, length: TEMPolyline.length(c), falseShare: Double(bad.count) / Double(max(1, pts.count)),
                    distance: d,
                    inBase: pts.filter { baseGrid.hasPoint(within: 2, of: $0) }.count * 2 >= pts.count,
                    persists: pts.filter { prevGrid.hasPoint(within: 3, of: $0) }.count * 2 >= pts.count,
                    relativeResponse: reported[ci].meanResponse / max(reference, 1e-9), rms: TEMDetector.lineRMS(TEMPolyline.resample(c, spacing: 1))))
            }
            previous = curves
            perFrame.append((f, falsePoints, img, curves, baseCurves))
        }
        var out = ["seed \(seed) (\(TEMDrawsAttribution.nuisanceSummary(params))), style \(params.nuisance?.lineStyle.rawValue ?? "preset"), "
                   + "polarity read bright=\(detector.detectedBright.map(String.init) ?? "–"): \(found.count) false curves in \(frames) frames"]
        for kind in ["beside a line", "past a line's end", "slip trace", "clutter"] {
            let g = found.filter { $0.kind == kind }
            guard !g.isEmpty else { continue }
            let lengths = g.map(\.length).sorted()
            out.append("  " + TEMBenchmark.pad(kind, 18) + " \(g.count): median length \(TEMBenchmark.fmt(lengths[lengths.count / 2], 0)) px, "
                       + "in base \(g.filter(\.inBase).count), persists \(g.filter(\.persists).count), "
                       + "median distance \(TEMBenchmark.fmt(g.map(\.distance).sorted()[g.count / 2], 1)) px, "
                       + "response / reference p10/50/90 " + [0.1, 0.5, 0.9].map { TEMBenchmark.fmt(g.map(\.relativeResponse).sorted()[Int($0 * Double(g.count))], 2) }.joined(separator: "/")
                       + ", line RMS " + [0.1, 0.5, 0.9].map { TEMBenchmark.fmt(g.map(\.rms).sorted()[Int($0 * Double(g.count))], 2) }.joined(separator: "/"))
        }
        out += extraPathsReport(extras)
        let worst = perFrame.sorted { $0.falsePoints > $1.falsePoints }.prefix(overlays)
        let images = worst.map { fr in
            overlay(frame: fr.img, width: w, height: h, truth: synth.truth[fr.frame].map(\.points), curves: fr.curves,
                    base: fr.baseCurves, name: String(format: "s%03d-f%02d", Int(seed), fr.frame))
        }
        return (found, out.joined(separator: "\n"), images)
    }

    /// A traced path holding at least `traceMinLength` points kept through the averaged map's
    /// seeds alone (`TEMDetector.lastPathExtra`), before `extraStraightParts`.
    public struct ExtraPath: Sendable {
        public var frame: Int
        /// "true" (most points within 2 px of a true line), "slip trace" (most within 3 px of a
        /// trace), else "other".
        public var kind: String
        public var points: Int
        public var extra: Int
        /// The path's RMS distance to its line, px.
        public var rms: Double
        /// The longest straight part's share of the path at the frame's 50th, 90th and 99th
        /// percentile window scatter (`ExtraStraightParts`, window `extraStraightWindow`).
        public var straight: [Double]
        /// The frame's window scatter quantiles p50 / p90 / p99, px.
        public var scatter: [Double]
    }

    static let scatterQuantiles = [0.5, 0.9, 0.99]

    static func extraPaths(_ detector: TEMDetector, config: TEMDetectorConfig, frame f: Int, truth: PointGrid, traces: PointGrid) -> [ExtraPath] {
        let paths = detector.lastPaths, flags = detector.lastPathExtra
        let scatter = ExtraStraightParts.windowScatter(paths.filter { TEMPolyline.length($0) >= config.minLength },
                                                       window: config.extraStraightWindow)
        let tols = scatterQuantiles.compactMap { ExtraStraightParts.tolerance(scatter, quantile: $0) }
        guard tols.count == scatterQuantiles.count else { return [] }
        var out: [ExtraPath] = []
        for (p, e) in zip(paths, flags) where TEMPolyline.length(p) >= config.minLength {
            let extra = e.filter { $0 }.count
            guard extra >= Int(config.traceMinLength.rounded(.up)) else { continue }
            let onTruth = p.filter { truth.hasPoint(within: 2, of: $0) }.count
            let onTrace = p.filter { traces.hasPoint(within: 3, of: $0) }.count
            let kind = 2 * onTruth >= p.count ? "true" : 2 * onTrace >= p.count ? "slip trace" : "other"
            let shares = tols.map { Double(ExtraStraightParts.longestStraightRun(p[...], tolerance: $0).count) / Double(p.count) }
            out.append(ExtraPath(frame: f, kind: kind, points: p.count, extra: extra, rms: TEMDetector.lineRMS(p),
                                 straight: shares, scatter: tols))
        }
        return out
    }

    static func extraPathsReport(_ paths: [ExtraPath]) -> [String] {
        guard !paths.isEmpty else { return [] }
        func q(_ v: [Double], _ digits: Int) -> String {
            let s = v.sorted()
            return [0.1, 0.5, 0.9].map { TEMBenchmark.fmt(s[min(s.count - 1, Int($0 * Double(s.count)))], digits) }.joined(separator: "/")
        }
        let sc = scatterQuantiles.indices.map { k in q(paths.map { $0.scatter[k] }, 2) }.joined(separator: ", ")
        var out = ["  paths with ≥ traceMinLength extra points: \(paths.count); frame window scatter p50, p90, p99 \(sc) px (p10/50/90 over paths)"]
        for kind in ["true", "slip trace", "other"] {
            for mostly in [true, false] {
                let g = paths.filter { $0.kind == kind && (2 * $0.extra > $0.points) == mostly }
                guard !g.isEmpty else { continue }
                let points = q(g.map { Double($0.points) }, 0), rms = q(g.map(\.rms), 2)
                let shares = scatterQuantiles.indices.map { k in
                    q(g.map { $0.straight[k] }, 2) + " (≥ half \(g.filter { $0.straight[k] >= 0.5 }.count))"
                }.joined(separator: ", ")
                out.append("    \(TEMBenchmark.pad(kind, 11)) \(mostly ? "mostly extra" : "mixed       ") \(g.count): points \(points), RMS \(rms), "
                           + "straight share at p50, p90, p99: \(shares)")
            }
        }
        return out
    }

    static func overlay(frame: [Float], width w: Int, height h: Int, truth: [[TEMPoint]], curves: [[TEMPoint]],
                        base: [[TEMPoint]], name: String) -> TEMTraceThroughDiagnosis.Overlay {
        let sorted = frame.sorted()
        let lo = sorted[sorted.count / 100], hi = max(sorted[sorted.count * 99 / 100], lo + 1e-6)
        var rgb = [UInt8](repeating: 0, count: 3 * w * h)
        for i in 0..<(w * h) {
            let v = UInt8(max(0, min(255, (frame[i] - lo) / (hi - lo) * 255)))
            rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v
        }
        func put(_ p: TEMPoint, _ c: (UInt8, UInt8, UInt8)) {
            let x = Int(p.x.rounded()), y = Int(p.y.rounded())
            guard x >= 0, y >= 0, x < w, y < h else { return }
            let i = 3 * (y * w + x)
            rgb[i] = c.0; rgb[i + 1] = c.1; rgb[i + 2] = c.2
        }
        let truthPts = truth.flatMap { TEMPolyline.resample($0, spacing: 0.25) }
        let truthGrid = PointGrid(truthPts, cell: 2)
        let baseGrid = PointGrid(base.flatMap { TEMPolyline.resample($0, spacing: 0.5) }, cell: 2)
        // Truth drawn 3 px beside the line (both sides) so the line itself stays visible.
        for line in truth {
            let pts = TEMPolyline.resample(line, spacing: 1)
            for k in pts.indices where k % 3 == 0 && pts.count > 1 {
                let a = pts[max(0, k - 1)], b = pts[min(pts.count - 1, k + 1)]
                let t = b - a, n = TEMPolyline.norm(t)
                guard n > 0 else { continue }
                let nn = TEMPoint(-t.y / n, t.x / n)
                put(pts[k] + 4 * nn, (0, 220, 0)); put(pts[k] - 4 * nn, (0, 220, 0))
            }
        }
        for c in curves {
            for p in TEMPolyline.resample(c, spacing: 0.5) {
                let good = truthGrid.hasPoint(within: 2, of: p)
                put(p, good ? (60, 120, 255) : baseGrid.hasPoint(within: 2, of: p) ? (255, 160, 0) : (255, 0, 0))
            }
        }
        return TEMTraceThroughDiagnosis.Overlay(name: name, width: w, height: h, rgb: rgb)
    }
}
