#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The TEM benchmark behind `ctl bench tem`: kernel speed on 512×512 8-bit frames and
/// detection/tracking quality on synthetic videos of each difficulty.
public enum TEMBenchmark {
    public struct Speed: Codable, Sendable {
        public var frames: Int
        public var width: Int
        public var height: Int
        /// Wall-clock seconds and frames/s.
        public var seconds: Double
        public var framesPerSecond: Double
        /// The same on the thread's CPU clock: robust when other jobs share the cores.
        public var cpuSeconds: Double
        public var framesPerCPUSecond: Double
        public var curvesPerFrame: Double
        /// Largest |separable − direct 2D| Hessian-filter difference on a test frame, relative to
        /// the largest response (the reference check).
        public var filterRelativeError: Double
    }

    public struct Quality: Codable, Sendable {
        public var difficulty: TEMDifficulty
        public var seed: UInt64
        public var frames: Int
        public var evaluation: TEMEvaluation
        public var tracks: Int
        public var trueDislocations: Int
    }

    /// Times the kernel alone: 8-bit bytes already in memory widened to Float, then detect +
    /// trace + fit, over `frames` frames on one thread, cycling through 8 distinct hard-preset
    /// frames rendered beforehand. No PNG decoding (Kernels has no file formats): `ctl bench
    /// tem` adds the figures that decode real PNG files with libpng.
    public static func speed(frames: Int = 400, seed: UInt64 = 1, config: TEMDetectorConfig = .video) -> Speed {
        let params = TEMSynthParams.preset(.hard, seed: seed, frames: 8)
        let synth = TEMSynthesizer(params: params)
        let w = params.width, h = params.height
        let raw = (0..<8).map { synth.frame8($0) }
        var detector = TEMDetector(config: config)
        var buffer = [Float](repeating: 0, count: w * h)
        var curves = 0
        // Warm-up over every distinct frame: allocates the buffers and faults in the pages, so
        // the timed loop measures the steady state (one frame only left this first figure
        // ≈ 30 % low on a cold process).
        for frame in raw { _ = detector.detect(frame.map { Float($0) / 255 }, width: w, height: h) }
        let clock = ContinuousClock()
        let cpuStart = threadCPUSeconds()
        let start = clock.now
        for i in 0..<frames {
            let src = raw[i % raw.count]
            buffer.withUnsafeMutableBufferPointer { b in
                src.withUnsafeBufferPointer { s in for k in 0..<(w * h) { b[k] = Float(s[k]) * (1 / 255) } }
            }
            curves += buffer.withUnsafeBufferPointer { detector.detect($0, width: w, height: h) }.count
        }
        let elapsed = clock.now - start
        let cpu = threadCPUSeconds() - cpuStart
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Speed(frames: frames, width: w, height: h, seconds: seconds, framesPerSecond: Double(frames) / seconds,
                     cpuSeconds: cpu, framesPerCPUSecond: Double(frames) / cpu,
                     curvesPerFrame: Double(curves) / Double(frames),
                     filterRelativeError: filterCheck(raw[0].map { Float($0) / 255 }, width: w, height: h, config: config))
    }

