/// Quality over many randomised videos (`ctl bench tem --draws N`): each draw is a video from
/// `TEMSynthParams.randomized` with its own seed, detected, tracked and scored without the
/// database; the report is the distribution (median and 10th percentile) of every metric.
public enum TEMDrawsBenchmark {
    /// One scored draw.
    public struct Draw: Codable, Sendable {
        public var difficulty: TEMDifficulty
        public var seed: UInt64
        public var lineStyle: TEMNuisance.LineStyle
        public var evaluation: TEMEvaluation
        public var tracks: Int
        public var trueDislocations: Int
        /// Median over frames of |estimated − true| stage drift, px.
        public var driftError: Double
        /// The lines' contrast-to-noise ratio per pixel as drawn (`TEMSynthParams.cameraCNR`).
        public var cnr: Double
        /// The lines' depth over the frame's structure at the line scale, background included
        /// (`TEMLineVisibility`, on frame 0).
        public var visibility: Double
        /// Whether the detector's polarity at the end of the video (`TEMDetector.detectedBright`,
        /// or the configured one) was the lines' (bright only for the weak-beam style).
        public var polarityRight: Bool = true
        /// The polarity test's statistic at the end of the video (`TEMPolarityTest.z`: positive
        /// when bright leads; |z| ≥ 3.26 is significant at 1 %), whatever the detector's setting.
        public var polarityZ: Double? = nil
        /// With `polarityAlpha`: the first frame (1-based) at which the polarity test was
        /// significant on the side in use (`TEMDetector.firstSignificantFrame`), 0 if never.
        public var polaritySignificantAt: Int? = nil
        /// With `diagnoseLines`: where each true line is lost (`TEMLineDiagnosis`).
        public var lines: [TEMLineDiagnosis.Line] = []
        /// The drawn nuisances in one short line (`nuisanceSummary`).
        public var nuisance: String = ""
        /// 90th percentile over frames of the registration error, px.
        public var driftErrorP90: Double = 0
        /// With `attribute`: the IDF1 the same tracker reaches on the same curves registered with
        /// the generator's true drift (what registration costs), and the IDF1 of identities taken
        /// from the truth (`TEMDrawsAttribution.oracleTracks`: what detection alone allows).
        public var idf1TrueDrift: Double? = nil
        public var idf1Oracle: Double? = nil
        /// With `diagnoseIdentities`: where the identities are lost, break by break
        /// (`TEMIdentityBreaks`).
        public var identityBreaks: TEMIdentityBreaks.Summary? = nil
        /// With `diagnoseIdentities`: what the tracks' several curves in a frame are
        /// (`TEMFoldedCurves`).
        public var folds: TEMFoldedCurves.Summary? = nil
        /// With `diagnoseIdentities`: where the detector cuts each true line, piece by piece of
        /// the tracking (`TEMCutLines`).
        public var cutLines: [TEMCutLines.LinePiece]? = nil
        /// With `diagnoseOrders`: every pair of concurrent tracks side by side, piece by piece,
        /// with its order across the line frame by frame (`TEMLineOrderDiagnosis`).
        public var orders: [TEMLineOrderDiagnosis.Row]? = nil
        /// With `temporalMeanFrames`: the frames whose mean was read, and those it added a part to.
        public var meansRead: Int? = nil
        public var meansAdding: Int? = nil
        /// With `temporalLongFrames`: frames whose K₂ mean was read, and those it added to.
        public var longMeansRead: Int? = nil
        public var longMeansAdding: Int? = nil
        /// With `temporalMeanFrames`: the mean detectors' polarity tests at the end of the video
        /// (`TEMPolarityTest.z`; K-mean, K₂-mean), for diagnostics.
        public var meanPolarityZ: Double? = nil
        public var longPolarityZ: Double? = nil
    }

