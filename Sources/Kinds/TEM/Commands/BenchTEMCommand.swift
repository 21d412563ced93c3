import ArgumentParser
import Foundation
import Kernels
import Shared

/// `ctl bench tem`: the per-frame kernel's speed on 512×512 8-bit frames (also from PNG
/// files, decode included) and detection/tracking quality on easy/medium/hard videos.
struct BenchTEMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tem",
        abstract: "TEM kernel speed (512×512 u8 frames, one thread; with and without PNG decode) and quality on easy/medium/hard synthetic videos.")

    @Option(name: .long, help: "Frames timed for speed.")
    var frames: Int = 400

    @Option(name: .long, help: "Frames per synthetic video for quality.")
    var qualityFrames: Int = 60

    @Option(name: .long, parsing: .upToNextOption, help: "Seeds of the quality videos.")
    var seeds: [UInt64] = [1, 2, 3]

    @Flag(name: .long, help: "Speed only.")
    var noQuality = false

    @Option(name: .long, help: "Instead of speed and the 60-frame table: identity over long videos of this many frames (detect, track, score; no database).")
    var longFrames: Int?

    @Option(name: .long, parsing: .upToNextOption, help: "Difficulties of the long videos.")
    var longPresets: [String] = ["medium", "hard"]

    @Option(name: .long, help: "Directory caching the long videos' detections (so the tracker can be re-run quickly).")
    var longCache: String?

    @Option(name: .long, help: "Tracker settings as JSON (every field of TEMTrackerConfig), for tuning.")
    var trackerJSON: String?

    @Option(name: .long, help: "With --draws or --long-frames: more tracker settings (JSON, like --tracker-json; repeat the option), each scored on the same detections after --tracker-json's, with the per-draw IDF1 differences against it.")
    var alsoTrackerJSON: [String] = []

    @Option(name: .long, help: "Detector settings as JSON: any TEMDetectorConfig fields, laid over --detector's (default: the job's), for tuning the quality table and uncached long videos.")
    var detectorJSON: String?

    @Option(name: .long, help: "Instead of speed and the 60-frame table: quality over this many randomised videos per difficulty (`ctl synth tem --randomize`), as median and 10th percentile (no database).")
    var draws: Int?

    @Option(name: .long, help: "Instead of speed and the 60-frame table: the tracker alone over this many randomised videos per difficulty, fed the true curves degraded as a detector degrades them (fragments, misses, false curves, jitter, registration error; no rendering, no detector), as median and 10th percentile.")
    var degradedDraws: Int?

    @Option(name: .long, help: "With --degraded-draws: how the detector's cuts are modelled: basic (random cuts along the line) or video5 (also cut at the line's bend with hooked ends, short pieces dropped, as the video5 detector cuts).")
    var degrade: String = "basic"

    @Option(name: .long, help: "With --degraded-draws: points per degraded curve, equally spaced, as the detector reports them (0: 1 px apart, the bench before 4 December evening).")
    var degradedPoints: Int = 50

    @Option(name: .long, help: "Instead of speed and the 60-frame table: the lines' visibility (line depth / line-scale structure σ, frame 0) of this many randomised videos per difficulty (--draw-frames frames each) against the presets' seeds 1–3; no detection.")
    var visibilityDraws: Int?

    @Option(name: .long, help: "Frames per randomised video.")
    var drawFrames: Int = 40

    @Option(name: .long, parsing: .upToNextOption, help: "Difficulties (layouts) of the randomised videos.")
    var drawPresets: [String] = ["medium", "hard"]

    @Option(name: .long, help: "With --draws or --long-frames: frames per tracking piece, linked as the hierarchical merge links its partials' tracklets; 0: the whole video in one pass with the stand-still motion model only (the tracker before hierarchical merges).")
    var pieceFrames: Int = 20

    @Option(name: .long, help: "Seed of the first draw (draws use consecutive seeds).")
    var firstSeed: UInt64 = 1

    @Flag(name: .long, help: "With --draws: a line per draw as well.")
    var perDraw = false

    @Flag(name: .long, help: "With --draws: each draw's IDF1 also with the generator's true drift and with identities taken from the truth (what registration and what detection cost; one more tracking pass per draw).")
    var attribute = false

    @Flag(name: .long, help: "With --draws: where the true lines are lost, by each line's own visibility (response above the seed and continuation levels, traced, reported).")
    var lineDiagnosis = false

    @Flag(name: .long, help: "Detector as before the polarity decision: dark lines only (for before/after tables).")
    var darkOnly = false

    @Flag(name: .long, help: "Detector with scales, noise and thresholds measured per frame (TEMDetectorConfig.perFrameStatistics; opt-in, see docs/tem.md).")
    var perFrameStatistics = false

    @Option(name: .long, help: "Detector by name, as `--param detector=` of a job: video5 (default), video6 (video5 with faint lines seeded by the evidence along them), video7 (joins and gap bridges on the gap's evidence), video8 (video7 with the gap test trimmed of the ends' own response), video9 (video5 with seeds also from the response averaged along the line), video10 (video9 without the seeds that are the other polarity's flank), video11 (video9 keeping an extra seed only where it persists from the previous frame), video12 (video9 dropping straight paths of extra seeds as slip traces), video13 (both), video14 (video13 with its extra seeds only while the polarity is significant, and the polarity changed only on significant evidence), video15 (video14 with the polarity evidence read on the response averaged along the line, checked every 4th frame while not significant), video16 (video13 with its extra seeds only while the polarity test pooled over every frame so far is significant on the plain rule's side), video17 (video16 whose significant test also sets the plain seeds' polarity), video18 (video16 with the test's exact sign-flip tail), video19 (video18 whose significance holds until contradicted), video20 (video13 whose extra seeds' curves are kept only where a curve lay in the previous frame), video21 (video13 reading a path with extra points whose longest straight part is most of it as a slip trace: hooked trace pieces dropped, plain curves carried on along a trace cut back), video, per_frame, null (see docs/tem.md).")
    var detector: String?

    @Option(name: .long, help: "With a noise-normalised detector: which scale gives each pixel's response and ridge position: significance (video5, the default), weighted (the σ^γ-weighted winner, its value in noise units) or localised (thresholds on the noise-normalised maximum, non-maximum suppression on the σ^γ-weighted one).")
    var scaleChoice: String?

    @Flag(name: .long, help: "Detector leaving the pieces of a cut line apart (as before TEMDetectorConfig.joinPieces; for before/after tables).")
    var separatePieces = false

    @Flag(name: .long, help: "With --long-frames: print where identities break; with --draws: each draw's identity breaks by cause, summed, and the ten draws that lose most to tracking (with --attribute: identities from the truth minus plain IDF1).")
    var diagnose = false

    @Flag(name: .long, help: "With --draws: every pair of concurrent tracks side by side in a tracking piece, with the true line of each and its offset across the other frame by frame (with --per-draw a line per pair), and the pairs counted by their sign changes (a double line's pieces against close pairs).")
    var orderPairs = false

    @Option(name: .long, help: "With --long-frames: registration before linking, as a job's shards do it (chunks of 200 frames against frame 0): none (the bench before), correlation (the correlation peak alone, the jobs' registration before TEMRegistration) or robust (TEMRegistration).")
    var longRegistration: String = "none"

    @Option(name: .long, help: "The drift estimator where registration runs (draws, --long-registration robust, the speed line): masked (default: the detected curves left out of the fit, coarse-to-fine), unmasked, v4 (the estimator of 3 December), or half (masked at half size: a 64² correlation and the half-resolution fit kept).")
    var registration: String = "masked"

    func registrationConfig() throws -> TEMRegistration.Config {
        guard let c = TEMRegistration.Config.named(registration) else {
            throw ValidationError("--registration must be one of \(TEMRegistration.Config.names.joined(separator: ", "))")
        }
        return c
    }

    func validate() throws {
        guard (1...1_000_000).contains(frames) else { throw ValidationError("--frames must be 1…1000000") }
        guard (2...100_000).contains(qualityFrames) else { throw ValidationError("--quality-frames must be 2…100000") }
        guard !seeds.isEmpty else { throw ValidationError("--seeds needs at least one seed") }
        if let n = longFrames, !(2...1_000_000).contains(n) { throw ValidationError("--long-frames must be 2…1000000") }
        guard ["none", "correlation", "robust"].contains(longRegistration) else {
            throw ValidationError("--long-registration must be none, correlation or robust")
        }
        for p in longPresets + drawPresets where TEMDifficulty(rawValue: p) == nil {
            throw ValidationError("unknown preset \(p) (easy, medium or hard)")
        }
        if let n = draws, !(1...10_000).contains(n) { throw ValidationError("--draws must be 1…10000") }
        if let n = degradedDraws, !(1...10_000).contains(n) { throw ValidationError("--degraded-draws must be 1…10000") }
        if TEMDetectionDegradation.Style(rawValue: degrade) == nil { throw ValidationError("--degrade must be basic or video5") }
        if let n = visibilityDraws, !(1...10_000).contains(n) { throw ValidationError("--visibility-draws must be 1…10000") }
        guard pieceFrames >= 0 else { throw ValidationError("--piece-frames must be 0 (one pass) or more") }
        guard (2...100_000).contains(drawFrames) else { throw ValidationError("--draw-frames must be 2…100000") }
    }

    @Flag(name: .long, help: "With --long-frames: instead of tracking, every piece join the geometry allows on the first preset and seed, by truth (one line, two lines, two pile-ups), with the gap's evidence on the frame; and the reported curves lying on two true lines.")
    var joinDiagnosis = false

    @Option(name: .long, help: "With --join-diagnosis: also find where the tracer connects two pile-ups' lines into one piece (the path between them: a gap bridge, a junction pairing or connected pixels) and write overlays of the first 12 such pieces as PNG files into this directory.")
    var traceOverlays: String?

    @Option(name: .long, help: "With --draws: instead of scoring, the detector's false curves on each draw (beside a line, past a line's end, on a slip trace, clutter; traced by video5 too; persisting from the previous frame) and overlays of the three worst frames per draw into this directory.")
    var falseOverlays: String?

    @Flag(name: .long, help: "Also time PNG decoding alone for several zlib levels and filters (file size vs decode time).")
    var pngMatrix = false

    func run() throws {
        #if DEBUG
        print("note: this is a debug build; measure with `swift build -c release` and the release ctl")
        #endif
        if let n = longFrames { return try long(frames: n) }
        if let n = draws { return try randomDraws(n) }
        if let n = visibilityDraws { return visibility(n) }
        if let n = degradedDraws { return try degraded(n) }
        // The speed lines time the chosen detector (`--detector`, `--per-frame-statistics`, JSON).
        let config = try detectorConfig()
        let s = TEMBenchmark.speed(frames: frames, config: config)
        print(String(format: "tem kernel only (u8 bytes widened → detect, trace, fit): %d frames %d×%d in %.3f s = %.1f frames/s wall, %.1f frames/CPU-s (1 thread), %.1f curves/frame; separable vs direct filter max rel. error %.2g",
                     s.frames, s.width, s.height, s.seconds, s.framesPerSecond, s.framesPerCPUSecond, s.curvesPerFrame, s.filterRelativeError))
        if config.temporalMeanFrames > 1 {
            // The mean of K registered frames (`temporalMeanFrames`): its kernel, its detection, the window.
            // A faint draw (its mean adds on most frames) and the kernel line's clear hard video.
            for (label, params) in [("randomised medium draw 21", TEMSynthParams.randomized(.medium, seed: 21, frames: 16)),
                                    ("hard preset seed 1", TEMSynthParams.preset(.hard, seed: 1, frames: 16))] {
                let t = TEMTemporalBenchmark.speed(frames: frames, params: params, config: config)
                print(String(format: "tem temporal mean (K = %d, %@, 512×512, its true drift, one thread): mean %.3f ms/frame CPU (vs plain per-pixel reference max error %.2g of the frame's range), the mean frame's detection %.3f ms/frame, the window (mean, detection, merge) %.3f ms/frame with the mean read on %d of %d frames, %.2f curves/frame added; the frame's own detection %.3f ms/frame: %.1f frames/CPU-s without the mean, %.1f with it",
                             t.meanFrames, label, t.meanMs, t.relativeError, t.meanDetectMs, t.windowMs, t.meansRead, t.frames, t.addedPerFrame,
                             t.plainMs, 1000 / t.plainMs, 1000 / (t.plainMs + t.windowMs)))
                if config.temporalLongFrames > config.temporalMeanFrames {
                    print("tem temporal mean (\(label)): the mean of K₂ = \(config.temporalLongFrames) read on \(t.longMeansRead) of \(t.frames) frames (in the window's time above)")
                }
            }
        }
        print(try driftSpeed(frames: frames))
        let t = TEMBenchmark.tangentAverageSpeed(frames: frames)
        print(String(format: "ridge tangent average (m = 3, 512×512, one thread): %.3f ms/frame CPU; vs plain reference max rel. error %.2g", t.msPerFrame, t.relativeError))
        let cd = TEMTwinsBenchmark.closestDistance(pairs: 20 * frames)
        print(String(format: "tem closest distance (tracker's matching cost, 50-point curves, both directions of a pair, one thread): %.2f µs/pair CPU; plain reference %.2f µs/pair; %d of %d pairs differ from the reference in any bit",
                     cd.fastMicros, cd.plainMicros, cd.differing, 20 * frames))
        print(Self.twinLine("tem drift FFT (128², a forward and an inverse transform, one thread)", reference: "rows one at a time (reference)",
                            outputs: "planes", TEMTwinsBenchmark.fft(runs: 4 * frames)))
        print(Self.twinLine("tem drift binning (512²: the grid's 4×4 and the estimator's 2×2 bins, 128² each, one thread)",
                            reference: "one bin at a time (reference)", outputs: "bins", TEMTwinsBenchmark.binning(runs: 4 * frames)))
        let rs = TEMTwinsBenchmark.robustScale(calls: 8 * frames)
        print(String(format: "tem drift robust scale (median of ≈ 4,000 |residuals| of a 120² grid, one thread): %.2f µs/call CPU; Hoare's selection (reference) %.2f µs/call; %d of %d calls differ from the reference in any bit",
                     rs.fastMicros, rs.plainMicros, rs.differing, 8 * frames))
        print(Self.twinLine("tem drift estimator loops (128²: the band-passed cross-power and the gain-weighted peak, one thread)",
                            reference: "plain loops (reference)", outputs: "spectra and peaks", TEMTwinsBenchmark.estimatorLoops(runs: 4 * frames)))
        let ds = TEMBenchmark.destripeSpeed(frames: frames)
        print(String(format: "frame destripe (rows + columns, 512×512, one thread): %.3f ms/frame CPU; vs plain reference max error %.2g of the frame's range", ds.msPerFrame, ds.relativeError))
        let cc = TEMBenchmark.contrastSpeed(frames: frames)
        print(String(format: "curve contrast (frame level, 256 segments, + depth of %d curves, 512×512, one thread): %.3f ms/frame CPU; vs plain reference max error %.2g of the level's spread", cc.curves, cc.msPerFrame, cc.relativeError))
        for (label, compression) in [("ctl synth tem files", TEMFramePNG.compression), ("standard PNG (libpng/zlib defaults)", PNGCompression.standard)] {
            let p = try pngSpeed(frames: frames, compression: compression)
            print(String(format: "tem per-frame kernel from PNG files, %@ (%@, %.0f KiB/frame): %d frames %d×%d u8, one thread: decode %.2f ms/frame, detect+trace+fit %.2f ms/frame (CPU); total %.3f s wall = %.1f frames/s, %.3f s CPU = %.1f frames/CPU-s",
                         label, compression.description, p.bytesPerFrame / 1024, p.frames, p.width, p.height,
                         1000 * p.decodeCPU / Double(p.frames), 1000 * p.detectCPU / Double(p.frames),
                         p.seconds, Double(p.frames) / p.seconds, p.cpu, Double(p.frames) / p.cpu))
        }
        if pngMatrix { try decodeMatrix() }
        guard !noQuality else { return }
        let full = TEMBenchmark.run(speedFrames: 1, qualityFrames: qualityFrames, seeds: seeds,
                                    config: try detectorConfig(), tracker: try trackerConfig())
        // The first line of the kernel's report is its own (1-frame) speed figure: skip it.
        print(full.split(separator: "\n").dropFirst().joined(separator: "\n"))
    }

    /// Identity over long videos: detections (cached in `longCache` when set), tracking, scores.
    func long(frames n: Int) throws {
        if joinDiagnosis {
            for name in longPresets { for seed in seeds {
                print("\(name) seed \(seed), \(n) frames:")
                print(TEMJoinDiagnosis.run(TEMDifficulty(rawValue: name)!, frames: n, seed: seed, config: try detectorConfig()))
                if let dir = traceOverlays {
                    let t = TEMTraceThroughDiagnosis.run(TEMDifficulty(rawValue: name)!, frames: n, seed: seed,
                                                         config: try detectorConfig(), overlays: 12)
                    print(t.report)
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    for o in t.overlays {
                        try PNGWriter.writeRGB8(path: dir + "/" + o.name + ".png", width: o.width, height: o.height, pixels: o.rgb)
                    }
                }
            } }
            return
        }
        if let data = try? JSONEncoder().encode(try trackerConfig()) { print("tracker: " + String(decoding: data, as: UTF8.self)) }
        print("difficulty  seed  frames  F1      length  IDF1   tracks/true  detect s  track s")
        for name in longPresets {
            let d = TEMDifficulty(rawValue: name)!
            for seed in seeds {
                let t0 = Date()
                let truth = TEMSynthesizer(params: TEMSynthParams.preset(d, seed: seed, frames: n)).truth
                let (detected, drifts) = try longDetections(d, name: name, seed: seed, frames: n)
                let t1 = Date()
                let drift = longRegistration == "robust" ? drifts.map { $0[1] } : longRegistration == "correlation" ? drifts.map { $0[0] } : nil
                // Linked in the specimen's coordinates, as the merge does; scored in the image's.
                let linked = drift.map { zip(detected, $0).map { curves, d in curves.map { $0.map { $0 - d } } } } ?? detected
                if let drift { print(Self.driftSummary(drift)) }
                for (k, tracker) in try ([drawsTracker()] + alsoTrackerJSON.map { try drawsTracker($0) }).enumerated() {
                    if k > 0 { print("tracker \(k): \(alsoTrackerJSON[k - 1])") }
                    let tracked = Date()
                    let tracks = pieceFrames > 0
                        ? TEMPiecewiseTracking.track(linked, framesPerPiece: pieceFrames, config: tracker)
                        : TEMTracker.track(linked, config: tracker)
                    let t2 = Date()
                    let e = TEMEvaluator.evaluate(truth: truth, detected: detected, tracks: tracks)
                    let ids = Set(truth.flatMap { $0.map(\.id) }).count
                    print(String(format: "%@  %-4llu  %-6d  %.3f   %.3f   %.3f  %d/%d  %8.1f  %7.2f   MOTA %.3f  switches %d", name.padding(toLength: 10, withPad: " ", startingAt: 0),
                                 seed, n, e.f1, e.lengthScore, e.idf1, tracks.count, ids, t1.timeIntervalSince(t0), t2.timeIntervalSince(tracked),
                                 e.tracking.mota, e.tracking.idSwitches))
                    if diagnose {
                        print(TEMBenchmark.identityBreaks(truth: truth, detected: detected, tracks: tracks))
                        print(TEMIdentityDiagnosis.report(truth: truth, detected: detected, tracks: tracks,
                                                          maxGap: tracker.maxGap, pieceFrames: pieceFrames))
                    }
                }
            }
        }
    }

    /// A long preset video's detections and, with `--long-registration`, each frame's drift by
    /// both registrations ([correlation, robust]); cached in `--long-cache` when set.
    func longDetections(_ d: TEMDifficulty, name: String, seed: UInt64, frames n: Int) throws -> ([[[TEMPoint]]], [[TEMPoint]]) {
        let cacheFile = longCache.map { "\($0)/\(name)-s\(seed)-f\(n).curves" }
        let driftFile = longCache.map { "\($0)/\(name)-s\(seed)-f\(n).drift" }
        let wantDrift = longRegistration != "none"
        if let file = cacheFile, let cached = try? Self.readCurves(file) {
            if !wantDrift { return (cached, []) }
            if let file = driftFile, let drift = try? Self.readCurves(file).map({ $0[0] }) { return (cached, drift) }
        }
        var detected: [[[TEMPoint]]], drift: [[TEMPoint]] = []
        if wantDrift {
            let v = TEMBenchmark.detectVideoWithDrift(d, frames: n, seed: seed, config: try detectorConfig(), registration: try registrationConfig())
            detected = v.detected
            drift = zip(v.correlation, v.robust).map { [$0, $1] }
        } else {
            detected = TEMBenchmark.detectVideo(d, frames: n, seed: seed, config: try detectorConfig()).detected
        }
        if let file = cacheFile, let dir = longCache {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Self.writeCurves(detected, to: file)
            if wantDrift, let driftFile { try Self.writeCurves(drift.map { [$0] }, to: driftFile) }
        }
        return (detected, drift)
    }

    /// Spread of a preset video's estimated drift (its true drift is 0).
    static func driftSummary(_ drift: [TEMPoint]) -> String {
        let norms = drift.map(TEMPolyline.norm)
        let jumps = zip(drift.dropFirst(), drift).map { TEMPolyline.norm($0 - $1) }
        let sx = (drift.map { $0.x * $0.x }.reduce(0, +) / Double(max(1, drift.count))).squareRoot()
        let sy = (drift.map { $0.y * $0.y }.reduce(0, +) / Double(max(1, drift.count))).squareRoot()
        return String(format: "  drift: rms x %.3f y %.3f px, max |d| %.2f px, frames with d ≠ 0: %d of %d, median jump %.3f px, max jump %.2f px",
                      sx, sy, norms.max() ?? 0, norms.filter { $0 > 0 }.count, drift.count,
                      TEMDrawsBenchmark.quantile(jumps, 0.5), jumps.max() ?? 0)
    }

    /// Quality over `count` randomised videos per difficulty.
    func randomDraws(_ count: Int) throws -> Void {
        if let dir = falseOverlays {
            // The false curves of each draw against `video5`'s, with overlays of the worst frames.
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for name in drawPresets {
                for k in 0..<count {
                    let d = TEMFalseCurveDiagnosis.run(TEMDifficulty(rawValue: name)!, seed: firstSeed + UInt64(k), frames: drawFrames,
                                                       config: try detectorConfig(), base: .video5, overlays: 3)
                    print(name + " " + d.report)
                    for o in d.overlays {
                        try PNGWriter.writeRGB8(path: dir + "/" + name + "-" + o.name + ".png", width: o.width, height: o.height, pixels: o.rgb)
                    }
                }
            }
            return
        }
        for name in drawPresets {
            let t0 = Date()
            let trackers = try [drawsTracker()] + alsoTrackerJSON.map { try drawsTracker($0) }
            let results = TEMDrawsBenchmark.run(TEMDifficulty(rawValue: name)!, count: count, frames: drawFrames,
                                                firstSeed: firstSeed, config: try detectorConfig(), trackers: trackers,
                                                framesPerPiece: pieceFrames, registration: try registrationConfig(),
                                                diagnoseLines: lineDiagnosis, attribute: attribute, diagnoseIdentities: diagnose,
                                                diagnoseOrders: orderPairs)
            for (k, r) in results.enumerated() {
                if k > 0 {
                    print("tracker \(k): \(alsoTrackerJSON[k - 1])")
                    print(TEMDrawsBenchmark.pairedReport(r, against: results[0]))
                }
                print(TEMDrawsBenchmark.report(r, perDraw: perDraw))
                if diagnose { print(TEMDrawsBenchmark.identityReport(r)) }
                if diagnose && perDraw { print(TEMDrawsBenchmark.cutLinesReport(r)) }
                if orderPairs {
                    if perDraw { for d in r where !(d.orders ?? []).isEmpty { print(TEMLineOrderDiagnosis.report(d.orders!, seed: d.seed)) } }
                    print(TEMLineOrderDiagnosis.summary(r.flatMap { $0.orders ?? [] }))
                }
            }
            print(String(format: "%@: %d draws of %d frames in %.1f s", name, count, drawFrames, Date().timeIntervalSince(t0)))
        }
    }

    /// The visibility distribution of `count` randomised videos per difficulty, next to the presets'.
    func visibility(_ count: Int) {
        for name in drawPresets {
            let d = TEMDifficulty(rawValue: name)!
            let v = TEMDrawsBenchmark.visibility(d, count: count, frames: drawFrames, firstSeed: firstSeed)
            let presets = seeds.map { ($0, TEMDrawsBenchmark.frameZeroVisibility(TEMSynthParams.preset(d, seed: $0, frames: qualityFrames))) }
            print(TEMDrawsBenchmark.visibilityReport(d, draws: v, frames: drawFrames, presets: presets, perDraw: perDraw))
        }
    }

    /// The tracker alone over `count` degraded-truth videos per difficulty.
    func degraded(_ count: Int) throws {
        let style = TEMDetectionDegradation.Style(rawValue: degrade) ?? .basic
        for name in drawPresets {
            let t0 = Date()
            let results = TEMDegradedDrawsBenchmark.run(TEMDifficulty(rawValue: name)!, count: count, frames: drawFrames,
                                                        firstSeed: firstSeed, tracker: try drawsTracker(), framesPerPiece: pieceFrames,
                                                        style: style, points: degradedPoints)
            print("degraded truth (tracker alone, no detector; \(degrade) cuts):")
            print(TEMDrawsBenchmark.report(results, perDraw: perDraw))
            if diagnose {
                // The five draws with the lowest IDF1.
                for r in results.sorted(by: { $0.evaluation.idf1 < $1.evaluation.idf1 }).prefix(5) {
                    print(String(format: "IDF1 %.3f, ", r.evaluation.idf1) + TEMDegradedDrawsBenchmark.diagnose(
                        TEMDifficulty(rawValue: name)!, seed: r.seed, frames: drawFrames, tracker: try drawsTracker(), framesPerPiece: pieceFrames, style: style, points: degradedPoints))
                }
            }
            print(String(format: "%@: %d draws of %d frames in %.1f s", name, count, drawFrames, Date().timeIntervalSince(t0)))
        }
    }

    /// A same-output kernel's line whose outputs are compared whole (`TEMTwinsBenchmark`): its CPU
    /// time per run, its twin's, and whether every output is the twin's bit for bit.
    static func twinLine(_ what: String, reference: String, outputs: String,
                         _ r: (fastMicros: Double, plainMicros: Double, identical: Bool)) -> String {
        String(format: "%@: %.1f µs CPU; %@ %.1f µs; %@ identical bit for bit: %@",
               what, r.fastMicros, reference, r.plainMicros, outputs, r.identical ? "yes" : "NO")
    }

    /// The shards' registration step alone: drift of randomised medium frames (drift 2 px/frame)
    /// against frame 0, thread CPU time, and its error against the generator's drift.
    func driftSpeed(frames: Int) throws -> String {
        var params = TEMSynthParams.randomized(.medium, seed: 1, frames: 8)
        params.nuisance!.driftVelocity = TEMPoint(2, -1)
        let synth = TEMSynthesizer(params: params)
        let images = (0..<8).map { synth.frame8($0).map { Float($0) / 255 } }
        // The curves the shard has detected by then (not timed here: the kernel line times them).
        let config = try registrationConfig()
        var detector = TEMDetector(config: try detectorConfig())
        let lines = images.map { img in config.maskLines ? detector.detect(img, width: params.width, height: params.height).map(\.points) : [] }
        var estimator = images[0].withUnsafeBufferPointer {
            TEMRegistration(reference: $0, width: params.width, height: params.height, lines: lines[0], config: config)
        }
        var errors: [Double] = []
        let c0 = cpuSeconds()
        for i in 0..<frames {
            let d = images[i % 8].withUnsafeBufferPointer { estimator.drift($0, lines: lines[i % 8]) }
            if i < 8 { errors.append(TEMPolyline.norm(d - synth.stage.drift[i])) }
        }
        let ms = 1000 * (cpuSeconds() - c0) / Double(frames)
        // Its robust refinement alone, against the same frames, for the figure of the kernel.
        let grids = images.map { $0.withUnsafeBufferPointer { TEMDriftRefinement.grid($0, width: params.width, height: params.height) } }
        let c1 = cpuSeconds()
        for i in 0..<frames {
            _ = TEMDriftRefinement.refine(reference: grids[0], frame: grids[i % 8], start: synth.stage.drift[i % 8] / Double(grids[0].bin))
        }
        let refineMs = 1000 * (cpuSeconds() - c1) / Double(frames)
        return String(format: "tem drift (TEMRegistration \(registration) against frame 0, %d×%d u8 → %d frames, one thread): %.3f ms/frame CPU (of which one robust refinement from the true drift: %.3f ms); error vs true drift over 8 frames: median %.2f px, max %.2f px",
                      params.width, params.height, frames, ms, refineMs, TEMDrawsBenchmark.quantile(errors, 0.5), errors.max() ?? 0)
    }

    func trackerConfig() throws -> TEMTrackerConfig {
        guard let json = trackerJSON else { return TEMTrackerConfig() }
        return try JSONDecoder().decode(TEMTrackerConfig.self, from: Data(json.utf8))
    }

    /// `--piece-frames 0` is the tracker as it was before tracklet linking: no motion model.
    func drawsTracker() throws -> TEMTrackerConfig {
        var config = try trackerConfig()
        if pieceFrames == 0 { config.stitchMotionModel = false }
        return config
    }

    /// `drawsTracker` with the settings of `json` instead of `--tracker-json`'s.
    func drawsTracker(_ json: String) throws -> TEMTrackerConfig {
        var config = try JSONDecoder().decode(TEMTrackerConfig.self, from: Data(json.utf8))
        if pieceFrames == 0 { config.stitchMotionModel = false }
        return config
    }

    func detectorConfig() throws -> TEMDetectorConfig {
        var config = try chosenDetectorConfig()
        if separatePieces { config.joinPieces = false }
        if let name = scaleChoice {
            guard let choice = RidgeFilter.ScaleChoice(rawValue: name) else {
                throw ValidationError("--scale-choice \(name): expected one of \(RidgeFilter.ScaleChoice.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.scaleChoice = choice
        }
        return config
    }

    private func chosenDetectorConfig() throws -> TEMDetectorConfig {
        var base: TEMDetectorConfig = darkOnly ? TEMDetectorConfig() : perFrameStatistics ? .perFrameStatistics : .jobDefault
        if let name = detector {
            guard let config = TEMDetectorConfig.named(name) else {
                throw ValidationError("--detector \(name): expected one of \(TEMDetectorConfig.names.joined(separator: ", "))")
            }
            base = config
        }
        guard let json = detectorJSON else { return base }
        return try Self.overlay(json, on: base, option: "--detector-json")
    }

    /// `json`'s fields laid over `base` (any subset: a setting written before a field existed
    /// still reads, and one field can be varied alone); a field `base` does not have is refused
    /// by name rather than ignored.
    static func overlay<T: Codable>(_ json: String, on base: T, option: String) throws -> T {
        guard let baseFields = try JSONSerialization.jsonObject(with: JSONEncoder().encode(base)) as? [String: Any] else {
            throw ValidationError("\(option): \(T.self) does not encode as a JSON object")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) } catch {
            throw ValidationError("\(option): not valid JSON (\(error.localizedDescription))")
        }
        guard let given = parsed as? [String: Any] else { throw ValidationError("\(option): expected a JSON object of \(T.self) fields") }
        let unknown = given.keys.filter { baseFields[$0] == nil }.sorted()
        guard unknown.isEmpty else {
            throw ValidationError("\(option): \(T.self) has no field \(unknown.joined(separator: ", ")); its fields: \(baseFields.keys.sorted().joined(separator: ", "))")
        }
        let merged = try JSONSerialization.data(withJSONObject: baseFields.merging(given) { $1 })
        return try JSONDecoder().decode(T.self, from: merged)
    }

    /// Curves as little-endian Int32 counts and Float64 coordinates.
    static func writeCurves(_ curves: [[[TEMPoint]]], to path: String) throws {
        var out: [Double] = [Double(curves.count)]
        for frame in curves {
            out.append(Double(frame.count))
            for c in frame { out.append(Double(c.count)); for p in c { out.append(p.x); out.append(p.y) } }
        }
        try out.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
    }

    static func readCurves(_ path: String) throws -> [[[TEMPoint]]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let v: [Double] = data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        var i = 0
        func next() -> Double { defer { i += 1 }; return v[i] }
        return (0..<Int(next())).map { _ in
            (0..<Int(next())).map { _ in (0..<Int(next())).map { _ in let x = next(); return TEMPoint(x, next()) } }
        }
    }

    struct PNGSpeed {
        var frames, width, height: Int
        var bytesPerFrame: Double
        /// Wall and thread-CPU seconds of the whole loop; CPU seconds of its two parts.
        var seconds, cpu, decodeCPU, detectCPU: Double
    }

    /// 8 hard-preset frames written as PNG files with `compression` (then in the page cache),
    /// each decoded by libpng into one reused buffer and analysed, cycling, on this thread.
    func pngSpeed(frames: Int, compression: PNGCompression) throws -> PNGSpeed {
        let (files, params, bytes, dir) = try writeFrames(compression: compression)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var detector = TEMDetector(config: try detectorConfig())
        var pixels: [Float] = []
        _ = try PNGImage.read(path: files[0], into: &pixels)
        _ = detector.detect(pixels, width: params.width, height: params.height)
        var decode = 0.0, detect = 0.0
        let cpu0 = cpuSeconds(), t0 = Date()
        for i in 0..<frames {
            let c0 = cpuSeconds()
            let image = try PNGImage.read(path: files[i % files.count], into: &pixels)
            let c1 = cpuSeconds()
            _ = pixels.withUnsafeBufferPointer { detector.detect($0, width: image.width, height: image.height) }
            detect += cpuSeconds() - c1
            decode += c1 - c0
        }
        return PNGSpeed(frames: frames, width: params.width, height: params.height, bytesPerFrame: bytes,
                        seconds: Date().timeIntervalSince(t0), cpu: cpuSeconds() - cpu0, decodeCPU: decode, detectCPU: detect)
    }

    /// Decode time alone (thread CPU) and file size for a grid of zlib levels and filters.
    func decodeMatrix() throws {
        print("png decode alone, 512×512 u8 hard-preset frames, one thread (CPU ms/frame over \(frames) decodes):")
        let filters: [(String, PNGCompression.Filters)] = [("none", .none), ("sub", .sub), ("up", .up), ("adaptive", .all)]
        for level in [0, 1, 3, 6, 9] {
            for (name, f) in filters {
                let (files, _, bytes, dir) = try writeFrames(compression: PNGCompression(level: level, filters: f))
                defer { try? FileManager.default.removeItem(atPath: dir) }
                var pixels: [Float] = []
                _ = try PNGImage.read(path: files[0], into: &pixels)
                let c0 = cpuSeconds()
                for i in 0..<frames { _ = try PNGImage.read(path: files[i % files.count], into: &pixels) }
                let ms = 1000 * (cpuSeconds() - c0) / Double(frames)
                print(String(format: "  zlib %d  filter %-8@  %6.1f KiB/frame  decode %.3f ms/frame", level, name, bytes / 1024, ms))
            }
        }
    }

    func writeFrames(compression: PNGCompression) throws -> (files: [String], params: TEMSynthParams, bytesPerFrame: Double, dir: String) {
        let params = TEMSynthParams.preset(.hard, seed: 1, frames: 8)
        let synth = TEMSynthesizer(params: params)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slipline-bench-tem-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var total = 0
        let files = try (0..<8).map { f -> String in
            let path = "\(dir)/f\(f).png"
            try PNGWriter.writeGray8(path: path, width: params.width, height: params.height, pixels: synth.frame8(f), compression: compression)
            total += (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return path
        }
        return (files, params, Double(total) / 8, dir)
    }

    func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