    /// `RidgeTangentAverage` alone on the ridge response of a 512² hard-preset frame: CPU ms per
    /// frame over `frames` runs on one thread, and the largest |fast − reference| relative to the
    /// response's peak on the whole frame.
    public static func tangentAverageSpeed(frames: Int = 400, halfLength: Int = 3) -> (msPerFrame: Double, relativeError: Double) {
        let params = TEMSynthParams.preset(.hard, seed: 1, frames: 1)
        let w = params.width, h = params.height
        let img = TEMSynthesizer(params: params).frame8(0).map { Float($0) / 255 }
        var response = [Float](repeating: 0, count: w * h), normal = response, out = response
        var ws = RidgeFilter.Workspace()
        img.withUnsafeBufferPointer { s in response.withUnsafeMutableBufferPointer { r in normal.withUnsafeMutableBufferPointer { n in
            RidgeFilter.apply(s, width: w, height: h, scales: [1, 1.5, 2.2, 3.2], beta: 0.3, brightLines: false,
                              noiseNormalised: true, response: r, normal: n, workspace: &ws)
        } } }
        func run() {
            response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { n in out.withUnsafeMutableBufferPointer { o in
                RidgeTangentAverage.apply(response: r, normal: n, width: w, height: h, halfLength: halfLength, out: o)
            } } }
        }
        run()
        let start = threadCPUSeconds()
        for _ in 0..<frames { run() }
        let ms = 1000 * (threadCPUSeconds() - start) / Double(max(1, frames))
        let ref = RidgeTangentAverage.reference(response: response, normal: normal, width: w, height: h, halfLength: halfLength)
        let peak = Double(ref.max() ?? 1)
        let err = zip(out, ref).map { Double(abs($0 - $1)) }.max() ?? 0
        return (ms, peak > 0 ? err / peak : err)
    }

    /// `FrameDestripe` on a randomised medium frame with row stripes (512×512, one thread): CPU
    /// ms per frame, and the largest difference from its plain reference relative to the frame's range.
    public static func destripeSpeed(frames: Int = 400) -> (msPerFrame: Double, relativeError: Double) {
        var params = TEMSynthParams.randomized(.medium, seed: 3, frames: 1)
        params.nuisance!.rowStripes = 0.02
        let w = params.width, h = params.height
        let img = TEMSynthesizer(params: params).frame8(0).map { Float($0) / 255 }
        var out = [Float](repeating: 0, count: w * h)
        @discardableResult func run() -> Bool { img.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { FrameDestripe.apply(s, width: w, height: h, into: $0) } } }
        if !run() { out = img }
        let start = threadCPUSeconds()
        for _ in 0..<frames { run() }
        let ms = 1000 * (threadCPUSeconds() - start) / Double(max(1, frames))
        let ref = FrameDestripe.reference(img, width: w, height: h)
        let err = zip(out, ref).map { Double(abs($0 - $1)) }.max() ?? 0
        return (ms, err / Double(max(1e-9, (img.max() ?? 1) - (img.min() ?? 0))))
    }

    /// `CurveContrast` on a randomised medium frame (512×512, one thread): CPU ms per frame for
    /// the frame's level (256 segments) plus the depth of each of the frame's `video5` curves, the
    /// curves per frame, and the largest |fast − reference| over the level and the depths relative
    /// to the level's spread.
    public static func contrastSpeed(frames: Int = 400) -> (msPerFrame: Double, curves: Int, relativeError: Double) {
        let params = TEMSynthParams.randomized(.medium, seed: 3, frames: 1)
        let w = params.width, h = params.height
        let img = TEMSynthesizer(params: params).frame8(0).map { Float($0) / 255 }
        var detector = TEMDetector(config: .video5)
        let curves = detector.detect(img, width: w, height: h).map(\.points)
        var level: CurveContrast.Level?
        var depths: [Double?] = []
        func run() {
            img.withUnsafeBufferPointer { f in
                level = CurveContrast.level(frame: f, width: w, height: h, bright: false)
                depths = curves.map { CurveContrast.depth($0, frame: f, width: w, height: h, bright: false) }
            }
        }
        run()
        let start = threadCPUSeconds()
        for _ in 0..<frames { run() }
        let ms = 1000 * (threadCPUSeconds() - start) / Double(max(1, frames))
        guard let fast = level, let ref = CurveContrast.referenceLevel(frame: img, width: w, height: h, bright: false) else {
            return (ms, curves.count, .infinity)
        }
        var err = max(abs(fast.median - ref.median), abs(fast.spread - ref.spread))
        for (c, d) in zip(curves, depths) {
            let r = CurveContrast.referenceDepth(c, frame: img, width: w, height: h, bright: false)
            err = max(err, d == nil && r == nil ? 0 : abs((d ?? .infinity) - (r ?? -.infinity)))
        }
        return (ms, curves.count, err / max(ref.spread, 1e-12))
    }

    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The separable multi-scale Hessian filter against its direct-2D-convolution twin, on a
    /// 131×97 crop (odd sizes on purpose).
    public static func filterCheck(_ frame: [Float], width: Int, height: Int, config: TEMDetectorConfig) -> Double {
        let cw = min(131, width), ch = min(97, height)
        var crop = [Float](repeating: 0, count: cw * ch)
        for y in 0..<ch { for x in 0..<cw { crop[y * cw + x] = frame[(y + height / 3) % height * width + (x + width / 3) % width] } }
        var fast = [Float](repeating: 0, count: cw * ch)
        var ws = RidgeFilter.Workspace()
        var normal = [Float](repeating: 0, count: cw * ch)
        crop.withUnsafeBufferPointer { c in fast.withUnsafeMutableBufferPointer { f in normal.withUnsafeMutableBufferPointer { n in
            RidgeFilter.apply(c, width: cw, height: ch, scales: config.scales, beta: config.beta, brightLines: config.brightLines,
                              scaleExponent: config.scaleExponent, response: f, normal: n, workspace: &ws)
        } } }
        var slow = [Float](repeating: 0, count: cw * ch)
        for s in config.scales {
            let r = RidgeFilter.referenceResponse(crop, width: cw, height: ch, sigma: s, beta: Double(config.beta),
                                                  brightLines: config.brightLines, scaleExponent: config.scaleExponent)
            for i in slow.indices { slow[i] = max(slow[i], r[i]) }
        }
        let peak = Double(slow.max() ?? 1)
        var err = 0.0
        for i in slow.indices { err = max(err, Double(abs(fast[i] - slow[i]))) }
        return peak > 0 ? err / peak : err
    }

    /// Synthesises a video, detects every frame, tracks and scores it.
    public static func quality(_ difficulty: TEMDifficulty, frames: Int = 60, seed: UInt64 = 1,
                               config: TEMDetectorConfig = .video,
                               tracker: TEMTrackerConfig = TEMTrackerConfig()) -> Quality {
        let params = TEMSynthParams.preset(difficulty, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        var detector = TEMDetector(config: config)
        var detected: [[[TEMPoint]]] = []
        for f in 0..<frames {
            let img = synth.frame8(f).map { Float($0) / 255 }
            detected.append(detector.detect(img, width: params.width, height: params.height).map(\.points))
        }
        let tracks = TEMTracker.track(detected, config: tracker)
        let e = TEMEvaluator.evaluate(truth: synth.truth, detected: detected, tracks: tracks)
        return Quality(difficulty: difficulty, seed: seed, frames: frames, evaluation: e, tracks: tracks.count,
                       trueDislocations: Set(synth.truth.flatMap { $0.map(\.id) }).count)
    }

    /// Synthesises a video and detects every frame (the slow half of `quality`, kept apart so a
    /// long video's detections can be cached and re-tracked).
    public static func detectVideo(_ difficulty: TEMDifficulty, frames: Int, seed: UInt64,
                                   config: TEMDetectorConfig = .video)
        -> (truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]]) {
        let params = TEMSynthParams.preset(difficulty, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        var detector = TEMDetector(config: config)
        var detected: [[[TEMPoint]]] = []
        detected.reserveCapacity(frames)
        for f in 0..<frames {
            let img = synth.frame8(f).map { Float($0) / 255 }
            detected.append(detector.detect(img, width: params.width, height: params.height).map(\.points))
        }
        return (synth.truth, detected)
    }

    /// A preset video's detections with each frame's stage drift against frame 0 by the plain
    /// correlation peak (`TEMDriftEstimator`, the registration before `TEMRegistration`) and by
    /// `TEMRegistration`, rendered and analysed in chunks of `chunk` frames over `threads`
    /// threads (each chunk registers against frame 0 as a job's shard does).
    public static func detectVideoWithDrift(_ difficulty: TEMDifficulty, frames: Int, seed: UInt64,
                                            config: TEMDetectorConfig = .video, chunk: Int = 200,
                                            registration: TEMRegistration.Config = TEMRegistration.Config(),
                                            threads: Int = Parallel.defaultThreads())
        -> (detected: [[[TEMPoint]]], correlation: [TEMPoint], robust: [TEMPoint]) {
        let params = TEMSynthParams.preset(difficulty, seed: seed, frames: frames)
        let synth = TEMSynthesizer(params: params)
        let first = synth.frame8(0).map { Float($0) / 255 }
        let chunks = (frames + chunk - 1) / chunk
        let parts = (try? Parallel.map(chunks, threads: threads) { k -> [([[TEMPoint]], TEMPoint, TEMPoint)] in
            var detector = TEMDetector(config: config)
            var correlation = first.withUnsafeBufferPointer { TEMDriftEstimator(reference: $0, width: params.width, height: params.height) }
            // The reference's curves by a detector of its own, as a shard does.
            var firstDetector = TEMDetector(config: config)
            let firstLines = registration.maskLines ? firstDetector.detect(first, width: params.width, height: params.height).map(\.points) : []
            var robust = first.withUnsafeBufferPointer {
                TEMRegistration(reference: $0, width: params.width, height: params.height, lines: firstLines, config: registration)
            }
            return (k * chunk..<min(frames, (k + 1) * chunk)).map { f in
                let img = synth.frame8(f).map { Float($0) / 255 }
                let curves = detector.detect(img, width: params.width, height: params.height).map(\.points)
                let a = f == 0 ? TEMPoint.zero : img.withUnsafeBufferPointer { correlation.drift($0) }
                let b = f == 0 ? TEMPoint.zero : img.withUnsafeBufferPointer { robust.drift($0, lines: curves) }
                return (curves, a, b)
            }
        }) ?? []
        let all = parts.flatMap { $0 }
        return (all.map(\.0), all.map(\.1), all.map(\.2))
    }

    /// Where identities break: for every true dislocation, the tracks its matched detections
    /// belong to over time. Each change of track is a break, classified by what happened to the
    /// old track (it ended: a lost track; it went on with another detection: a swap) and by the
    /// frames between the two detections. A printable summary.
    public static func identityBreaks(truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]], tracks: [TEMTrack],
                                      matchGate: Double = 3) -> String {
        var trackOf: [Int: Int] = [:]
        var lastOf: [Int: Int] = [:], firstOf: [Int: Int] = [:]
        for t in tracks {
            for (f, c) in zip(t.frames, t.curveIndices) { trackOf[f << 20 | c] = t.id }
            lastOf[t.id] = t.lastFrame
            firstOf[t.id] = t.firstFrame
        }
        var current: [Int: (track: Int, frame: Int, centroid: TEMPoint)] = [:]
        var unmatched = 0, untracked = 0, matched = 0
        var ended = 0, swapped = 0
        var gapHist: [Int: Int] = [:]
        var jumps: [Double] = []
        var examples: [String] = []
        for f in truth.indices {
            let tr = truth[f], de = f < detected.count ? detected[f] : []
            let m = CurveMatching.match(tr.map(\.points), de, gate: matchGate)
            for (i, d) in tr.enumerated() {
                guard let j = m[i] else { unmatched += 1; continue }
                guard let tid = trackOf[f << 20 | j] else { untracked += 1; continue }
                matched += 1
                let c = TEMPolyline.centroid(de[j])
                if let prev = current[d.id], prev.track != tid {
                    let gap = f - prev.frame
                    let bucket = gap <= 1 ? 1 : gap <= 4 ? 4 : gap <= 15 ? 15 : gap <= 100 ? 100 : 1000
                    gapHist[bucket, default: 0] += 1
                    let endedHere = (lastOf[prev.track] ?? 0) < f
                    if endedHere { ended += 1 } else { swapped += 1 }
                    let jump = TEMPolyline.norm(c - prev.centroid)
                    jumps.append(jump)
                    if examples.count < 12 {
                        examples.append("  id \(d.id) f\(prev.frame)→\(f): track \(prev.track)→\(tid) (\(endedHere ? "ended" : "swap"), new track from f\(firstOf[tid] ?? -1)), centroid jump \(fmt(jump, 1)) px")
                    }
                }
                current[d.id] = (tid, f, c)
            }
        }
        jumps.sort()
        let median = jumps.isEmpty ? 0 : jumps[jumps.count / 2]
        // Per true dislocation: frames matched, and the tracks holding the most of them.
        var perTruth: [Int: [Int: Int]] = [:]
        for f in truth.indices {
            let tr = truth[f], de = f < detected.count ? detected[f] : []
            let m = CurveMatching.match(tr.map(\.points), de, gate: matchGate)
            for (i, d) in tr.enumerated() { if let j = m[i], let tid = trackOf[f << 20 | j] { perTruth[d.id, default: [:]][tid, default: 0] += 1 } }
        }
        var lines = perTruth.keys.sorted().map { id -> String in
            let top = perTruth[id]!.sorted { $0.value > $1.value }
            let total = top.reduce(0) { $0 + $1.value }
            return "  truth \(id): \(total) frames on \(top.count) tracks: " + top.prefix(6).map { "t\($0.key)[\(firstOf[$0.key]!)–\(lastOf[$0.key]!)]×\($0.value)" }.joined(separator: " ")
        }
        lines += ["truth detections: \(matched) matched to a track, \(untracked) matched to an untracked curve, \(unmatched) unmatched",
                     "identity breaks: \(ended + swapped) (\(ended) old track ended, \(swapped) swaps); median centroid jump \(fmt(median, 1)) px",
                     "breaks by frames since last seen: " + gapHist.keys.sorted().map { "≤\($0): \(gapHist[$0]!)" }.joined(separator: ", ")]
        lines += examples
        return lines.joined(separator: "\n")
    }

    /// Runs both parts and returns a printable report.
    public static func run(speedFrames: Int = 400, qualityFrames: Int = 60, seeds: [UInt64] = [1, 2, 3],
                           config: TEMDetectorConfig = .video,
                           tracker: TEMTrackerConfig = TEMTrackerConfig()) -> String {
        var lines: [String] = []
        let s = speed(frames: speedFrames)
        lines.append("tem kernel: \(s.frames) frames \(s.width)x\(s.height) u8 in \(fmt(s.seconds, 3)) s wall = \(fmt(s.framesPerSecond, 1)) frames/s, \(fmt(s.cpuSeconds, 3)) s CPU = \(fmt(s.framesPerCPUSecond, 1)) frames/CPU-s (1 thread), \(fmt(s.curvesPerFrame, 1)) curves/frame; separable vs direct filter max rel. error \(String(describing: s.filterRelativeError))")
        lines.append("difficulty  seed  frames  precision  recall  F1      length  IDF1   MOTA    HOTA   tracks/true")
        for d in TEMDifficulty.allCases {
            var f1 = 0.0, len = 0.0, idf1 = 0.0
            for seed in seeds {
                let q = quality(d, frames: qualityFrames, seed: seed, config: config, tracker: tracker)
                let e = q.evaluation
                f1 += e.f1; len += e.lengthScore; idf1 += e.idf1
                lines.append("\(pad(d.rawValue, 10))  \(pad("\(seed)", 4))  \(pad("\(q.frames)", 6))  \(fmt(e.precision, 3))      \(fmt(e.recall, 3))   \(fmt(e.f1, 3))   \(fmt(e.lengthScore, 3))   \(fmt(e.idf1, 3))  \(fmt(e.tracking.mota, 3))  \(fmt(e.tracking.hota, 3))  \(q.tracks)/\(q.trueDislocations)")
            }
            let n = Double(seeds.count)
            lines.append("\(pad(d.rawValue, 10))  mean  F1 \(fmt(f1 / n, 3))  length \(fmt(len / n, 3))  IDF1 \(fmt(idf1 / n, 3))")
        }
        return lines.joined(separator: "\n")
    }

    static func fmt(_ v: Double, _ digits: Int) -> String {
        var p = 1.0
        for _ in 0..<digits { p *= 10 }
        let r = (v * p).rounded() / p
        var s = "\(r)"
        if let dot = s.firstIndex(of: ".") {
            let have = s.distance(from: dot, to: s.endIndex) - 1
            if have < digits { s += String(repeating: "0", count: digits - have) }
        }
        return s
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}
