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
    /// Points per detected curve, equally spaced, as the detector reports them (`samples`);
    /// 0: 1 px apart. The tracker's cost grows with the square of the points per curve.
    public var points = 50
    /// The `video5` detector's way of cutting lines (`CurveCorners`: a traced path is cut where it
    /// turns by more than 40°): the chance that a line is cut at its bend in a frame (a
    /// two-state chain per line, so the cut persists over runs of frames as a bend does), the
    /// chance per frame that the state is drawn again, the turn of the hooked ends at the cut
    /// (degrees; beyond the fragment grouping's 25°, so the pieces stay apart as they do behind
    /// `video5`) and the shortest piece kept (px; the detector's `min_length` drops shorter
    /// pieces). 0 / 5: no corner cuts, pieces under 5 px lost (the model before).
    public var pCorner = 0.0
    public var cornerSwitch = 0.2
    public var cornerTurnDegrees: ClosedRange<Double> = 30...70
    public var minPieceLength = 5.0

    /// How a detector's cuts are modelled: `.basic` — cuts at random places with the line's own
    /// tangent (contrast fading, a crossing); `.video5` — as `.basic` plus the cuts of `video5`
    /// at a line's bend with hooked ends, and short pieces dropped.
    public enum Style: String, Codable, Sendable, CaseIterable { case basic, video5 }

    /// Rates drawn from wide ranges (`seed` fixes them). False curves are as rare as the real
    /// detector's measured precision (0.98–0.999 on the presets and on videos made elsewhere)
    /// allows; fragments and misses as common as its recall (0.83–0.97) and the 16 % excess of
    /// curves seen on an independent video; the registration error as large as the drift
    /// estimator's (0.70 px median, 1.88 px at the 90th percentile over 50 randomised draws).
    /// `.video5` draws the same basic rates (same seed, same values) and the corner model on top:
    /// a line cut at its bend in 10–60 % of frames, the state redrawn with chance 5–30 % per
    /// frame, hooks turned 30–70°, pieces under 20–40 px dropped.
    public static func draw(seed: UInt64, style: Style = .basic) -> TEMDetectionDegradation {
        var rng = SeededRandom(seed: seed).derived(901)
        let gapLow = rng.uniform(1...4)
        var d = TEMDetectionDegradation(
            pFragment: rng.uniform(0.02...0.4), fragmentGap: gapLow...(gapLow + rng.uniform(1...6)),
            pMiss: rng.uniform(0.0...0.1), pLostRun: rng.uniform(0...0.01), trim: rng.uniform(0...0.15),
            jitter: rng.uniform(0.1...1.0), spuriousPerFrame: rng.uniform(0...0.5), clutterFeatures: Int(rng.uniform(0...2.99)),
            pClutterSeen: rng.uniform(0.1...0.6), registrationError: rng.uniform(0.1...1.6))
        if style == .video5 {
            var c = SeededRandom(seed: seed).derived(903)
            d.pCorner = c.uniform(0.1...0.6)
            d.cornerSwitch = c.uniform(0.05...0.3)
            d.minPieceLength = c.uniform(20...40)
        }
        return d
    }

    /// The detections of every frame (image coordinates) and the registration's drift estimate
    /// per frame. A repeated frame (`stage.source[f] ≠ f`) shows its source's image, so it gets
    /// the source's detections and estimate.
    public func degrade(_ truth: [[TEMTruthDislocation]], stage: TEMStageMotion, width: Int, height: Int,
                        seed: UInt64) -> (curves: [[[TEMPoint]]], drift: [TEMPoint]) {
        var rng = SeededRandom(seed: seed).derived(902)
        let clutter = (0..<clutterFeatures).map { _ in randomSegment(width: width, height: height, length: 10...40, rng: &rng) }
        var lostUntil: [Int: Int] = [:]
        // The corner model draws from its own stream, so `.basic` draws are as before.
        var corner = SeededRandom(seed: seed).derived(905)
        var cut: [Int: Bool] = [:]
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
                var bend: (at: Double, turn: Double)?
                if pCorner > 0 {
                    if cut[line.id] == nil || corner.unit() < cornerSwitch { cut[line.id] = corner.unit() < pCorner }
                    if cut[line.id]! {
                        // Where the line bends and which way its ends hook are the line's own.
                        var own = SeededRandom(seed: seed).derived(10_000 + UInt64(line.id))
                        let at = own.uniform(0.25...0.75), sign = own.unit() < 0.5 ? -1.0 : 1.0
                        bend = (at, sign * corner.uniform(cornerTurnDegrees) * .pi / 180)
                    }
                }
                frame += pieces(of: line.points, bend: bend, rng: &rng).map { resampled(jittered($0, rng: &rng)) }
            }
            for c in clutter where rng.unit() < pClutterSeen { frame.append(resampled(jittered(c.map { $0 + d }, rng: &rng))) }
            for _ in 0..<rng.poisson(spuriousPerFrame) {
                frame.append(resampled(randomSegment(width: width, height: height, length: 6...30, rng: &rng)))
            }
            // The detector's order is the image's, not the truth's.
            frame.shuffle(using: &rng)
            curves.append(frame)
            drift.append(d + registrationError * TEMPoint(rng.gaussian(), rng.gaussian()))
        }
        return (curves, drift)
    }

    /// A curve as the detector reports it: `points` equally spaced points (0: as it is).
    func resampled(_ c: [TEMPoint]) -> [TEMPoint] {
        points > 1 && c.count > 1 ? TEMPolyline.resample(c, count: points) : c
    }

    /// The line trimmed at its ends and, with chance `pFragment`, cut into 2–3 pieces with a
    /// gap between them; with a `bend` (fraction along the line, hook angle), also cut there
    /// with each piece's end at the cut hooked by that angle over its last 4–8 px; pieces
    /// under `minPieceLength` px are lost.
    func pieces(of line: [TEMPoint], bend: (at: Double, turn: Double)? = nil, rng: inout SeededRandom) -> [[TEMPoint]] {
        let plain = plainPieces(of: line, rng: &rng)
        guard let bend else { return plain.filter { TEMPolyline.length($0.points) >= minPieceLength }.map(\.points) }
        let dense = TEMPolyline.resample(line, spacing: 1)
        let at = Int((bend.at * Double(dense.count - 1)).rounded())
        var out: [[TEMPoint]] = []
        for p in plain {
            guard at > p.range.lowerBound + 1, at < p.range.upperBound - 1 else { out.append(p.points); continue }
            let left = Array(dense[p.range.lowerBound...(at - 1)]), right = Array(dense[(at + 1)...p.range.upperBound])
            out.append(Self.hooked(left, atEnd: true, turn: bend.turn))
            out.append(Self.hooked(right, atEnd: false, turn: -bend.turn))
        }
        return out.filter { TEMPolyline.length($0) >= minPieceLength }
    }

    /// The curve's last (`atEnd`) or first 6 px turned by `turn` radians about the point where
    /// they begin: the hook a tracer draws where it runs off a line at a cut.
    static func hooked(_ c: [TEMPoint], atEnd: Bool, turn: Double) -> [TEMPoint] {
        let k = min(6, c.count - 1)
        guard k >= 2 else { return c }
        var out = c
        let pivot = atEnd ? c[c.count - 1 - k] : c[k]
        let cs = cos(turn), sn = sin(turn)
        for i in 0..<k {
            let j = atEnd ? c.count - 1 - i : i
            let d = c[j] - pivot
            out[j] = pivot + TEMPoint(cs * d.x - sn * d.y, sn * d.x + cs * d.y)
        }
        return out
    }

    /// The pieces of `pieces(of:bend:rng:)` before the corner and the length rule: points 1 px
    /// apart and their index range in the line resampled 1 px apart.
    func plainPieces(of line: [TEMPoint], rng: inout SeededRandom) -> [(points: [TEMPoint], range: ClosedRange<Int>)] {
        let dense = TEMPolyline.resample(line, spacing: 1)
        guard dense.count >= 6 else { return [(dense, 0...max(0, dense.count - 1))] }
        let n = Double(dense.count - 1)
        let lo = rng.uniform(0...trim) * n, hi = n - rng.uniform(0...trim) * n
        var cuts: [(Double, Double)] = []
        if rng.unit() < pFragment {
            let k = rng.unit() < 0.6 ? 1 : 2
            let at = (0..<k).map { _ in rng.uniform(lo + 0.15 * (hi - lo)...hi - 0.15 * (hi - lo)) }.sorted()
            for a in at { let g = rng.uniform(fragmentGap) / 2; cuts.append((a - g, a + g)) }
        }
        var out: [(points: [TEMPoint], range: ClosedRange<Int>)] = []
        var start = lo
        for (a, b) in cuts + [(hi, hi)] {
            let i0 = Int(start.rounded(.up)), i1 = Int(a.rounded(.down))
            if i1 - i0 >= 5 { out.append((Array(dense[i0...i1]), i0...i1)) }
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
