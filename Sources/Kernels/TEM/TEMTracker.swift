#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dislocation followed over frames.
public struct TEMTrack: Codable, Sendable, Equatable {
    public var id: Int
    /// Frames the track was seen in (increasing) and the index of its curve in each.
    public var frames: [Int]
    public var curveIndices: [Int]
    /// Centroid of the curve per frame, `[x, y]` px.
    public var centroids: [TEMPoint]
    /// Centroid velocity per frame, px/frame (central differences; one-sided at the ends).
    public var velocities: [TEMPoint]
    /// Distance to the nearest roughly parallel curve in the same frame (the pile-up neighbour),
    /// px, or nil when there is none.
    public var neighbourDistances: [Double?]
    /// True when the track ended because its line was taken over by a concurrent track that
    /// holds the same line (`TEMTrackerConfig.absorbPieces`, `TEMPieceAbsorption`): not a
    /// departure, so gap closing leaves the end alone (`absorbedEndsStayEnds`). nil: an
    /// ordinary end.
    public var endAbsorbed: Bool? = nil
    public var firstFrame: Int { frames.first ?? 0 }
    public var lastFrame: Int { frames.last ?? 0 }
}

/// Settings of the tracker.
public struct TEMTrackerConfig: Codable, Sendable, Equatable {
    /// Largest curve-to-curve distance (px) for a link to the next frame.
    public var gate = 6.0
    /// The gate grows by this much (px) per frame a track went unseen: a dislocation glides up
    /// to a few px per frame, so one lost for k frames may be k steps further on.
    public var gatePerMissedFrame = 0.0
    /// Added to a link's cost per frame the track went unseen (a track seen just before wins ties).
    public var missedFrameCost = 0.0
    /// Frames a track may go unseen before it ends.
    public var maxGap = 3
    /// After the frame-by-frame pass, the re-identification: a track that ended is joined to one
    /// that starts at most this many frames later (a dislocation lost for a while — merged with
    /// a neighbour or a crossing line by the detector, say — keeps its identity). The two must
    /// be the same shape moved along the glide direction (see `CurveMatching.glide`), no further
    /// than `stitchGlideBase + stitchGlidePerFrame · gap`; the joins are a global assignment.
    /// 0 turns re-identification off.
    public var stitchFrames = 100_000
    /// Largest shape difference (mean residual after the glide shift, px) for a join.
    public var stitchMaxResidual = 1.5
    /// A later track may start up to this many frames before the earlier one ends (the detector
    /// split the line for a few frames and the frame-by-frame pass followed the wrong piece);
    /// the earlier track's frames from the later one's start on are dropped.
    public var stitchOverlap = 10
    public var stitchGlideBase = 6.0
    public var stitchGlidePerFrame = 2.5
    /// Cost per px of glide shift (breaks ties between identical shapes, e.g. a close pair).
    public var stitchShiftCost = 0.05
    /// Whether joins compare where tracks end and start under two motion models (standing still,
    /// or going on at the end's velocity), the position error scaled by the gate (see
    /// `TEMTrackletLinker`); false: representative curves only, as before tracklet linking.
    public var stitchMotionModel = true
    /// A matched curve shorter than this fraction of the track's reference curve, or longer than
    /// its inverse (merged with a neighbour), does not replace it (for up to `maxGap` frames in a
    /// row): a merged reference would hand the track over to the neighbour in the next frame.
    public var keepReferenceBelow = 0.8
    /// Tracks seen in fewer frames than this are dropped as noise (flickering false detections);
    /// never more than the video's frame count.
    public var minTrackFrames = 5
    /// Curves whose chords differ by less than this angle count as pile-up neighbours.
    public var neighbourMaxAngleDegrees = 25.0
    /// Whether pieces of one line in a frame are joined into one observation before linking
    /// (`TEMFragmentGrouping`); every piece then carries the track's id.
    public var joinFragments = true
    /// Whether a frame link also tries the track's glide velocity (the curve moved on along its
    /// glide direction at the rate it went recently) besides standing still, the closer counting:
    /// glide comes in bursts and stops, so neither model alone is right.
    public var glideVelocity = true
    /// Whether each frame's link first estimates the motion all matched lines share (a residual
    /// stage-registration error, or a pile-up gliding as one) by a robust least-squares fit of
    /// the lines' normal displacements, and links again with it removed: two lines 3–6 px apart
    /// then keep their order when the frame as a whole jumps by more than their spacing.
    /// Off by default until measured on the degraded-truth draws (docs/tem.md).
    public var commonMotion = false
    /// Whether tracks whose curves meet end to end at a corner in most frames they share (the
    /// pieces `video5` cuts a bent line into) are joined into one line and the frames tracked
    /// again (`TEMCornerPieces`), unless their ends slide past each other (`cornerSlideTest`).
    /// Off by default: it wins the degraded-truth draws and the whole-pipeline draws of seeds
    /// 1–50, ties seeds 101–150, but loses IDF1 on the 10,000-frame medium job of seed 1
    /// (0.854 → 0.840, docs/tem.md). With the slide test, crossing lines whose ends pass each
    /// other stay apart (`TEMTrackletLinkingTests.testCrossingSlipSystemsKeepTheirIdentities`
    /// passes with it on).
    public var joinCornerPieces = false
    /// With `joinCornerPieces`: whether a pair whose ends slide past each other over the frames
    /// they share (two lines passing, `TEMCornerSlide`) is refused; false: the join of 4 December
    /// (meeting frames counted only), for before/after measurements.
    public var cornerSlideTest = true
    /// Whether gap closing (`TEMTrackletLinker`, after the piece-boundary continuations) costs
    /// every join on one scale — the negative log-likelihood ratio of `TEMGapLikelihood`, its
    /// scales measured on the tracklets being linked — instead of the three scales of the
    /// default (gate-scaled curve distance for short gaps, shape residual + deviation / reach
    /// for long ones, a fixed no-join cost). Off by default until measured (docs/tem.md).
    public var gapLikelihood = false
    /// Whether a piece of a line that a concurrent track holds in the same frame — half or more
    /// of it within the track's reference curve, end to end with the track's own piece, at the
    /// same glide shift within the pieces' own scatter, the two together no longer than the
    /// track's line has recently been (`absorbLengthTest`; `TEMPieceAbsorption`) — is joined to
    /// that track's piece instead of starting (or continuing) a track of its own; a track whose
    /// piece is taken so ends there, its end marked absorbed (`TEMTrack.endAbsorbed`). Works on
    /// the grouped observations (`joinFragments`). On by default with `absorbedEndsStayEnds`
    /// (tem-track10): IDF1 of the 10,000-frame medium videos seed 1 0.856 → 0.873, seed 2 0.890 →
    /// 0.922; whole-pipeline draws median medium 0.834 → 0.845 and 0.813 → 0.825, hard 0.756 →
    /// 0.790 and 0.777 → 0.815, p10 not lower (docs/tem.md).
    public var absorbPieces = true
    /// Whether a track end marked absorbed — its line goes on in a concurrent track — is left an
    /// end by gap closing (`TEMTrackletLinker`) instead of being joined to a later start. Without
    /// `absorbPieces` an end is marked when the track's last piece lay along a concurrent track's
    /// line. On by default (with `absorbPieces`).
    public var absorbedEndsStayEnds = true
    /// With `absorbPieces`: a piece is absorbed only when it and the track's own piece together
    /// span no more than the track's line has recently been long (median of its last 25 lengths
    /// plus the 1 % point of their own scatter, `TEMPieceAbsorption.longest`): a piece of another
    /// pile-up's line lying end to end within a reference drawn over both lines is not the
    /// track's line. false: absorption as tem-track9 built it.
    public var absorbLengthTest = true
    /// Whether, after gap closing, linked tracks that hold one line by turns — never seen in the
    /// same frame, and wherever they meet within `maxGap + 1` frames at the same glide position
    /// within their own scatter (`TEMAlternatingTracks`) — are joined into one track. Off until
    /// measured (docs/tem.md).
    public var joinAlternating = false
    /// Whether, inside the frame tracker (after its re-identification, while every frame is at
    /// hand), tracks that take turns on one line — never side by side in a frame, and at their
    /// consecutive sightings a frame or a few apart at the same glide position within the
    /// scatter of their own frame-to-frame steps (`TEMAlternatingTracks.joinTurns`) — are joined
    /// into one track. On by default (tem-track12): IDF1 of the 10,000-frame medium videos seed 1
    /// 0.873 → 0.908, seed 2 0.922 → 0.993; whole-pipeline draws median / p10 (with its one-frame
    /// leftovers) medium 0.845 / 0.325 → 0.871 / 0.332 and 0.825 / 0.169 → 0.823 / 0.169, hard
    /// 0.790 / 0.460 → 0.802 / 0.483 and 0.815 / 0.371 → 0.823 / 0.414; with the leftovers folded
    /// (`joinTurnsFoldsPieces`) medium 0.899 / 0.332 on 1–50 (docs/tem.md).
    public var joinTurns = true
    /// With `joinTurns`: where a joined track was seen twice in a frame (a cut line's two pieces,
    /// each kept by one of the tracks), the curve the joined track does not keep joins the kept
    /// curve's observation as a second piece of its line — the way absorbed pieces are kept
    /// (`absorbPieces`) — instead of starting a one-frame track of its own, which inside a
    /// job's piece (`minTrackFrames` 1) is a tracklet gap closing may link to another line.
    /// Works on grouped observations (`joinFragments`); without them a leftover stays a
    /// one-frame track. On by default (tem-track14): whole-pipeline draws IDF1 median medium
    /// 0.871 → 0.899 (1–50) and 0.823 → 0.823 (101–150), hard 0.802 → 0.813 and 0.823 → 0.827,
    /// no range down; 10,000-frame seed 1 0.908 either way, 35 → 26 tracks (docs/tem.md).
    public var joinTurnsFoldsPieces = true
    /// With `joinTurns`: tracks that hold two pieces of one line at once are joined too — in the
    /// frames both are seen their curves lie end to end within one line's length (not side by
    /// side beyond the 1 % level), and from one such frame to the next both pieces glide by the
    /// same shift within z · √(2 v Δt), v measured on their own steps as `joinTurns` does, with
    /// at least one step where they moved beyond the detector's positional noise (standing lines
    /// give no evidence) and no more disagreeing steps than the 1 % level lets through. The
    /// second piece is folded into the kept observation (`joinTurnsFoldsPieces`). Off: see
    /// docs/tem.md for the paired draws.
    public var joinConcurrentPieces = false
    /// With `joinTurns`: tracks that hold two pieces of one line at once are joined when, in the
    /// frames both are seen, one piece continues the other on its extension — a gap shorter than
    /// either piece, the ends facing, each end's tangent meeting the other end and the tangents
    /// agreeing within the tracks' own measured tangent scatter (`TEMCollinearPieces`) — in more
    /// frames than chance gives at the 1 % level (the chance rate: how often the piece of video's
    /// other track pairs pass, never below 1 %); frames end to end off the extension count as
    /// two lines as before. Motion only vetoes (pieces gliding apart beyond z · √(2 v Δt) at the
    /// 1 % level are two lines). The second piece is folded into the kept observation
    /// (`joinTurnsFoldsPieces`). On by default with `collinearSeenWhole` (tem-track18); alone
    /// it folds two lines of two pile-ups facing each other across the band gap (hard median
    /// 0.813 → 0.798 and 0.827 → 0.818; docs/tem.md).
    public var joinCollinearPieces = true
    /// With `joinCollinearPieces`: a joined pair's frames where the test fails count as two lines
    /// also where the two pieces together span no more than one line (`joinTurns` reads those
    /// as one line cut; a pair joined by its geometry must show it wherever both are seen).
    /// Off: hard median 0.813 → 0.809 and 0.827 → 0.826, more draws lost (docs/tem.md).
    public var collinearEveryFrame = false
    /// With `joinCollinearPieces`: a pair whose pieces continue each other is joined only when the
    /// line was seen whole — in the frames one track is seen without the other, its curve spans
    /// the other's piece beyond the 1 % chance level (`TEMCutEvidence.seenWhole`); two lines end
    /// to end on one trace (two bands' pile-ups) are not. With `collinearEndsWander` too, either
    /// evidence joins. On by default (tem-track18): whole-pipeline draws IDF1 median / p10
    /// against no collinear join medium 0.899 / 0.332 → 0.905 / 0.332 (1–50) and 0.823 / 0.169
    /// → 0.826 / 0.169 (101–150), hard 0.813 / 0.483 and 0.827 / 0.428 unchanged (won 2 / lost
    /// 1 and 3 / 0), the 10,000-frame videos unchanged (docs/tem.md).
    public var collinearSeenWhole = true
    /// With `joinCollinearPieces`: a pair whose pieces continue each other is joined only when
    /// their facing ends wander — from one such frame to the next each piece's facing end moves
    /// along its chord more than its far end, beyond a fair coin at the 1 % level
    /// (`TEMCutEvidence.endsWander`): a cut's ends lie where the contrast faded, two lines' facing
    /// ends are line ends. With `collinearSeenWhole` too, either evidence joins. Off: on the
    /// 50-draw ranges it joins almost nothing (the sign test needs most end steps one way; the
    /// detector's cut ends do not wander that much more than line ends), docs/tem.md.
    public var collinearEndsWander = false
    /// With `joinCollinearPieces`: the piece linker (`TEMPiecewiseTracking.assignTracks`) joins a
    /// line cut in every frame of a job's piece — two tracklets whose pieces continue each other
    /// but were never seen whole there, so `collinearSeenWhole` kept them apart — when the
    /// tracklet one of them links to across the piece boundary was seen whole over both pieces
    /// (`TEMCutAcrossPieces`: the seen-whole binomial pooled over the neighbouring piece's first
    /// or last frames). Tracklet summaries then carry their end frames' curves. Off: it ties or
    /// wins five ranges by one draw (medium 117 +0.030, hard 26 +0.009, 146 +0.040) and the
    /// 10,000-frame videos are unchanged, but on hard 201–250 it folds two lines (two-line frames
    /// 182 → 237, draws 232 and 236 −0.025; docs/tem.md, tem-track20).
    public var collinearAcrossPieces = false
    /// With `collinearAcrossPieces`: the join also needs the neighbouring piece's own frames
    /// alone to read the line whole beyond chance at 1 % (`TEMCutAcrossPieces.Evidence`): pooled
    /// with the cut piece's end frames, one next-piece curve bridging two lines end to end was
    /// enough (hard 201–250 draws 232, 236; docs/tem.md, tem-track20). Off: see docs/tem.md
    /// (tem-track23).
    public var collinearAcrossNextView = false
    /// With `collinearSeenWhole`: the seen-whole test reads a piece against the whole line with
    /// `CurveMatching.glide`'s 25° chord-angle gate widened by the line's own bow (the larger
    /// angle between its chord and its end tangents, `TEMCutEvidence.bow`): a piece near the end
    /// of a bowed line runs along the end tangent, so a bowed line was never read whole (medium
    /// draw 12: 31–49° off the chord). Off: medium IDF1 p10 0.332 → 0.366 (1–50) and 0.346 →
    /// 0.370 (201–250), no medium draw lost, but on hard two-line folds 98 → 130 (1–50) and
    /// 182 → 205 (201–250), draws lost on all three hard ranges (146 −0.021): the widened gate
    /// also reads another pile-up's line lying along the end tangent (docs/tem.md, tem-track20).
    public var collinearSeenWholeBowed = false
    /// With `collinearSeenWhole` (over `collinearSeenWholeBowed`): the seen-whole test reads a
    /// piece along the whole line's own arc (`TEMArcFit`: every point within the detector's
    /// noise of the glide-shifted line, beyond the 1 % rate refused; the piece's chord within
    /// 25° of the line's chord over the same stretch), not by comparing chords: a bowed line's
    /// end pieces are read, a straight line along its end tangent is not. On by default with
    /// `collinearArcScatter` (fifteenth session). Alone (the detector's 0.5 px floor as the
    /// tolerance): medium 1–50 p10 0.332 → 0.366 and no added two-line folds on hard (98 → 98,
    /// 182 → 170), but hard 201–250 loses draws 240, 223, 205 (p10 0.251 → 0.240; docs/tem.md,
    /// tem-track21).
    public var collinearSeenWholeLocal = true
    /// With `collinearSeenWholeLocal`: the off-arc tolerance is measured on the whole line's own
    /// frame-to-frame scatter (`TEMArcFit.scatterTolerance`: the same track's curves in the
    /// frames before and after, read along the line; z × their robust residual scale, never
    /// below the detector's 0.5 px floor), so a faint line's real piece is not refused for
    /// wandering more than the floor (hard draws 240, 223: the arc test stopped joining a
    /// line's two pieces). On by default with `collinearSeenWholeLocal` (fifteenth session): on
    /// six ranges the IDF1 median ties and the p10 ties or wins (medium 1–50 0.332 → 0.366,
    /// 201–250 0.346 → 0.370, hard 101–150 0.428 → 0.438), 19 draws won, 3 lost (hard 146
    /// −0.021); identity switches fall on every range (docs/tem.md, tem-track22).
    public var collinearArcScatter = true
    /// At a piece boundary of the hierarchical merge: a tracklet holding its line in two pieces
    /// within the tracker's reach of the boundary continues *both* tracklets that hold those
    /// pieces on the other side — each piece's tracklet within the frame link's gate of its own
    /// piece, the two never seen in one frame of their piece — not only the one whose curve its
    /// first (last) frame shows (`TEMBoundaryPieces`; summaries then carry those frames'
    /// pieces). Off: see
    /// docs/tem.md (tem-track23: hard draw 146, a bent line joined whole in one piece changed
    /// track at the boundary).
    public var boundaryPieces = false
    /// Whether a line imaged as two edges (a double image) is one observation: within a piece
    /// of frames that shows doubling — two lines in one frame each seen as two curves side by
    /// side at one separation — every pair of curves side by side at that separation within
    /// their own deviations is one line's two edges (`TEMDoubleLines`); a close pair alone is
    /// one such pair and stays two lines. Off: it loses every range measured — a double line's
    /// pieces change edge and are rarely twins, and two close pairs (the generator's are one
    /// shape gliding together) at similar separations read as doubling (hard 201–250: 15 draws
    /// lost, two-line folds 176 → 1,121; docs/tem.md, tem-track24).
    public var doubleLines = false
    /// Whether a line imaged as two edges is one observation when its pieces change order across
    /// it: within a piece of frames, two tracks side by side whose offset across the line has no
    /// definite sign, changes sign, and is not clustered into fewer runs than a random order at
    /// 1 % (`TEMLineOrder.swaps`) are one line's pieces, and the piece is linked again with their
    /// observations made one in each frame. A close pair keeps its order (two dislocations on one
    /// glide plane do not pass through each other). On since the twentieth session, with the two
    /// refinements below (alone, tem-track25's rule folded more pairs of two lines; with them it
    /// ties or wins every median and p10 of five 50-draw ranges; docs/tem.md, tem-track25/26).
    public var doubleLineOrder = true
    /// With `doubleLineOrder`: a pair is read only when its signs could be refused by the runs
    /// test at all — the fewest runs its counts allow (two: P(R ≤ 2) = 2 / C(n₁ + n₂, n₁), the
    /// exact Wald–Wolfowitz distribution) below the 1 % level, e.g. 5 frames on each side, 4
    /// and 6, or 3 and 9 (`TEMLineOrder.refusable`). A pair too short for that cannot be told
    /// from the tracker exchanging two lines and is left alone: with 2 frames every order passed
    /// (medium draw 205, a pair across lines 1 and 2; docs/tem.md, tem-track25). On by default.
    public var doubleLineOrderRefusable = true
    /// With `doubleLineOrder`: a pair's observations are made one only in the frames where the
    /// two are side by side (chained within a frame, `TEMLineOrder.fold(byFrame:)`), not in
    /// every frame of the tracks chained through the pairs: a track that was on another line in
    /// other frames no longer takes that line with it (draw 205: two lines folded for a whole
    /// piece; docs/tem.md, tem-track25). On by default.
    public var doubleLineOrderByFrame = true
    public init() {}
    /// Decodes any subset of the fields (the rest keep their defaults), so `--tracker-json`
    /// written before a field existed still reads.
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ into: inout T) throws { if let v = try c.decodeIfPresent(T.self, forKey: key) { into = v } }
        try read(.gate, &gate); try read(.gatePerMissedFrame, &gatePerMissedFrame); try read(.missedFrameCost, &missedFrameCost)
        try read(.maxGap, &maxGap); try read(.stitchFrames, &stitchFrames); try read(.stitchMaxResidual, &stitchMaxResidual)
        try read(.stitchOverlap, &stitchOverlap); try read(.stitchGlideBase, &stitchGlideBase)
        try read(.stitchGlidePerFrame, &stitchGlidePerFrame); try read(.stitchShiftCost, &stitchShiftCost)
        try read(.stitchMotionModel, &stitchMotionModel); try read(.keepReferenceBelow, &keepReferenceBelow)
        try read(.minTrackFrames, &minTrackFrames); try read(.neighbourMaxAngleDegrees, &neighbourMaxAngleDegrees)
        try read(.joinFragments, &joinFragments); try read(.glideVelocity, &glideVelocity); try read(.commonMotion, &commonMotion)
        try read(.joinCornerPieces, &joinCornerPieces); try read(.cornerSlideTest, &cornerSlideTest)
        try read(.gapLikelihood, &gapLikelihood)
        try read(.absorbPieces, &absorbPieces); try read(.absorbedEndsStayEnds, &absorbedEndsStayEnds)
        try read(.absorbLengthTest, &absorbLengthTest); try read(.joinAlternating, &joinAlternating)
        try read(.joinTurns, &joinTurns); try read(.joinTurnsFoldsPieces, &joinTurnsFoldsPieces)
        try read(.joinConcurrentPieces, &joinConcurrentPieces); try read(.joinCollinearPieces, &joinCollinearPieces)
        try read(.collinearEveryFrame, &collinearEveryFrame)
        try read(.collinearSeenWhole, &collinearSeenWhole); try read(.collinearEndsWander, &collinearEndsWander)
        try read(.collinearAcrossPieces, &collinearAcrossPieces); try read(.collinearSeenWholeBowed, &collinearSeenWholeBowed)
        try read(.collinearSeenWholeLocal, &collinearSeenWholeLocal); try read(.collinearArcScatter, &collinearArcScatter)
        try read(.boundaryPieces, &boundaryPieces); try read(.collinearAcrossNextView, &collinearAcrossNextView)
        try read(.doubleLines, &doubleLines); try read(.doubleLineOrder, &doubleLineOrder)
        try read(.doubleLineOrderRefusable, &doubleLineOrderRefusable); try read(.doubleLineOrderByFrame, &doubleLineOrderByFrame)
    }
}