    /// Scores `count` draws of `difficulty` (seeds `firstSeed …`), videos of `frames` frames,
    /// the draws spread over `threads` threads (each renders and analyses its own videos).
    /// Tracking runs as the hierarchical merge does, in pieces of `framesPerPiece` frames linked
    /// by `TEMPiecewiseTracking`; 0 tracks the whole video in one pass (`TEMTracker.track`).
    public static func run(_ difficulty: TEMDifficulty, count: Int, frames: Int, firstSeed: UInt64 = 1,
                           threads: Int = Parallel.defaultThreads(),
                           config: TEMDetectorConfig = .video,
                           tracker: TEMTrackerConfig = TEMTrackerConfig(), framesPerPiece: Int = 20,
                           registration: TEMRegistration.Config = TEMRegistration.Config(),
                           diagnoseLines: Bool = false, attribute: Bool = false, diagnoseIdentities: Bool = false) -> [Draw] {
        run(difficulty, count: count, frames: frames, firstSeed: firstSeed, threads: threads, config: config,
            trackers: [tracker], framesPerPiece: framesPerPiece, registration: registration, diagnoseLines: diagnoseLines,
            attribute: attribute, diagnoseIdentities: diagnoseIdentities)[0]
    }

    /// `run` with several tracker settings on the same detections (each draw rendered and
    /// detected once): the draws scored with each, in the order given. Paired comparisons of
    /// trackers then carry none of the detector's cost or draw-to-draw noise twice.
    /// `attribute`: each draw's IDF1 also with the true drift and with identities from the truth
    /// (`Draw.idf1TrueDrift`, `idf1Oracle`), to tell detection, registration and tracking apart.
    /// `diagnoseIdentities`: each draw's identity breaks (`Draw.identityBreaks`).
    public static func run(_ difficulty: TEMDifficulty, count: Int, frames: Int, firstSeed: UInt64 = 1,
                           threads: Int = Parallel.defaultThreads(),
                           config: TEMDetectorConfig = .video,
                           trackers: [TEMTrackerConfig], framesPerPiece: Int = 20,
                           registration: TEMRegistration.Config = TEMRegistration.Config(),
                           diagnoseLines: Bool = false, attribute: Bool = false, diagnoseIdentities: Bool = false,
                           diagnoseOrders: Bool = false) -> [[Draw]] {
        let draws = try? Parallel.map(count, threads: threads) { k -> [Draw] in
            let seed = firstSeed + UInt64(k)
            let params = TEMSynthParams.randomized(difficulty, seed: seed, frames: frames)
            let synth = TEMSynthesizer(params: params)
            var detector = TEMDetector(config: config)
            detector.recordStages = diagnoseLines
            var lineStats: [Int: TEMLineDiagnosis.Line] = [:]
            var estimator: TEMRegistration?
            var drift: [TEMPoint] = []
            var visibility = 0.0
            // `temporalMeanFrames`: each frame's curves completed by its registered neighbours'
            // mean once the frames after it have been read (the drift from the plain curves).
            var window = config.temporalMeanFrames > 1 ? TEMTemporalWindow(config: config) : nil
            var detected = [[[TEMPoint]]](repeating: [], count: frames)
            func store(_ done: [TEMTemporalWindow.Output]) { for o in done { detected[o.index] = o.curves.map(\.points) } }
            for f in 0..<frames {
                let img = synth.frame8(f).map { Float($0) / 255 }
                if f == 0 {
                    visibility = TEMLineVisibility.effectiveCNR(img, width: params.width, height: params.height,
                                                                lines: synth.truth[0].map(\.points))
                }
                let found = detector.detect(img, width: params.width, height: params.height)
                let curves = found.map(\.points)
                if diagnoseLines {
                    TEMLineDiagnosis.add(frame: img, width: params.width, height: params.height, truth: synth.truth[f],
                                         response: detector.lastResponse(), thresholds: detector.lastThresholds,
                                         candidates: detector.lastCandidates, reported: curves, into: &lineStats)
                }
                if estimator == nil {
                    estimator = img.withUnsafeBufferPointer {
                        TEMRegistration(reference: $0, width: params.width, height: params.height, lines: curves, config: registration)
                    }
                }
                drift.append(f == 0 ? .zero : img.withUnsafeBufferPointer { estimator!.drift($0, lines: curves) })
                if window != nil {
                    let response = config.temporalDropGhosts && config.temporalGhostLeftAlpha > 0 ? detector.lastResponse() : nil
                    store(img.withUnsafeBufferPointer {
                        window!.push($0, width: params.width, height: params.height, drift: drift[f], curves: found, response: response,
                                     plainPolarity: detector.polarityTest, gatePolarity: detector.gatePolarity)
                    })
                } else {
                    detected[f] = curves
                }
            }
            if window != nil { store(window!.finish()) }
            // Linked in the specimen's coordinates, as the merge does; scored in the image's.
            let registered = zip(detected, drift).map { curves, d in curves.map { $0.map { $0 - d } } }
            let driftErrors = zip(drift, synth.stage.drift).map { TEMPolyline.norm($0 - $1) }
            func track(_ curves: [[[TEMPoint]]], _ tracker: TEMTrackerConfig) -> [TEMTrack] {
                framesPerPiece > 0
                    ? TEMPiecewiseTracking.track(curves, framesPerPiece: framesPerPiece, config: tracker)
                    : TEMTracker.track(curves, config: tracker)
            }
            let oracle = attribute
                ? TEMEvaluator.evaluate(truth: synth.truth, detected: detected,
                                        tracks: TEMDrawsAttribution.oracleTracks(truth: synth.truth, detected: detected)).idf1
                : nil
            return trackers.map { tracker in
                let tracks = track(registered, tracker)
                let e = TEMEvaluator.evaluate(truth: synth.truth, detected: detected, tracks: tracks)
                var draw = Draw(difficulty: difficulty, seed: seed, lineStyle: params.nuisance?.lineStyle ?? .dark,
                                evaluation: e, tracks: tracks.count,
                                trueDislocations: Set(synth.truth.flatMap { $0.map(\.id) }).count,
                                driftError: quantile(driftErrors, 0.5), cnr: params.cameraCNR ?? .infinity, visibility: visibility,
                                polarityRight: (detector.detectedBright ?? config.brightLines) == (params.nuisance?.lineStyle == .bright),
                                lines: lineStats.keys.sorted().map { lineStats[$0]! })
                draw.nuisance = TEMDrawsAttribution.nuisanceSummary(params)
                if config.autoPolarity { draw.polarityZ = detector.polarityTest.z }
                if config.polarityAlpha > 0 { draw.polaritySignificantAt = detector.firstSignificantFrame ?? 0 }
                draw.driftErrorP90 = quantile(driftErrors, 0.9)
                draw.meansRead = window?.meansRead
                draw.meansAdding = window?.meansAdding
                if let window, window.longFrames > 0 {
                    draw.longMeansRead = window.longMeansRead
                    draw.longMeansAdding = window.longMeansAdding
                    draw.longPolarityZ = window.longMeanDetector.map { $0.polarityTest.z }
                }
                if let window, config.temporalPolarityAlpha > 0 || window.longFrames > 0 { draw.meanPolarityZ = window.meanDetector.polarityTest.z }
                if diagnoseIdentities {
                    draw.identityBreaks = TEMIdentityBreaks.summary(truth: synth.truth, detected: detected, tracks: tracks,
                                                                    time: synth.stage.time, pieceFrames: framesPerPiece, config: tracker)
                    draw.folds = TEMFoldedCurves.summary(truth: synth.truth, detected: detected, tracks: tracks)
                    draw.cutLines = TEMCutLines.summary(truth: synth.truth, detected: detected, tracks: tracks,
                                                        pieceFrames: framesPerPiece > 0 ? framesPerPiece : frames)
                }
                if diagnoseOrders {
                    draw.orders = TEMLineOrderDiagnosis.rows(truth: synth.truth, registered: registered, drift: drift,
                                                             framesPerPiece: framesPerPiece > 0 ? framesPerPiece : frames, config: tracker)
                }
                if attribute {
                    let trueRegistered = zip(detected, synth.stage.drift).map { curves, d in curves.map { $0.map { $0 - d } } }
                    draw.idf1TrueDrift = TEMEvaluator.evaluate(truth: synth.truth, detected: detected,
                                                               tracks: track(trueRegistered, tracker)).idf1
                    draw.idf1Oracle = oracle
                }
                return draw
            }
        }
        guard let draws else { return trackers.map { _ in [] } }
        return trackers.indices.map { t in draws.map { $0[t] } }
    }

