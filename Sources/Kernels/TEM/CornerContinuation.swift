#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells a junction from a bend at a corner of a traced path, by what the frame shows straight
/// on past the corner along each arm.
///
/// `CurveCorners` cuts a traced path where it turns sharply: where the tracer ran from one line
/// into another (a dislocation into a slip-band edge). A dislocation can also bend that sharply
/// (real frames, sample 1: 89 + 158 px), and the cut pieces are then not rejoined (their end
/// tangents differ by more than the join allows). Where two lines meet, at least one of them goes
/// on past the meeting point — the edge the tracer turned onto carries on the other way, a crossing
/// line carries on both ways — so its ridge lies along that arm's straight continuation. At a bend
/// neither arm goes on: both continuations run into background. The ridge along a continuation is
/// read as the piece joins read a gap (`TEMPieceJoinEvidence.alongZ`: ridges running along the
/// path only) over the samples `near`…`far` px past the corner, beyond the other arm's own
/// response, and compared with the frame's null of the same path statistic at random straight
/// paths (`TEMPieceJoinEvidence.Null`): no level is set by hand.
public enum CornerContinuation {
    /// One corner's evidence.
    public struct Measure: Sendable, Equatable {
        /// Index of the corner in the path.
        public var corner: Int
        /// Mean `alongZ` over the incoming arm's straight continuation past the corner and over
        /// the outgoing arm's continuation back past it, and their samples (0: off the frame).
        public var incoming = 0.0
        public var outgoing = 0.0
        public var incomingSamples = 0
        public var outgoingSamples = 0
        /// The null's level each continuation must reach (for its number of samples).
        public var incomingLevel = Double.infinity
        public var outgoingLevel = Double.infinity

        /// Either arm's ridge carries on past the corner: two lines meet there. A corner whose
        /// continuations both leave the frame at once (fewer than 2 samples each) counts as a
        /// junction, so it is cut as without the test.
        public var junction: Bool {
            if incomingSamples < 2 && outgoingSamples < 2 { return true }
            return (incomingSamples >= 2 && incoming >= incomingLevel) || (outgoingSamples >= 2 && outgoing >= outgoingLevel)
        }
    }

    /// First and last distance (px) past the corner read on each continuation: beyond the other
    /// arm's response (at a 40° turn the other arm lies ≥ 3.9 px beside the first sample, past
    /// the reach of the filter's scales, σ ≤ 2.2 px) and within a short line's length.
    public static let near = 6, far = 14

    /// The mean `alongZ` over the straight ray from `from` heading `u` (unit), samples `near`…`far`
    /// px along it, and how many samples lay on the frame. With `clearance` > 0 a sample closer
    /// than that to any point of `path` is passed over and the ray goes on until it has read as
    /// many samples (up to `far` + `far` − `near` + 1 px out): at a shallow bend the other arm
    /// lies only t·sin(turn) beside the ray (3.9 px at 6 px for 40°), within the filter's reach,
    /// so its flank would read as the ray's own line carrying on.
    static func continuation(from c: TEMPoint, heading u: TEMPoint, _ r: UnsafeBufferPointer<Float>, _ normal: UnsafeBufferPointer<Float>,
                             width: Int, height: Int, median: Float, sigma: Float,
                             path: [TEMPoint] = [], clearance: Double = 0) -> (mean: Double, samples: Int) {
        var sum = 0.0, n = 0
        let wanted = far - near + 1, c2 = clearance * clearance
        let last = clearance > 0 ? far + wanted : far
        for t in near...last where n < wanted {
            let q = c + Double(t) * u
            if clearance > 0 && path.contains(where: { (($0 - q) * ($0 - q)).sum() < c2 }) { continue }
            guard let v = TEMPieceJoinEvidence.alongZ(q, u, r, normal, width: width, height: height,
                                                      median: median, sigma: sigma) else { break }
            sum += v; n += 1
        }
        return (n > 0 ? sum / Double(n) : 0, n)
    }

