#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporal mean's cost (`TEMDetectorConfig.temporalMeanFrames`, `ctl bench tem` with
/// `--detector-json '{"temporalMeanFrames":K}'`): the mean kernel against a plain per-pixel
/// reference, the mean frames' detection, and the whole window, on one thread.
public enum TEMTemporalBenchmark {
    public struct Speed: Sendable {
        /// Frames timed and the frames per mean.
        public var frames: Int
        public var meanFrames: Int
        /// CPU ms per frame: `TEMTemporalMean.apply` alone; the mean frame's detection alone;
        /// the frame's own detection; the window (mean, its detection and the merge).
        public var meanMs: Double
        public var meanDetectMs: Double
        public var plainMs: Double
        public var windowMs: Double
        /// Frames whose mean was detected, of those the window completed.
        public var meansRead: Int
        /// Frames whose K₂ mean was detected (`temporalLongFrames`; 0 when off).
        public var longMeansRead = 0
        /// Largest |kernel − reference| over the timed means' first frame, relative to the
        /// frame's range.
        public var relativeError: Double
        /// Curves per frame added by the mean.
        public var addedPerFrame: Double
    }

    /// A video of 16 distinct frames (`params`, the generator's stage drift as the registration)
    /// played forwards and back (so every window holds neighbouring frames): each frame detected
    /// by `config` without the mean, then pushed through a `TEMTemporalWindow` of `config`.
    public static func speed(frames: Int = 400, params given: TEMSynthParams, config: TEMDetectorConfig) -> Speed {
        let k = max(2, config.temporalMeanFrames)
        var windowConfig = config
        windowConfig.temporalMeanFrames = k
        let distinct = 16
        var params = given
        params.frames = distinct
        let synth = TEMSynthesizer(params: params)
        let w = params.width, h = params.height, n = w * h
        // Frame i of the timed sequence: 0 … 15, 14 … 1, 0 … .
        let order = (0..<(2 * distinct - 2)).map { $0 < distinct ? $0 : 2 * distinct - 2 - $0 }
        let played = (0..<max(1, frames)).map { order[$0 % order.count] }
        let images = (0..<distinct).map { synth.frame8($0).map { Float($0) / 255 } }
        let drifts = (0..<distinct).map { synth.stage.drift[$0] }
        var plainConfig = config
        plainConfig.temporalMeanFrames = 0
        // The plain curves (the warm-up too), as the shard has them when it pushes a frame.
        var detector = TEMDetector(config: plainConfig)
        // Each frame's response map too when the ghost rule reads it (`temporalGhostLeftAlpha`), as the
        // shard pushes it; otherwise the window silently falls back to the plain-curve rule.
        let keepResponses = config.temporalDropGhosts && config.temporalGhostLeftAlpha > 0
        var responses: [[Float]?] = []
        let plain = images.map { img -> [TEMCurve] in
            let found = img.withUnsafeBufferPointer { detector.detect($0, width: w, height: h) }
            responses.append(keepResponses ? detector.lastResponse() : nil)
            return found
        }
        let c0 = TEMBenchmark.threadCPUSeconds()
        for i in 0..<frames { _ = images[played[i]].withUnsafeBufferPointer { detector.detect($0, width: w, height: h) } }
        let plainMs = 1000 * (TEMBenchmark.threadCPUSeconds() - c0) / Double(max(1, frames))
        // The mean kernel alone, frame i's window drawn in its coordinates.
        var out = [Float](repeating: 0, count: n), count = out
        func window(_ i: Int) -> [Int] { Array(TEMTemporalMean.window(of: i, size: k, available: distinct)) }
        let c1 = TEMBenchmark.threadCPUSeconds()
        for i in 0..<frames {
            let members = window(played[i])
            out.withUnsafeMutableBufferPointer { o in count.withUnsafeMutableBufferPointer { c in
                TEMTemporalWindow.withBuffers(members.map { images[$0] }) { b in
                    TEMTemporalMean.apply(frames: b, drifts: members.map { drifts[$0] }, target: drifts[played[i]],
                                          width: w, height: h, out: o, count: c)
                }
            } }
        }
        let meanMs = 1000 * (TEMBenchmark.threadCPUSeconds() - c1) / Double(max(1, frames))
        let first = window(0)
        out.withUnsafeMutableBufferPointer { o in count.withUnsafeMutableBufferPointer { c in
            TEMTemporalWindow.withBuffers(first.map { images[$0] }) { b in
                TEMTemporalMean.apply(frames: b, drifts: first.map { drifts[$0] }, target: drifts[0], width: w, height: h, out: o, count: c)
            }
        } }
        let reference = TEMTemporalMean.reference(frames: first.map { images[$0] }, drifts: first.map { drifts[$0] },
                                                  target: drifts[0], width: w, height: h)
        let range = Double((images[0].max() ?? 1) - (images[0].min() ?? 0))
        let error = zip(out, reference).map { Double(abs($0 - $1)) }.max() ?? 0
        // The mean frames' detection alone (the mean video, as the window's own detector reads it).
        let means = (0..<distinct).map { i -> [Float] in
            let members = window(i)
            var m = [Float](repeating: 0, count: n), c = m
            m.withUnsafeMutableBufferPointer { o in c.withUnsafeMutableBufferPointer { cb in
                TEMTemporalWindow.withBuffers(members.map { images[$0] }) { b in
                    TEMTemporalMean.apply(frames: b, drifts: members.map { drifts[$0] }, target: drifts[i], width: w, height: h, out: o, count: cb)
                }
            } }
            return m
        }
        var meanDetector = TEMDetector(config: plainConfig)
        for m in means { _ = meanDetector.detect(m, width: w, height: h) }
        let c2 = TEMBenchmark.threadCPUSeconds()
        for i in 0..<frames { _ = means[played[i]].withUnsafeBufferPointer { meanDetector.detect($0, width: w, height: h) } }
        let meanDetectMs = 1000 * (TEMBenchmark.threadCPUSeconds() - c2) / Double(max(1, frames))
        // The whole window: every frame pushed with its plain curves, its mean drawn, detected, merged.
        var temporal = TEMTemporalWindow(config: windowConfig)
        var added = 0, completed = 0
        func tally(_ done: [TEMTemporalWindow.Output]) {
            for o in done { added += o.curves.count - plain[played[o.index]].count; completed += 1 }
        }
        let c3 = TEMBenchmark.threadCPUSeconds()
        for i in 0..<frames {
            tally(images[played[i]].withUnsafeBufferPointer {
                temporal.push($0, width: w, height: h, drift: drifts[played[i]], curves: plain[played[i]],
                              response: responses[played[i]], plainPolarity: detector.polarityTest, gatePolarity: detector.gatePolarity)
            })
        }
        tally(temporal.finish())
        let windowMs = 1000 * (TEMBenchmark.threadCPUSeconds() - c3) / Double(max(1, frames))
        var speed = Speed(frames: frames, meanFrames: k, meanMs: meanMs, meanDetectMs: meanDetectMs, plainMs: plainMs,
                          windowMs: windowMs, meansRead: temporal.meansRead, relativeError: error / max(range, 1e-12),
                          addedPerFrame: Double(added) / Double(max(1, completed)))
        speed.longMeansRead = temporal.longMeansRead
        return speed
    }
}