    /// The identity breaks (`TEMIdentityBreaks`) of `draws` summed, and the ten draws that lose
    /// most to tracking — identities from the truth minus plain IDF1 where attributed, else the
    /// frames charged to breaks — each with its own breaks.
    public static func identityReport(_ draws: [Draw]) -> String {
        let scored = draws.filter { $0.identityBreaks != nil }
        guard !scored.isEmpty else { return "identity breaks: none diagnosed" }
        let total = scored.reduce(TEMIdentityBreaks.Summary()) { $0 + $1.identityBreaks! }
        var out = ["identity breaks over \(scored.count) draws:", TEMIdentityBreaks.report(total)]
        let folds = scored.compactMap(\.folds)
        if !folds.isEmpty { out.append(TEMFoldedCurves.report(folds.reduce(TEMFoldedCurves.Summary(), +))) }
        func loss(_ d: Draw) -> Double {
            if let o = d.idf1Oracle { return o - d.evaluation.idf1 }
            return Double(d.identityBreaks!.frames.values.reduce(0, +))
        }
        out.append("draws losing most to tracking (seed: IDF1, identities from the truth; frames charged by cause):")
        for d in scored.sorted(by: { (loss($0), $1.seed) > (loss($1), $0.seed) }).prefix(10) {
            let b = d.identityBreaks!
            let causes = b.frames.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.map { "\($0.key) \($0.value) (\(b.breaks[$0.key] ?? 0))" }
            out.append("  \(d.seed): \(TEMBenchmark.fmt(d.evaluation.idf1, 3)), \(d.idf1Oracle.map { TEMBenchmark.fmt($0, 3) } ?? "-"); tracks \(d.tracks)/\(d.trueDislocations); untracked \(b.untracked), on no line \(b.falseHypotheses) (\(b.secondOnLine) on a line) of \(b.hypotheses); " + causes.joined(separator: ", ")
                       + (d.folds.map { "; folds one line \($0.oneLine), two lines \($0.twoLines), false \($0.falsePiece)" } ?? ""))
        }
        return out.joined(separator: "\n")
    }