/// Links per-frame curves into tracks (the merge step): frame by frame, a Hungarian assignment
/// between the live tracks' last curves and the new curves, gated (the gate growing with the
/// frames a track went unseen), with gaps of up to `maxGap` frames. Jerky glide makes velocity a
/// poor predictor, so the last seen curve is the prediction. Then re-identification joins
/// track pieces over any gap by shape and glide (`stitch`).
public enum TEMTracker {
    /// `curves[f]` are the curves of frame f (points of each).
    public static func track(_ curves: [[[TEMPoint]]], config: TEMTrackerConfig = TEMTrackerConfig()) -> [TEMTrack] {
        guard config.joinFragments else { return trackObservations(curves, config: config) }
        var observations = TEMFragmentGrouping.observations(curves)
        if config.doubleLines { observations = TEMDoubleLines.fold(observations, gate: config.gate) }
        var (joined, tracks) = trackJoiningCorners(observations, config: config)
        if config.doubleLineOrder, let folded = TEMLineOrder.fold(joined, tracks: tracks, config: config) {
            (joined, tracks) = trackJoiningCorners(folded, config: config)
        }
        return tracks.map { expand($0, joined) }
    }

    /// `trackObservations`, and with `joinCornerPieces` a second pass over the observations with
    /// the corner pieces of the first pass's tracks joined (`TEMCornerPieces`). Returns the
    /// observations tracked and the tracks over them.
    public static func trackJoiningCorners(_ observations: [TEMFragmentGrouping.Observations], config: TEMTrackerConfig)
        -> (observations: [TEMFragmentGrouping.Observations], tracks: [TEMTrack]) {
        guard config.joinCornerPieces else { return trackObservations(observations, config: config) }
        // The first pass keeps every track: a piece seen in a few frames is what is looked for.
        var first = config
        first.minTrackFrames = 1
        let (observations, tracks) = trackObservations(observations, config: first)
        let pairs = TEMCornerPieces.pairs(observations, tracks: tracks, slideTest: config.cornerSlideTest)
        guard !pairs.isEmpty else {
            // Nothing to join: the first pass's tracks, the short ones dropped as usual.
            let minFrames = min(config.minTrackFrames, observations.count)
            var kept = tracks.filter { $0.frames.count >= minFrames }
            for t in kept.indices { kept[t].id = t }
            return (observations, kept)
        }
        let joined = TEMCornerPieces.joined(observations, tracks: tracks, pairs: pairs)
        return trackObservations(joined, config: config)
    }

