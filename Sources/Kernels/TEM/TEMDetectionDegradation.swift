#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a real detector does to the true centrelines, as a random model: to measure the tracker
/// apart from the detector's current recall (`TEMDegradedDrawsBenchmark`). Every rate is drawn
/// per video from a wide range (`draw`); the video's own nuisances (stage drift with jitter up to
/// 5 px/frame, dropped and repeated frames, glide in bursts and stops, close pairs, crossing slip
/// systems, dislocations entering and leaving) come from the randomised generator's truth.
public struct TEMDetectionDegradation: Codable, Sendable, Equatable {
    /// Chance that a line is cut into 2–3 pieces in a frame (crossings, weak contrast).
    public var pFragment: Double
    /// Length (px) lost between two pieces of a cut line.
    public var fragmentGap: ClosedRange<Double>
    /// Chance that a line is missed in a frame, and that a run of 2–8 missed frames starts
    /// (a line lost for a while behind a bend contour or merged with a neighbour).
    public var pMiss: Double
    public var pLostRun: Double
    /// Largest fraction of a line's length cut off at each end.
    public var trim: Double
    /// Positional error of a detected line, px (σ of a whole-curve offset; points get a third of it).
    public var jitter: Double
    /// Short false curves per frame (Poisson mean), and static false features fixed to the
    /// specimen (pieces of slip traces, dust), each seen in a frame with chance `pClutterSeen`.
    public var spuriousPerFrame: Double
    public var clutterFeatures: Int
    public var pClutterSeen: Double
    /// σ of the registration's error per frame, px.
    public var registrationError: Double

    /// Rates drawn from wide ranges (`seed` fixes them). False curves are as rare as the real
    /// detector's measured precision (0.98–0.999 on the presets and on videos made elsewhere)
    /// allows; fragments and misses as common as its recall (0.83–0.97) and the 16 % excess of
    /// curves seen on an independent video; the registration error as large as the drift
    /// estimator's (0.70 px median, 1.88 px at the 90th percentile over 50 randomised draws).
    public static func draw(seed: UInt64) -> TEMDetectionDegradation {
        var rng = SeededRandom(seed: seed).derived(901)
        let gapLow = rng.uniform(1...4)
        return TEMDetectionDegradation(
            pFragment: rng.uniform(0.02...0.4), fragmentGap: gapLow...(gapLow + rng.uniform(1...6)),
            pMiss: rng.uniform(0.0...0.1), pLostRun: rng.uniform(0...0.01), trim: rng.uniform(0...0.15),
            jitter: rng.uniform(0.1...1.0), spuriousPerFrame: rng.uniform(0...0.5), clutterFeatures: Int(rng.uniform(0...2.99)),
            pClutterSeen: rng.uniform(0.1...0.6), registrationError: rng.uniform(0.1...1.6))
    }

    /// The detections of every frame (image coordinates) and the registration's drift estimate
    /// per frame. A repeated frame (`stage.source[f] ≠ f`) shows its source's image, so it gets
    /// the source's detections and estimate.
    public func degrade(_ truth: [[TEMTruthDislocation]], stage: TEMStageMotion, width: Int, height: Int,
                        seed: UInt64) -> (curves: [[[TEMPoint]]], drift: [TEMPoint]) {
        var rng = SeededRandom(seed: seed).derived(902)
        let clutter = (0..<clutterFeatures).map { _ in randomSegment(width: width, height: height, length: 10...40, rng: &rng) }
        var lostUntil: [Int: Int] = [:]
        var curves: [[[TEMPoint]]] = [], drift: [TEMPoint] = []
        for f in truth.indices {
            if f < stage.source.count, stage.source[f] != f {
                curves.append(curves[stage.source[f]]); drift.append(drift[stage.source[f]])
                continue
            }
            let d = f < stage.drift.count ? stage.drift[f] : .zero
            var frame: [[TEMPoint]] = []
            for line in truth[f] {
                if let until = lostUntil[line.id], f <= until { continue }
                if rng.unit() < pLostRun { lostUntil[line.id] = f + Int(rng.uniform(1...7.99)); continue }
                if rng.unit() < pMiss { continue }
                frame += pieces(of: line.points, rng: &rng).map { jittered($0, rng: &rng) }
            }
            for c in clutter where rng.unit() < pClutterSeen { frame.append(jittered(c.map { $0 + d }, rng: &rng)) }
            for _ in 0..<rng.poisson(spuriousPerFrame) {
                frame.append(randomSegment(width: width, height: height, length: 6...30, rng: &rng))
            }
            // The detector's order is the image's, not the truth's.
            frame.shuffle(using: &rng)
            curves.append(frame)
            drift.append(d + registrationError * TEMPoint(rng.gaussian(), rng.gaussian()))
        }
        return (curves, drift)
    }

    /// The line trimmed at its ends and, with chance `pFragment`, cut into 2–3 pieces with a
    /// gap between them; pieces under 5 px are lost.
    func pieces(of line: [TEMPoint], rng: inout SeededRandom) -> [[TEMPoint]] {
        let dense = TEMPolyline.resample(line, spacing: 1)
        guard dense.count >= 6 else { return [dense] }
        let n = Double(dense.count - 1)
        let lo = rng.uniform(0...trim) * n, hi = n - rng.uniform(0...trim) * n
        var cuts: [(Double, Double)] = []
        if rng.unit() < pFragment {
            let k = rng.unit() < 0.6 ? 1 : 2
            let at = (0..<k).map { _ in rng.uniform(lo + 0.15 * (hi - lo)...hi - 0.15 * (hi - lo)) }.sorted()
            for a in at { let g = rng.uniform(fragmentGap) / 2; cuts.append((a - g, a + g)) }
        }
        var out: [[TEMPoint]] = []
        var start = lo
        for (a, b) in cuts + [(hi, hi)] {
            let i0 = Int(start.rounded(.up)), i1 = Int(a.rounded(.down))
            if i1 - i0 >= 5 { out.append(Array(dense[i0...i1])) }
            start = max(start, b)
        }
        return out
    }

    /// A whole-curve offset of σ `jitter` plus smooth per-point noise (the detector's fitted
    /// spline, not pixel noise).
    func jittered(_ curve: [TEMPoint], rng: inout SeededRandom) -> [TEMPoint] {
        let offset = jitter * TEMPoint(rng.gaussian(), rng.gaussian())
        let raw = curve.map { _ in (jitter / 3) * TEMPoint(rng.gaussian(), rng.gaussian()) }
        return curve.indices.map { i in
            let a = max(0, i - 2), b = min(curve.count - 1, i + 2)
            let smooth = raw[a...b].reduce(TEMPoint.zero, +) / Double(b - a + 1)
            return curve[i] + offset + smooth
        }
    }

    func randomSegment(width: Int, height: Int, length: ClosedRange<Double>, rng: inout SeededRandom) -> [TEMPoint] {
        let c = TEMPoint(rng.uniform(0...Double(width - 1)), rng.uniform(0...Double(height - 1)))
        let a = rng.uniform(0...Double.pi), l = rng.uniform(length)
        let u = TEMPoint(cos(a), sin(a)), bow = rng.uniform(-0.1...0.1) * l
        let n = Int(l.rounded()) + 1
        return (0..<n).map { i in
            let t = Double(i) / Double(n - 1) - 0.5
            return c + t * l * u + bow * (1 - 4 * t * t) * TEMPoint(-u.y, u.x)
        }
    }
}