    /// Per draw, the lines cut in every frame of a piece (`TEMCutLines.report`), for the draws
    /// that have any.
    public static func cutLinesReport(_ draws: [Draw]) -> String {
        var out = ["lines cut in every frame of a piece (per draw; `whole`: one curve on the line):"]
        for d in draws {
            guard let c = d.cutLines else { continue }
            let r = TEMCutLines.report(c)
            guard !r.isEmpty else { continue }
            out.append("seed \(d.seed) (IDF1 \(TEMBenchmark.fmt(d.evaluation.idf1, 3))):")
            out += r.split(separator: "\n").map { "  " + $0 }
        }
        return out.joined(separator: "\n")
    }

    /// The lines' visibility (`TEMLineVisibility.effectiveCNR`, measured on frame 0) of `count`
    /// randomised videos of `frames` frames (seeds `firstSeed …`), each with the visibility its
    /// noise was drawn for (`TEMNuisance.visibility`); renders one frame per draw, no detection.
    public static func visibility(_ difficulty: TEMDifficulty, count: Int, frames: Int, firstSeed: UInt64 = 1,
                                  threads: Int = Parallel.defaultThreads()) -> [(seed: UInt64, drawn: Double, measured: Double)] {
        let out = try? Parallel.map(count, threads: threads) { k -> (seed: UInt64, drawn: Double, measured: Double) in
            let seed = firstSeed + UInt64(k)
            let params = TEMSynthParams.randomized(difficulty, seed: seed, frames: frames)
            return (seed, params.nuisance?.visibility ?? .nan, frameZeroVisibility(params))
        }
        return out ?? []
    }

    /// `TEMLineVisibility.effectiveCNR` of frame 0 of any video (8-bit, as written to PNG).
    public static func frameZeroVisibility(_ params: TEMSynthParams) -> Double {
        let synth = TEMSynthesizer(params: params)
        let img = synth.frame8(0).map { Float($0) / 255 }
        return TEMLineVisibility.effectiveCNR(img, width: params.width, height: params.height, lines: synth.truth[0].map(\.points))
    }