    /// `trackObservations` over a frame's grouped observations, with `absorbPieces`: an absorbed
    /// piece's members join the observation that absorbed it (whose curve becomes the joined
    /// line) and the piece leaves the frame; with `joinTurnsFoldsPieces` a piece `joinTurns`
    /// left over joins the observation its joined track keeps there (whose curve stays).
    /// Returns the observations as tracked and the tracks.
    public static func trackObservations(_ observations: [TEMFragmentGrouping.Observations], config: TEMTrackerConfig)
        -> (observations: [TEMFragmentGrouping.Observations], tracks: [TEMTrack]) {
        let r = linkFrames(observations.map(\.curves), config: config, absorb: config.absorbPieces,
                           foldLeftovers: config.joinTurnsFoldsPieces)
        guard !r.absorbed.isEmpty || !r.leftovers.isEmpty else { return (observations, r.tracks) }
        var out = observations
        var gone: [Int: Set<Int>] = [:]
        for a in r.absorbed {
            out[a.frame].members[a.into] = a.pieces.flatMap { observations[a.frame].members[$0] }
            out[a.frame].curves[a.into] = r.curves[a.frame][a.into]
            gone[a.frame, default: []].formUnion(a.pieces.filter { $0 != a.into })
        }
        // After the absorptions: a kept observation may itself hold absorbed pieces.
        for l in r.leftovers {
            out[l.frame].members[l.keptCurve] += out[l.frame].members[l.curve]
            gone[l.frame, default: []].insert(l.curve)
        }
        // The absorbed pieces leave their frames: every later index moves down.
        var index: [Int: [Int]] = [:]
        for (f, g) in gone {
            var map = [Int](repeating: -1, count: out[f].curves.count), k = 0
            for i in map.indices where !g.contains(i) { map[i] = k; k += 1 }
            let kept = out[f].curves.indices.filter { !g.contains($0) }
            out[f].curves = kept.map { out[f].curves[$0] }
            out[f].members = kept.map { out[f].members[$0] }
            index[f] = map
        }
        var tracks = r.tracks
        for t in tracks.indices {
            for k in tracks[t].curveIndices.indices {
                if let map = index[tracks[t].frames[k]] { tracks[t].curveIndices[k] = map[tracks[t].curveIndices[k]] }
            }
        }
        return (out, tracks)
    }

