#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the tracer connects two pile-ups' lines into one piece (`ctl bench tem --long-frames N
/// --join-diagnosis --separate-pieces --trace-overlays DIR`): for every unjoined piece of a
/// synthetic frame lying on lines of two pile-ups, the tracer's pixel path it comes from and the
/// stretch of that path between the two lines — its largest step (a tracer gap bridge jumps
/// further than a junction cluster), how much of it lies on a slip trace — and, for the first
/// few, an overlay crop. For benchmarks, not for detection.
public enum TEMTraceThroughDiagnosis {
    /// One piece over two pile-ups.
    public struct Case: Sendable {
        public var frame: Int
        /// The crossing: the path's points from the last one on the first pile-up's line to the
        /// first one on the second's.
        public var crossing: [TEMPoint]
        /// Largest step between consecutive path points in the crossing (px).
        public var largestStep: Double
        /// Share of the crossing's points within 2 px of a slip trace.
        public var onTrace: Double
        /// Share of the crossing's points on the hysteresis mask (within 1 px).
        public var onMask: Double
    }

    /// An RGB overlay (8-bit, row-major).
    public struct Overlay: Sendable {
        public var name: String
        public var width: Int, height: Int
        public var rgb: [UInt8]
    }

    /// Which pile-up's line each point lies within `r` px of (nil: none or several pile-ups).
    static func pileupAt(_ p: TEMPoint, grids: [(pileup: Int, grid: PointGrid)], r: Double = 2) -> Int? {
        var found: Int?
        for g in grids where g.grid.hasPoint(within: r, of: p) {
            if let f = found, f != g.pileup { return nil }
            found = g.pileup
        }
        return found
    }