    /// How each arm's continuation is read (`measure`).
    public struct Reading: Sendable, Equatable {
        /// The arm's line is the chord from the point `armOffset` samples from the corner to the
        /// point `span` samples beyond it, not from the corner itself: the tracer rounds a junction
        /// (its path cuts across the junction pixels, so the corner point lies ≈ 2 px inside it
        /// and a chord from it is tilted), and a ray cast along the tilted chord runs 3.5–5.4 px
        /// beside the line that carries on (docs/tem.md, tem-real23). The ray starts where the
        /// corner projects onto that line. 0: the chord from the corner (tem-real23's reading).
        public var armOffset = 0
        /// Rays also cast parallel to the arm's line, this many px to either side (1 px apart),
        /// and the best mean taken, tested at α split over the rays (Bonferroni): the chord of an
        /// integer pixel path is good to about 1 in `span`, i.e. ≈ 2 px at the far sample.
        public var across = 0
        /// Samples of a continuation closer than this (px) to the traced path itself are passed
        /// over (`continuation`): only what lies beyond the other arm's response is read. 0: off.
        public var clearance = 0.0
        public init(armOffset: Int = 0, across: Int = 0, clearance: Double = 0) {
            self.armOffset = armOffset
            self.across = across
            self.clearance = clearance
        }
    }

    /// The evidence at corner `c` of path `p` (points about 1 px apart): the arms' directions are
    /// the chords `span` points before and after the corner (as `CurveCorners.turns` reads them;
    /// with `reading.armOffset` the chords start that many points from the corner); each
    /// continuation is tested at α/2 (`alpha`: the chance that a bend is cut for its noise),
    /// i.e. its mean must stand Φ⁻¹(1 − α/2) of the null's spreads above the null's median for a
    /// path of as many samples (α/2 shared among the parallel rays with `reading.across`).
    public static func measure(_ p: [TEMPoint], corner c: Int, span: Int, alpha: Double, reading: Reading = Reading(),
                               response r: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>,
                               width: Int, height: Int, median: Float, sigma: Float,
                               null: TEMPieceJoinEvidence.Null) -> Measure {
        var m = Measure(corner: c)
        guard c > 0, c < p.count - 1 else { return m }
        let across = max(0, reading.across)
        let k = NanodiffStatistics.normalQuantile(1 - alpha / Double(2 * (2 * across + 1)))
        let s = max(sigma, 1e-12)
        /// The arm's best continuation: the ray along the chord from `far` to `near` (points of
        /// `p`), started where the corner projects onto that chord's line.
        func arm(near: Int, far: Int) -> (mean: Double, samples: Int)? {
            let d = p[near] - p[far], nd = TEMPolyline.norm(d)
            guard nd > 1e-9 else { return nil }
            let u = d / nd
            let origin = p[near] + ((p[c] - p[near]) * u).sum() * u
            let side = TEMPoint(-u.y, u.x)
            var best: (mean: Double, samples: Int)?
            for o in -across...across {
                let v = continuation(from: origin + Double(o) * side, heading: u, r, normal, width: width, height: height,
                                     median: median, sigma: s, path: p, clearance: reading.clearance)
                // A ray that leaves the frame sooner counts only when none reads more samples.
                if let b = best, b.samples > v.samples || (b.samples == v.samples && b.mean >= v.mean) { continue }
                best = v
            }
            return best
        }
        let off = max(0, reading.armOffset)
        // Each chord's near end: `off` points from the corner, or the corner when the arm is too short.
        let inNear = c - off - span >= 0 ? c - off : c, outNear = c + off + span <= p.count - 1 ? c + off : c
        if let v = arm(near: inNear, far: max(0, inNear - span)) {
            m.incoming = v.mean; m.incomingSamples = v.samples
            m.incomingLevel = null.level(samples: v.samples, k: k)
        }
        if let v = arm(near: outNear, far: min(p.count - 1, outNear + span)) {
            m.outgoing = v.mean; m.outgoingSamples = v.samples
            m.outgoingLevel = null.level(samples: v.samples, k: k)
        }
        return m
    }