    /// A piece absorbed into another observation of its frame (`absorbPieces`): `pieces` are the
    /// observations joined into `into`'s line, in order along it (`into` among them).
    struct Absorption { var frame: Int; var into: Int; var pieces: [Int] }

    /// A track over observations as a track over the frame's curves: an entry per piece, each
    /// with the observation's centroid, velocity and neighbour distance.
    public static func expand(_ track: TEMTrack, _ observations: [TEMFragmentGrouping.Observations]) -> TEMTrack {
        var t = track
        t.frames = []; t.curveIndices = []; t.centroids = []; t.velocities = []; t.neighbourDistances = []
        for (k, (f, o)) in zip(track.frames, track.curveIndices).enumerated() {
            for c in observations[f].members[o] {
                t.frames.append(f); t.curveIndices.append(c)
                if k < track.centroids.count { t.centroids.append(track.centroids[k]) }
                if k < track.velocities.count { t.velocities.append(track.velocities[k]) }
                if k < track.neighbourDistances.count { t.neighbourDistances.append(track.neighbourDistances[k]) }
            }
        }
        return t
    }

    /// `track` over curves already joined into observations (one per line and frame); no piece
    /// is absorbed (that needs the observations' members: the overload above).
    public static func trackObservations(_ curves: [[[TEMPoint]]], config: TEMTrackerConfig) -> [TEMTrack] {
        linkFrames(curves, config: config, absorb: false).tracks
    }