    /// A printable visibility table: a line per draw (when `perDraw`), the distribution, draws per
    /// band, and the presets' values.
    public static func visibilityReport(_ difficulty: TEMDifficulty, draws v: [(seed: UInt64, drawn: Double, measured: Double)],
                                        frames: Int, presets: [(UInt64, Double)], perDraw: Bool) -> String {
        let name = difficulty.rawValue
        var lines: [String] = []
        if perDraw {
            lines.append("difficulty  seed  drawn  measured")
            for x in v { lines.append("\(TEMBenchmark.pad(name, 10))  \(TEMBenchmark.pad("\(x.seed)", 4))  \(TEMBenchmark.fmt(x.drawn, 2))  \(TEMBenchmark.fmt(x.measured, 2))") }
        }
        let m = v.map(\.measured)
        let q = { (p: Double) in TEMBenchmark.fmt(quantile(m, p), 2) }
        let bands = [0, 1.5, 2.5, 4, 8, Double.infinity]
        let counts = (0..<(bands.count - 1)).map { k in
            "\(TEMBenchmark.fmt(bands[k], 1))–\(bands[k + 1].isFinite ? TEMBenchmark.fmt(bands[k + 1], 1) : "∞"): \(m.filter { $0 >= bands[k] && $0 < bands[k + 1] }.count)"
        }
        lines.append("\(name) \(v.count) draws of \(frames) frames, visibility on frame 0: median \(q(0.5))  p10 \(q(0.1))  p90 \(q(0.9))  min \(TEMBenchmark.fmt(m.min() ?? .nan, 2))  max \(TEMBenchmark.fmt(m.max() ?? .nan, 2)); draws by band " + counts.joined(separator: ", "))
        lines.append("\(name) presets: " + presets.map { "seed \($0.0) \(TEMBenchmark.fmt($0.1, 2))" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    /// The metrics reported for a set of draws, by name, each value in [0, 1] except MOTA.
    static let metrics: [(String, @Sendable (TEMEvaluation) -> Double)] = [
        ("precision", { $0.precision }), ("recall", { $0.recall }), ("F1", { $0.f1 }),
        ("length", { $0.lengthScore }), ("IDF1", { $0.idf1 }), ("MOTA", { $0.tracking.mota }),
        ("HOTA", { $0.tracking.hota }),
    ]

    /// `q`-quantile (0…1) of `values` by linear interpolation between order statistics.
    public static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let v = values.sorted()
        let x = q * Double(v.count - 1)
        let i = Int(x.rounded(.down)), j = min(v.count - 1, i + 1)
        return v[i] + (v[j] - v[i]) * (x - Double(i))
    }

    /// Per-draw differences of `draws` against `base` (the same draws scored with another
    /// tracker): IDF1 and MOTA median and 10th percentile of the difference, draws won and lost
    /// (by more than 0.001), and the identity switches summed.
    public static func pairedReport(_ draws: [Draw], against base: [Draw]) -> String {
        let pairs = Array(zip(draws, base))
        func line(_ name: String, _ value: (TEMEvaluation) -> Double) -> String {
            let d = pairs.map { value($0.evaluation) - value($1.evaluation) }
            return "\(name) difference median \(TEMBenchmark.fmt(quantile(d, 0.5), 4))  p10 \(TEMBenchmark.fmt(quantile(d, 0.1), 4))  p90 \(TEMBenchmark.fmt(quantile(d, 0.9), 4))  won \(d.filter { $0 > 0.001 }.count)  lost \(d.filter { $0 < -0.001 }.count) of \(d.count)"
        }
        let switches = (draws.reduce(0) { $0 + $1.evaluation.tracking.idSwitches }, base.reduce(0) { $0 + $1.evaluation.tracking.idSwitches })
        return [line("IDF1", { $0.idf1 }), line("MOTA", { $0.tracking.mota }),
                "identity switches \(switches.1) → \(switches.0), tracks \(base.reduce(0) { $0 + $1.tracks }) → \(draws.reduce(0) { $0 + $1.tracks })"]
            .joined(separator: "\n")
    }

    /// A printable table: a line per draw (when `perDraw`), then median and 10th percentile of
    /// every metric.
    public static func report(_ draws: [Draw], perDraw: Bool) -> String {
        var lines: [String] = []
        if perDraw {
            lines.append("difficulty  seed  style   CNR   vis.  precision recall  F1     length IDF1   MOTA   HOTA   tracks/true polarity")
            for d in draws {
                let e = d.evaluation
                lines.append("\(TEMBenchmark.pad(d.difficulty.rawValue, 10))  \(TEMBenchmark.pad("\(d.seed)", 4))  \(TEMBenchmark.pad(d.lineStyle.rawValue, 6))  \(TEMBenchmark.fmt(d.cnr, 2))  \(TEMBenchmark.fmt(d.visibility, 2))  "
                             + [e.precision, e.recall, e.f1, e.lengthScore, e.idf1, e.tracking.mota, e.tracking.hota].map { TEMBenchmark.fmt($0, 3) }.joined(separator: "  ")
                             + "  \(d.tracks)/\(d.trueDislocations)" + (d.polarityRight ? "" : "  wrong")
                             + (d.polarityZ.map { "  z \(TEMBenchmark.fmt($0, 1))" } ?? "")
                             + (d.polaritySignificantAt.map { $0 > 0 ? " @\($0)" : " @-" } ?? "")
                             + "  drift err \(TEMBenchmark.fmt(d.driftError, 2))/\(TEMBenchmark.fmt(d.driftErrorP90, 2))"
                             + (d.idf1TrueDrift.map { "  IDF1 true drift \(TEMBenchmark.fmt($0, 3))" } ?? "")
                             + (d.idf1Oracle.map { "  oracle \(TEMBenchmark.fmt($0, 3))" } ?? "")
                             + (d.meansRead.map { "  means \($0) (adding \(d.meansAdding ?? 0))" } ?? "")
                             + (d.longMeansRead.map { "  long \($0) (adding \(d.longMeansAdding ?? 0))" } ?? "")
                             + (d.meanPolarityZ.map { "  mean z \(TEMBenchmark.fmt($0, 1))" } ?? "")
                             + (d.longPolarityZ.map { " long z \(TEMBenchmark.fmt($0, 1))" } ?? "")
                             + (d.nuisance.isEmpty ? "" : "  [\(d.nuisance)]"))
            }
        }
        guard let difficulty = draws.first?.difficulty else { return lines.joined(separator: "\n") }
        for (label, q) in [("median", 0.5), ("p10", 0.1)] {
            let cells = metrics.map { name, value in "\(name) \(TEMBenchmark.fmt(quantile(draws.map { value($0.evaluation) }, q), 3))" }
            lines.append("\(difficulty.rawValue) \(draws.count) draws \(label): " + cells.joined(separator: "  "))
        }
        // Recall and precision by how visible the lines are, background included
        // (`TEMLineVisibility`; a Python twin of it gives the presets' lines ≈ 4.0–4.2): some draws are below what
        // any detector resolves. And by the drawn camera-only contrast-to-noise ratio.
        for (label, key, bins) in [("visibility", \Draw.visibility, [0.0, 1.5, 2.5, 4.0]), ("camera CNR", \Draw.cnr, [0.0, 2.0, 3.0, 4.5])] {
            for (k, lo) in bins.enumerated() {
                let hi = k + 1 < bins.count ? bins[k + 1] : .infinity
                let bin = draws.filter { $0[keyPath: key] >= lo && $0[keyPath: key] < hi }
                guard !bin.isEmpty else { continue }
                let cells = metrics.prefix(3).map { name, value in
                    "\(name) \(TEMBenchmark.fmt(quantile(bin.map { value($0.evaluation) }, 0.5), 3))/\(TEMBenchmark.fmt(quantile(bin.map { value($0.evaluation) }, 0.1), 3))"
                }
                lines.append("\(difficulty.rawValue) \(label) \(TEMBenchmark.fmt(lo, 1))–\(hi.isFinite ? TEMBenchmark.fmt(hi, 1) : "∞"): \(bin.count) draws, median/p10 " + cells.joined(separator: "  "))
            }
        }
        let diagnosed = draws.flatMap(\.lines)
        if !diagnosed.isEmpty { lines.append(TEMLineDiagnosis.report(diagnosed, label: difficulty.rawValue)) }
        lines.append("\(difficulty.rawValue) polarity wrong in \(draws.filter { !$0.polarityRight }.count) of \(draws.count) draws")
        let attributed = draws.filter { $0.idf1TrueDrift != nil && $0.idf1Oracle != nil }
        if !attributed.isEmpty {
            let cells = [("IDF1", attributed.map(\.evaluation.idf1)), ("with the true drift", attributed.map { $0.idf1TrueDrift! }),
                         ("identities from the truth", attributed.map { $0.idf1Oracle! })].map { name, v in
                "\(name) \(TEMBenchmark.fmt(quantile(v, 0.5), 3)) / \(TEMBenchmark.fmt(quantile(v, 0.1), 3))"
            }
            lines.append("\(difficulty.rawValue) attribution, median / p10: " + cells.joined(separator: "  "))
        }
        let drift = draws.map(\.driftError)
        lines.append("\(difficulty.rawValue) drift error (px, per-draw median over frames): median \(TEMBenchmark.fmt(quantile(drift, 0.5), 2))  p90 \(TEMBenchmark.fmt(quantile(drift, 0.9), 2))")
        return lines.joined(separator: "\n")
    }
}