    /// Corners `split` cuts whatever their continuations read: shapes a bent dislocation does
    /// not take, so the continuation test is not asked. Each off at 0.
    public struct Always: Sendable, Equatable {
        /// A corner turning by more than this (degrees, `CurveCorners.turns`) is cut: a
        /// dislocation does not fold back on itself within a few px. A tracer that turns back has
        /// run around the end of a double line onto its other edge (draw 217: the two edges read
        /// as one hairpin loop, since past the turn neither arm carries on), or around a band's end.
        /// 0: off.
        public var maxTurnDegrees = 0.0
        /// An arm is straight when the RMS distance of its points to their own line is at most
        /// `straightRMS` (px) — the slip-trace rule's reading of a whole curve
        /// (`TEMDetectorConfig.traceMaxRMS`) — and it is at least `straightMinLength` px long.
        public var straightRMS = 1.5
        public var straightMinLength = 0.0
        /// A corner both of whose arms are straight is cut: two straight traces meeting (a slip
        /// band's outline turning its corner), where a bowed dislocation bending has a bowed arm.
        public var bothStraight = false
        /// A corner with a straight arm, at least 40 px long, that covers this fraction of its
        /// line's chord through the frame or more is cut: a line meeting a slip trace that crosses
        /// the field, which the slip-trace rule drops once the two are apart
        /// (`TEMDetectorConfig.traceFieldFraction`); kept whole, the tracer's run on along the
        /// trace stays with the line (draws 208, 233: the trace too faint past the corner to read
        /// as carrying on). 0: off.
        public var acrossFraction = 0.0
        public init(maxTurnDegrees: Double = 0, straightRMS: Double = 1.5, straightMinLength: Double = 0,
                    bothStraight: Bool = false, acrossFraction: Double = 0) {
            self.maxTurnDegrees = maxTurnDegrees
            self.straightRMS = straightRMS
            self.straightMinLength = straightMinLength
            self.bothStraight = bothStraight
            self.acrossFraction = acrossFraction
        }
    }

    /// `CurveCorners.split` keeping every corner that is a bend by `measure`: `p` is cut only at
    /// the corners where an arm's ridge carries on. With `minArm` > 0 a bend is kept whole only
    /// when both its arms — the parts of `p` between it and the neighbouring corners (or the
    /// ends) — are at least `minArm` px long, i.e. lines in their own right: a texture scribble's
    /// corners read as bends too (neither arm carries on), and kept whole it would come back
    /// as a curve where its pieces were too short to keep. The corners `always` names are cut
    /// without the test. `null` is asked for the frame's null only when the path has a corner.
    public static func split(_ p: [TEMPoint], span: Int, maxTurnDegrees: Double, alpha: Double,
                             reading: Reading = Reading(), minArm: Double = 0, always: Always = Always(),
                             response r: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>,
                             width: Int, height: Int, median: Float, sigma: Float,
                             null: () -> TEMPieceJoinEvidence.Null) -> [[TEMPoint]] {
        let corners = CurveCorners.corners(p, span: span, maxTurnDegrees: maxTurnDegrees)
        guard !corners.isEmpty else { return [p] }
        let n = null()
        let bounds = [0] + corners + [p.count - 1]
        let turns = always.maxTurnDegrees > 0 ? CurveCorners.turns(p, span: span) : []
        var cuts: [Int] = []
        for (i, c) in corners.enumerated() {
            // bounds[i] … c and c … bounds[i + 2]: the arms either side of corner i.
            let before = Array(p[bounds[i]...c]), after = Array(p[c...bounds[i + 2]])
            if minArm > 0 && (TEMPolyline.length(before) < minArm || TEMPolyline.length(after) < minArm) { cuts.append(c); continue }
            if always.maxTurnDegrees > 0 && turns[c] > always.maxTurnDegrees * Double.pi / 180 { cuts.append(c); continue }
            if always.bothStraight || always.acrossFraction > 0 {
                let straight = [before, after].map {
                    TEMPolyline.length($0) >= always.straightMinLength
                        && TEMDetector.lineRMS(TEMPolyline.resample($0, spacing: 1)) <= always.straightRMS
                }
                if always.bothStraight && straight[0] && straight[1] { cuts.append(c); continue }
                if always.acrossFraction > 0 && zip([before, after], straight).contains(where: { arm, isStraight in
                    guard isStraight, let a = arm.first, let b = arm.last, TEMPolyline.norm(b - a) > 1e-9 else { return false }
                    let len = TEMPolyline.length(arm)
                    let chord = TEMDetector.frameChord(through: a, along: (b - a) / TEMPolyline.norm(b - a), width: width, height: height)
                    return len >= 40 && len >= always.acrossFraction * chord
                }) {
                    cuts.append(c); continue
                }
            }
            if measure(p, corner: c, span: span, alpha: alpha, reading: reading, response: r, normal: normal,
                       width: width, height: height, median: median, sigma: sigma, null: n).junction {
                cuts.append(c)
            }
        }
        return CurveCorners.pieces(p, at: cuts)
    }
}