    /// The frame-by-frame linking and re-identification. With `absorb`, pieces that lie along a
    /// line a concurrent track holds are joined to its piece (`TEMPieceAbsorption`): the returned
    /// curves have the joined line in the holder's place and the absorbed pieces emptied.
    /// With `foldLeftovers`, the curves `joinTurns` leaves over are returned apart (for the
    /// caller to fold into the kept observations) instead of as one-frame tracks.
    static func linkFrames(_ curves: [[[TEMPoint]]], config: TEMTrackerConfig, absorb: Bool, foldLeftovers: Bool = false)
        -> (tracks: [TEMTrack], curves: [[[TEMPoint]]], absorbed: [Absorption], leftovers: [TEMAlternatingTracks.Leftover]) {
        var curves = curves
        var absorbed: [Absorption] = []
        let readPieces = absorb || config.absorbedEndsStayEnds
        // `last` is the curve the next frame is matched against. A much shorter detection (a
        // fragment) does not replace a whole one: matching a fragment's track against the
        // next whole curve is unreliable, matching the whole curve is not.
        // `velocity`: glide per frame (px, specimen coordinates, along the curve's normal).
        struct Live {
            var id: Int; var last: [TEMPoint]; var lastLength: Double; var lastFrame: Int; var shortRun: Int
            var centroid: TEMPoint; var velocity: TEMPoint = .zero
            /// Its last piece lay along a line a concurrent track holds (or was absorbed by it).
            var covered = false
            /// Lengths of the line it held in its last frames (`absorbLengthTest`).
            var lengths: [Double] = []
        }
        var live: [Live] = []
        var tracks: [TEMTrack] = []
        // The motion shared by all lines up to each frame (`commonMotion`): a track last seen in
        // frame g is looked for in frame f at its curve moved by common[f] − common[g].
        var common: [TEMPoint] = []
        func end(_ l: Live) { if l.covered { tracks[l.id].endAbsorbed = true } }
        for f in curves.indices {
            var frame = curves[f]
            for l in live where f - l.lastFrame > config.maxGap + 1 { end(l) }
            live.removeAll { f - $0.lastFrame > config.maxGap + 1 }
            var shared = common.last ?? .zero
            func predicted(_ shared: TEMPoint) -> [(curve: [TEMPoint], missed: Int, velocity: TEMPoint)] {
                live.map { l in
                    let m = shared - common[l.lastFrame]
                    return (m == .zero ? l.last : l.last.map { $0 + m }, f - l.lastFrame - 1, config.glideVelocity ? l.velocity : .zero)
                }
            }
            var prediction = predicted(shared)
            var (assignment, costs) = matchCosts(frame, prediction, config: config)
            if config.commonMotion {
                let t = commonShift(frame, prediction.map(\.curve), assignment)
                // Re-linking costs a second assignment: only when the shift is a sizeable part
                // of a close pair's spacing.
                if TEMPolyline.norm(t) > 0.5 {
                    shared += t
                    prediction = predicted(shared)
                    (assignment, costs) = matchCosts(frame, prediction, config: config)
                }
            }
            common.append(shared)
            // Pieces on a line another track holds in this frame.
            var holderOf: [Int: Int] = [:], lost = Set<Int>()
            if readPieces, !live.isEmpty {
                let n = live.count
                holderOf = TEMPieceAbsorption.holders(frame, references: prediction.map(\.curve), assignment: assignment,
                                                      rank: live.map { tracks[$0.id].frames.count },
                                                      longest: config.absorbLengthTest
                                                          ? live.map { TEMPieceAbsorption.longest($0.lengths, fallback: $0.lastLength) } : nil,
                                                      gated: { costs[$0 * n + $1].isFinite })
            }
            if absorb, !holderOf.isEmpty {
                var pieces: [Int: [Int]] = [:]
                for (i, h) in holderOf.sorted(by: { $0.key < $1.key }) {
                    pieces[h, default: []].append(i)
                    if let j = assignment[i] { lost.insert(j); assignment[i] = nil }
                }
                let observationOf = Dictionary(uniqueKeysWithValues: assignment.enumerated().compactMap { i, j in j.map { ($0, i) } })
                for (h, more) in pieces.sorted(by: { $0.key < $1.key }) {
                    let into = observationOf[h]!
                    let all = [into] + more
                    let j = TEMPieceAbsorption.joined(all.map { frame[$0] }, along: prediction[h].curve)
                    frame[into] = j.curve
                    for i in more { frame[i] = [] }
                    absorbed.append(Absorption(frame: f, into: into, pieces: j.order.map { all[$0] }))
                }
                curves[f] = frame
            }
            for (ci, c) in frame.enumerated() {
                if absorb, holderOf[ci] != nil { continue }
                if let li = assignment[ci] {
                    live[li].covered = holderOf[ci] != nil
                    let centroid = TEMPolyline.centroid(c)
                    let g = glideNormal(c)
                    // The line's own glide: the shared motion since it was last seen removed.
                    let step = centroid - live[li].centroid - (shared - common[live[li].lastFrame])
                    let s = (step.x * g.x + step.y * g.y) / Double(f - live[li].lastFrame)
                    // Averaged over a few frames: one frame's step is noisy, a burst lasts several.
                    live[li].velocity = 0.5 * live[li].velocity + 0.5 * (s * g)
                    live[li].centroid = centroid
                    let length = TEMPolyline.length(c)
                    if readPieces {
                        live[li].lengths.append(length)
                        if live[li].lengths.count > TEMPieceAbsorption.lengthWindow { live[li].lengths.removeFirst() }
                    }
                    let ratio = length / max(live[li].lastLength, 1e-9)
                    if (ratio >= config.keepReferenceBelow && ratio <= 1 / config.keepReferenceBelow) || live[li].shortRun >= config.maxGap {
                        live[li].last = c
                        live[li].lastLength = length
                        live[li].shortRun = 0
                    } else {
                        live[li].shortRun += 1
                    }
                    live[li].lastFrame = f
                    tracks[live[li].id].frames.append(f)
                    tracks[live[li].id].curveIndices.append(ci)
                } else {
                    let id = tracks.count
                    tracks.append(TEMTrack(id: id, frames: [f], curveIndices: [ci], centroids: [], velocities: [],
                                           neighbourDistances: []))
                    let length = TEMPolyline.length(c)
                    live.append(Live(id: id, last: c, lastLength: length, lastFrame: f, shortRun: 0,
                                     centroid: TEMPolyline.centroid(c), covered: holderOf[ci] != nil,
                                     lengths: readPieces ? [length] : []))
                }
            }
            // A track whose piece another took ends here: its line goes on in that track.
            if !lost.isEmpty {
                for j in lost { live[j].covered = true; end(live[j]) }
                live = live.indices.filter { !lost.contains($0) }.map { live[$0] }
            }
        }
        for l in live { end(l) }
        tracks = stitch(tracks, curves: curves, config: config)
        var leftovers: [TEMAlternatingTracks.Leftover] = []
        if config.joinTurns {
            if foldLeftovers {
                (tracks, leftovers) = TEMAlternatingTracks.joinTurnsLeavingPieces(tracks, curves: curves, config: config)
            } else {
                tracks = TEMAlternatingTracks.joinTurns(tracks, curves: curves, config: config)
            }
        }
        let minFrames = min(config.minTrackFrames, curves.count)
        tracks = tracks.filter { $0.frames.count >= minFrames }
        for t in tracks.indices { tracks[t].id = t }
        let cosMax = cos(config.neighbourMaxAngleDegrees * .pi / 180)
        for t in tracks.indices {
            let tr = tracks[t]
            let cs = zip(tr.frames, tr.curveIndices).map { TEMPolyline.centroid(curves[$0][$1]) }
            tracks[t].centroids = cs
            tracks[t].velocities = cs.indices.map { i in
                let a = max(0, i - 1), b = min(cs.count - 1, i + 1)
                guard b > a else { return .zero }
                return (cs[b] - cs[a]) / Double(tr.frames[b] - tr.frames[a])
            }
            tracks[t].neighbourDistances = zip(tr.frames, tr.curveIndices).map { f, ci in
                neighbourDistance(curves[f], index: ci, cosMax: cosMax)
            }
        }
        return (tracks, curves, absorbed, leftovers)
    }