    /// The cases of the first `frames` frames of a preset video with `config` (pieces unjoined),
    /// a summary, and overlays of the first `overlays` cases.
    public static func run(_ difficulty: TEMDifficulty, frames: Int, seed: UInt64, config: TEMDetectorConfig,
                           overlays: Int) -> (cases: [Case], report: String, overlays: [Overlay]) {
        let params = TEMSynthParams.preset(difficulty, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        let w = params.width, h = params.height
        var split = config
        split.joinPieces = false
        var detector = TEMDetector(config: split)
        detector.recordStages = true
        var cases: [Case] = []
        var bridges: [Bridge] = []
        var images: [Overlay] = []
        let traceGrid = PointGrid(synth.slipTraces.flatMap { TEMPolyline.resample($0, spacing: 0.5) }, cell: 2)
        for f in 0..<frames {
            let img = synth.frame8(f).map { Float($0) / 255 }
            let curves = detector.detect(img, width: w, height: h)
            let grids = synth.truth[f].map { ($0.pileup, PointGrid(TEMPolyline.resample($0.points, spacing: 0.5), cell: 2)) }
            let lineGrids = synth.truth[f].map { PointGrid(TEMPolyline.resample($0.points, spacing: 0.5), cell: 2) }
            let traced = detector.lastTraced
            let mask = detector.lastHysteresis
            bridges += Self.bridges(traced, truth: synth.truth[f], detector: detector, config: config, width: w, height: h)
            for c in curves {
                let pts = TEMPolyline.resample(c.points, spacing: 1)
                let on = lineGrids.indices.filter { k in pts.filter { lineGrids[k].hasPoint(within: 2, of: $0) }.count >= 20 }
                guard Set(on.map { synth.truth[f][$0].pileup }).count > 1 else { continue }
                // The tracer's path this piece comes from: the one most of its points lie on.
                let pieceGrid = PointGrid(pts, cell: 2)
                guard let path = traced.max(by: { a, b in
                    a.filter { pieceGrid.hasPoint(within: 2, of: $0) }.count < b.filter { pieceGrid.hasPoint(within: 2, of: $0) }.count
                }) else { continue }
                let owner = path.map { pileupAt($0, grids: grids) }
                // The crossing: between the last point of one pile-up's run and the first of the other's.
                var best: (Int, Int)?
                var last: (index: Int, pileup: Int)?
                for (i, o) in owner.enumerated() {
                    guard let o else { continue }
                    if let l = last, l.pileup != o, best == nil || i - l.index < best!.1 - best!.0 { best = (l.index, i) }
                    last = (i, o)
                }
                guard let (i0, i1) = best else { continue }
                let crossing = Array(path[i0...i1])
                var step = 0.0
                for k in 1..<crossing.count { step = max(step, TEMPolyline.dist(crossing[k - 1], crossing[k])) }
                let onTrace = Double(crossing.filter { traceGrid.hasPoint(within: 2, of: $0) }.count) / Double(crossing.count)
                let onMask = Double(crossing.filter { p in
                    let x = Int(p.x.rounded()), y = Int(p.y.rounded())
                    for dy in -1...1 { for dx in -1...1 {
                        let xx = x + dx, yy = y + dy
                        if xx >= 0, yy >= 0, xx < w, yy < h, mask[yy * w + xx] != 0 { return true }
                    } }
                    return false
                }.count) / Double(crossing.count)
                cases.append(Case(frame: f, crossing: crossing, largestStep: step, onTrace: onTrace, onMask: onMask))
                if images.count < overlays {
                    images.append(overlay(frame: img, width: w, height: h, hysteresis: mask, skeleton: detector.lastSkeleton,
                                          truth: synth.truth[f], traces: synth.slipTraces, path: path, piece: c.points,
                                          centre: crossing[crossing.count / 2],
                                          name: String(format: "f%04d-case%02d-step%.0f", f, images.count, step)))
                }
            }
        }
        var out: [String] = []
        out.append("pieces on two pile-ups (unjoined): \(cases.count) in \(frames) frames")
        let bridged = cases.filter { $0.largestStep > 4 }, cluster = cases.filter { $0.largestStep > 1.5 && $0.largestStep <= 4 }
        let pixels = cases.filter { $0.largestStep <= 1.5 }
        func q(_ v: [Double]) -> String {
            let s = v.sorted()
            guard !s.isEmpty else { return "–" }
            return [0.1, 0.5, 0.9].map { TEMBenchmark.fmt(s[min(s.count - 1, Int($0 * Double(s.count)))], 2) }.joined(separator: "/")
        }
        for (name, g) in [("tracer gap bridge (step > 4 px)", bridged), ("junction pairing (step 1.5–4 px)", cluster),
                          ("connected pixels (steps ≤ 1.5 px)", pixels)] {
            out.append("  " + TEMBenchmark.pad(name, 36) + " \(g.count): crossing px " + q(g.map { Double($0.crossing.count) })
                       + "  largest step " + q(g.map(\.largestStep)) + "  on a slip trace " + q(g.map(\.onTrace))
                       + "  on the hysteresis mask " + q(g.map(\.onMask)))
        }
        out.append("tracer gap bridges (steps > 4 px in the tracer's paths), by the truth on either side; along z: mean `alongZ` over the bridge, "
                   + "trimmed: only samples ≥ \(TEMBenchmark.fmt(Self.trim(config), 1)) px from both ends; margin: that minus the frame null's level at 2 spreads")
        for (name, kind) in [("one line", 0), ("two lines, one pile-up", 1), ("two pile-ups", 2), ("unlabelled", 3)] {
            let g = bridges.filter { $0.kind == kind }
            let passTrimmed = g.filter { $0.trimmedSamples < 2 || $0.trimmed >= $0.trimmedLevel }.count
            out.append("  " + TEMBenchmark.pad(name, 24) + " \(g.count): length " + q(g.map(\.length)) + "  along z " + q(g.map(\.along))
                       + "  margin " + q(g.map { $0.along - $0.level }) + "  trimmed z " + q(g.filter { $0.trimmedSamples >= 2 }.map(\.trimmed))
                       + "  trimmed margin " + q(g.filter { $0.trimmedSamples >= 2 }.map { $0.trimmed - $0.trimmedLevel })
                       + "  beside z " + q(g.filter { $0.beside.isFinite }.map(\.beside))
                       + "  pass full \(g.filter { $0.along >= $0.level }.count), trimmed \(passTrimmed)"
                       + "; gapPasses trim \(g.filter { $0.passes[0] }.count), trim+beside \(g.filter { $0.passes[1] }.count), beside \(g.filter { $0.passes[2] }.count)")
        }
        return (cases, out.joined(separator: "\n"), images)
    }

    /// One gap the tracer bridged: which truth is on either side (0 one line, 1 two lines of one
    /// pile-up, 2 two pile-ups, 3 unlabelled), its length, and the ridge along it
    /// (`TEMPieceJoinEvidence.pathMean`), whole and trimmed (`trim`), with the frame null's level
    /// at 2 spreads for each.
    public struct Bridge: Sendable {
        public var kind: Int
        public var length: Double
        public var along: Double, level: Double
        public var trimmed: Double, trimmedLevel: Double, trimmedSamples: Int
        /// The trimmed mean beside the gap (`TEMPieceJoinEvidence.besideMean`).
        public var beside: Double
        /// Whether the gap test passes with (trim 2 scales, beside off), (trim 2, beside on), (no trim, beside on), at k = 2.
        public var passes: [Bool]
    }

    /// Two filter scales: how far a line's ridge response runs on past its end.
    static func trim(_ config: TEMDetectorConfig) -> Double { 2 * (config.scales.max() ?? 1) }

    /// The tracer's gap bridges in `paths` (steps over 4 px), labelled by the truth.
    static func bridges(_ paths: [[TEMPoint]], truth: [TEMTruthDislocation], detector: TEMDetector, config: TEMDetectorConfig,
                        width w: Int, height h: Int) -> [Bridge] {
        let grids = truth.map { PointGrid(TEMPolyline.resample($0.points, spacing: 0.5), cell: 2) }
        func owner(_ pts: ArraySlice<TEMPoint>) -> Int? {
            var votes = [Int](repeating: 0, count: truth.count)
            for p in pts { for k in truth.indices where grids[k].hasPoint(within: 2, of: p) { votes[k] += 1 } }
            guard let best = votes.indices.max(by: { votes[$0] < votes[$1] }), votes[best] * 2 > pts.count else { return nil }
            return best
        }
        let response = detector.lastResponse(), normal = detector.lastNormal(), t = detector.lastThresholds
        let null = TEMDetector.frameNull(config)
        var out: [Bridge] = []
        response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
            for path in paths where path.count > 2 {
                for i in 1..<path.count where TEMPolyline.dist(path[i - 1], path[i]) > 4 {
                    let a = path[i - 1], b = path[i]
                    let oa = owner(path[max(0, i - 6)..<i]), ob = owner(path[i..<min(path.count, i + 6)])
                    let kind: Int
                    if let oa, let ob { kind = oa == ob ? 0 : truth[oa].pileup == truth[ob].pileup ? 1 : 2 } else { kind = 3 }
                    let s = max(t.sigma, 1e-12)
                    let full = TEMPieceJoinEvidence.pathMean(from: a, to: b, r, nb, width: w, height: h, median: t.median, sigma: s)
                    let cut = TEMPieceJoinEvidence.pathMean(from: a, to: b, r, nb, width: w, height: h, median: t.median, sigma: s,
                                                            trim: trim(config))
                    let n = null.get(response: r, normal: nb, width: w, height: h, median: t.median, sigma: s)
                    let beside = TEMPieceJoinEvidence.besideMean(from: a, to: b, r, nb, width: w, height: h, median: t.median, sigma: s,
                                                                 trim: cut.samples >= 2 ? trim(config) : 0) ?? .nan
                    let passes = [(2.0, false), (2.0, true), (0.0, true)].map { trimScales, beside -> Bool in
                        var c = config
                        c.joinGapEvidence = 2; c.gapTrimScales = trimScales; c.gapBeside = beside
                        return TEMPieceJoinEvidence.gapPasses(from: a, to: b, r, nb, width: w, height: h, median: t.median, sigma: s,
                                                              config: c, null: null)
                    }
                    out.append(Bridge(kind: kind, length: TEMPolyline.dist(a, b), along: full.mean, level: n.level(samples: full.samples, k: 2),
                                      trimmed: cut.mean, trimmedLevel: n.level(samples: cut.samples, k: 2), trimmedSamples: cut.samples,
                                      beside: beside, passes: passes))
                }
            }
        } }
        return out
    }

    /// A 4× crop of 96 px around `centre`: the frame in grey, the hysteresis mask blue, the
    /// skeleton cyan, the two pile-ups' true lines green and yellow, slip traces magenta, the
    /// tracer's path red, the fitted piece orange.
    static func overlay(frame: [Float], width w: Int, height h: Int, hysteresis: [UInt8], skeleton: [UInt8],
                        truth: [TEMTruthDislocation], traces: [[TEMPoint]], path: [TEMPoint], piece: [TEMPoint],
                        centre: TEMPoint, name: String) -> Overlay {
        let size = 96, scale = 4
        let x0 = max(0, min(w - size, Int(centre.x) - size / 2)), y0 = max(0, min(h - size, Int(centre.y) - size / 2))
        let ow = size * scale
        var rgb = [UInt8](repeating: 0, count: ow * ow * 3)
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8), alpha: Double = 1) {
            guard x >= 0, y >= 0, x < ow, y < ow else { return }
            let i = 3 * (y * ow + x)
            rgb[i] = UInt8(Double(rgb[i]) * (1 - alpha) + Double(c.0) * alpha)
            rgb[i + 1] = UInt8(Double(rgb[i + 1]) * (1 - alpha) + Double(c.1) * alpha)
            rgb[i + 2] = UInt8(Double(rgb[i + 2]) * (1 - alpha) + Double(c.2) * alpha)
        }
        for y in 0..<size {
            for x in 0..<size {
                let i = (y0 + y) * w + x0 + x
                let g = UInt8(max(0, min(255, frame[i] * 255)))
                for dy in 0..<scale { for dx in 0..<scale {
                    put(x * scale + dx, y * scale + dy, (g, g, g))
                    if hysteresis[i] != 0 { put(x * scale + dx, y * scale + dy, (40, 80, 255), alpha: 0.45) }
                    if skeleton[i] != 0 && dx >= 1 && dx <= 2 && dy >= 1 && dy <= 2 { put(x * scale + dx, y * scale + dy, (0, 255, 255)) }
                } }
            }
        }
        func dots(_ pts: [TEMPoint], _ c: (UInt8, UInt8, UInt8), spacing: Double, radius: Int) {
            for p in TEMPolyline.resample(pts, spacing: spacing) {
                let px = Int(((p.x - Double(x0)) * Double(scale)).rounded()) + scale / 2
                let py = Int(((p.y - Double(y0)) * Double(scale)).rounded()) + scale / 2
                for dy in -radius...radius { for dx in -radius...radius { put(px + dx, py + dy, c) } }
            }
        }
        for t in traces { dots(t, (255, 0, 255), spacing: 3, radius: 0) }
        for d in truth { dots(d.points, d.pileup % 2 == 0 ? (0, 220, 0) : (255, 230, 0), spacing: 3, radius: 1) }
        // The path point by point (no resampling: a jump shows as a gap between dots, drawn as a thin red line).
        for (i, p) in path.enumerated() {
            let px = Int(((p.x - Double(x0)) * Double(scale)).rounded()) + scale / 2
            let py = Int(((p.y - Double(y0)) * Double(scale)).rounded()) + scale / 2
            for dy in 0...1 { for dx in 0...1 { put(px + dx, py + dy, (255, 0, 0)) } }
            if i > 0, TEMPolyline.dist(path[i - 1], p) > 4 {
                let q = path[i - 1], steps = Int(TEMPolyline.dist(q, p) * Double(scale))
                for k in 0...steps {
                    let m = q + (Double(k) / Double(steps)) * (p - q)
                    put(Int(((m.x - Double(x0)) * Double(scale)).rounded()) + scale / 2, Int(((m.y - Double(y0)) * Double(scale)).rounded()) + scale / 2, (255, 0, 0))
                }
            }
        }
        dots(piece, (255, 140, 0), spacing: 4, radius: 1)
        return Overlay(name: name, width: ow, height: ow, rgb: rgb)
    }
}
