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
    /// px along it, and how many samples lay on the frame.
    static func continuation(from c: TEMPoint, heading u: TEMPoint, _ r: UnsafeBufferPointer<Float>, _ normal: UnsafeBufferPointer<Float>,
                             width: Int, height: Int, median: Float, sigma: Float) -> (mean: Double, samples: Int) {
        var sum = 0.0, n = 0
        for t in near...far {
            guard let v = TEMPieceJoinEvidence.alongZ(c + Double(t) * u, u, r, normal, width: width, height: height,
                                                      median: median, sigma: sigma) else { break }
            sum += v; n += 1
        }
        return (n > 0 ? sum / Double(n) : 0, n)
    }

    /// The evidence at corner `c` of path `p` (points about 1 px apart): the arms' directions are
    /// the chords `span` points before and after the corner (as `CurveCorners.turns` reads them);
    /// each continuation is tested at α/2 (`alpha`: the chance that a bend is cut for its noise),
    /// i.e. its mean must stand Φ⁻¹(1 − α/2) of the null's spreads above the null's median for a
    /// path of as many samples.
    public static func measure(_ p: [TEMPoint], corner c: Int, span: Int, alpha: Double,
                               response r: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>,
                               width: Int, height: Int, median: Float, sigma: Float,
                               null: TEMPieceJoinEvidence.Null) -> Measure {
        var m = Measure(corner: c)
        guard c > 0, c < p.count - 1 else { return m }
        let k = NanodiffStatistics.normalQuantile(1 - alpha / 2)
        let s = max(sigma, 1e-12)
        let a = p[c] - p[max(0, c - span)], b = p[c] - p[min(p.count - 1, c + span)]
        let na = TEMPolyline.norm(a), nb = TEMPolyline.norm(b)
        if na > 1e-9 {
            let v = continuation(from: p[c], heading: a / na, r, normal, width: width, height: height, median: median, sigma: s)
            m.incoming = v.mean; m.incomingSamples = v.samples
            m.incomingLevel = null.level(samples: v.samples, k: k)
        }
        if nb > 1e-9 {
            let v = continuation(from: p[c], heading: b / nb, r, normal, width: width, height: height, median: median, sigma: s)
            m.outgoing = v.mean; m.outgoingSamples = v.samples
            m.outgoingLevel = null.level(samples: v.samples, k: k)
        }
        return m
    }

    /// `CurveCorners.split` keeping every corner that is a bend by `measure`: `p` is cut only at
    /// the corners where an arm's ridge carries on. `null` is asked for the frame's null only
    /// when the path has a corner.
    public static func split(_ p: [TEMPoint], span: Int, maxTurnDegrees: Double, alpha: Double,
                             response r: UnsafeBufferPointer<Float>, normal: UnsafeBufferPointer<Float>,
                             width: Int, height: Int, median: Float, sigma: Float,
                             null: () -> TEMPieceJoinEvidence.Null) -> [[TEMPoint]] {
        let corners = CurveCorners.corners(p, span: span, maxTurnDegrees: maxTurnDegrees)
        guard !corners.isEmpty else { return [p] }
        let n = null()
        let cuts = corners.filter {
            measure(p, corner: $0, span: span, alpha: alpha, response: r, normal: normal, width: width, height: height,
                    median: median, sigma: sigma, null: n).junction
        }
        return CurveCorners.pieces(p, at: cuts)
    }
}