    /// The frame's curves against the live tracks' reference curves (each with the frames it has
    /// gone unseen): Hungarian on the curve cost, gated by `gate` plus `gatePerMissedFrame` per
    /// missed frame, with a small penalty per missed frame so a track seen just before wins ties.
    static func match(_ frame: [[TEMPoint]], _ live: [(curve: [TEMPoint], missed: Int, velocity: TEMPoint)],
                      config: TEMTrackerConfig) -> [Int?] {
        matchCosts(frame, live, config: config).assignment
    }

    /// `match`, and its cost matrix (frame curve × live track, row-major; infinite beyond the gate).
    static func matchCosts(_ frame: [[TEMPoint]], _ live: [(curve: [TEMPoint], missed: Int, velocity: TEMPoint)],
                           config: TEMTrackerConfig) -> (assignment: [Int?], costs: [Double]) {
        guard !frame.isEmpty, !live.isEmpty else { return ([Int?](repeating: nil, count: frame.count), []) }
        let bf = frame.map(CurveMatching.bounds), bl = live.map { CurveMatching.bounds($0.curve) }
        var matrix = [Double](repeating: .infinity, count: frame.count * live.count)
        for j in live.indices {
            let gate = config.gate + config.gatePerMissedFrame * Double(live[j].missed)
            let (blo, bhi) = bl[j]
            // The glide model's prediction: the curve moved on at its velocity over the frames since.
            let shift = live[j].velocity * Double(live[j].missed + 1)
            let moved = TEMPolyline.norm(shift) > 0.5 ? live[j].curve.map { $0 + shift } : nil
            let sx = abs(shift.x), sy = abs(shift.y)
            for i in frame.indices {
                let (alo, ahi) = bf[i]
                if alo.x > bhi.x + gate + sx || blo.x > ahi.x + gate + sx || alo.y > bhi.y + gate + sy || blo.y > ahi.y + gate + sy { continue }
                var c = CurveMatching.cost(frame[i], live[j].curve)
                if let moved {
                    let m = CurveMatching.cost(frame[i], moved)
                    if m.cost < c.cost { c = m }
                }
                if c.closeness <= gate { matrix[i * live.count + j] = c.cost + config.missedFrameCost * Double(live[j].missed) }
            }
        }
        return (Hungarian.solve(cost: matrix, rows: frame.count, columns: live.count), matrix)
    }

    /// The motion the matched lines of a frame share: the 2-vector t minimising the Tukey loss of
    /// the normal residuals (p − q)·n − t·n of points p of each new curve against its matched
    /// prediction (q the closest point, n that segment's normal; points whose closest point is a
    /// curve end say nothing about the normal and are skipped). Each pair weighs the same
    /// whatever its point count; a pseudo-observation of t = 0 (a tenth of a pair) keeps the
    /// direction along parallel lines, which no normal constrains, at 0. Zero with fewer than
    /// two matched pairs (one line's own glide is not a shared motion).
    static func commonShift(_ frame: [[TEMPoint]], _ predicted: [[TEMPoint]], _ assignment: [Int?]) -> TEMPoint {
        var normals: [TEMPoint] = [], residuals: [Double] = [], weights: [Double] = []
        var pairs = 0
        for (i, j) in assignment.enumerated() {
            guard let j else { continue }
            let a = frame[i], b = predicted[j]
            guard a.count >= 2, b.count >= 2 else { continue }
            let stride = max(1, a.count / 16)
            var n: [TEMPoint] = [], r: [Double] = []
            for k in Swift.stride(from: 0, to: a.count, by: stride) {
                let p = a[k]
                var best = Double.infinity, foot = TEMPoint.zero, normal = TEMPoint.zero, interior = false
                for s in 1..<b.count {
                    let u = b[s - 1], v = b[s], d = v - u
                    let l2 = d.x * d.x + d.y * d.y
                    guard l2 > 0 else { continue }
                    let t = ((p - u).x * d.x + (p - u).y * d.y) / l2
                    let tc = min(1, max(0, t))
                    let q = u + tc * d
                    let dist = TEMPolyline.dist(p, q)
                    if dist < best {
                        best = dist; foot = q
                        normal = TEMPoint(-d.y, d.x) / l2.squareRoot()
                        interior = !((s == 1 && t < 0) || (s == b.count - 1 && t > 1))
                    }
                }
                guard interior, best.isFinite else { continue }
                n.append(normal); r.append((p - foot).x * normal.x + (p - foot).y * normal.y)
            }
            guard !n.isEmpty else { continue }
            pairs += 1
            normals += n; residuals += r
            weights += [Double](repeating: 1 / Double(n.count), count: n.count)
        }
        guard pairs >= 2 else { return .zero }
        var t = TEMPoint.zero
        for _ in 0..<4 {
            let e = residuals.indices.map { residuals[$0] - (normals[$0].x * t.x + normals[$0].y * t.y) }
            let sorted = e.map(abs).sorted()
            // Tukey's biweight with the residuals' own scale, never below half a pixel (the
            // detector's positional noise).
            let c = 4.685 * max(0.5, 1.4826 * sorted[sorted.count / 2])
            var a = SIMD3<Double>(0.1, 0, 0.1), b = TEMPoint.zero
            for k in e.indices {
                let q = e[k] / c
                guard abs(q) < 1 else { continue }
                let w = weights[k] * (1 - q * q) * (1 - q * q), nk = normals[k]
                a += w * SIMD3(nk.x * nk.x, nk.x * nk.y, nk.y * nk.y)
                b += w * nk * residuals[k]
            }
            let det = a.x * a.z - a.y * a.y
            guard det > 0 else { return .zero }
            t = TEMPoint((a.z * b.x - a.y * b.y) / det, (a.x * b.y - a.y * b.x) / det)
        }
        return t
    }

    /// The re-identification: joins track ends to later track starts by the global gap-closing
    /// assignment of `TEMTrackletLinker` over the tracks' summaries; a later track that starts up
    /// to `stitchOverlap` frames before the earlier one ends takes over from its start.
    static func stitch(_ tracks: [TEMTrack], curves: [[[TEMPoint]]], config: TEMTrackerConfig) -> [TEMTrack] {
        guard config.stitchFrames > 0, tracks.count > 1 else { return tracks }
        let summaries = tracks.enumerated().map { TEMTracklet.summarise($1, id: Int64($0), curves: curves) }
        let next = TEMTrackletLinker.link(summaries, config: config, overlap: config.stitchOverlap)
        return TEMTrackletLinker.chains(next).enumerated().map { id, chain in
            var t = tracks[chain[0]]
            for k in chain.dropFirst() {
                let keep = t.frames.firstIndex { $0 >= tracks[k].firstFrame } ?? t.frames.count
                t.frames = Array(t.frames[..<keep]) + tracks[k].frames
                t.curveIndices = Array(t.curveIndices[..<keep]) + tracks[k].curveIndices
            }
            t.endAbsorbed = tracks[chain.last!].endAbsorbed
            t.id = id
            return t
        }
    }

    /// Unit normal of a curve's chord (its glide direction, up to sign).
    static func glideNormal(_ c: [TEMPoint]) -> TEMPoint {
        guard let a = c.first, let b = c.last else { return .zero }
        let d = b - a, l = TEMPolyline.norm(d)
        return l > 0 ? TEMPoint(-d.y, d.x) / l : .zero
    }

    /// Mean distance from curve `index` to the nearest other curve of the frame running in about
    /// the same direction.
    static func neighbourDistance(_ frame: [[TEMPoint]], index: Int, cosMax: Double) -> Double? {
        let me = frame[index]
        guard let a0 = me.first, let a1 = me.last else { return nil }
        let da = a1 - a0
        let la = TEMPolyline.norm(da)
        var best: Double? = nil
        for (j, other) in frame.enumerated() where j != index {
            guard let b0 = other.first, let b1 = other.last else { continue }
            let db = b1 - b0
            let lb = TEMPolyline.norm(db)
            guard la > 0, lb > 0, abs(da.x * db.x + da.y * db.y) / (la * lb) >= cosMax else { continue }
            let d = TEMPolyline.meanClosestDistance(from: me, to: other)
            if best == nil || d < best! { best = d }
        }
        return best
    }
}
