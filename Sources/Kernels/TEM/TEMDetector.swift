#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One detected dislocation in one frame.
public struct TEMCurve: Codable, Sendable, Equatable {
    /// `samples` points equally spaced along the fitted curve, `[x, y]` px.
    public var points: [TEMPoint]
    public var lengthPx: Double
    /// Mean and maximum unsigned curvature of the fitted curve, 1/px.
    public var meanCurvature: Double
    public var maxCurvature: Double
    /// Mean ridge response along the curve: in units of the frame's own response noise when the
    /// detector is noise-normalised (`perFrameStatistics`), else contrast × width, scale-normalised.
    public var meanResponse: Double

    public init(points: [TEMPoint], lengthPx: Double, meanCurvature: Double, maxCurvature: Double, meanResponse: Double) {
        self.points = points
        self.lengthPx = lengthPx
        self.meanCurvature = meanCurvature
        self.maxCurvature = maxCurvature
        self.meanResponse = meanResponse
    }
}

/// Settings of the per-frame detector. The plain defaults are the detector as tuned on the
/// synthetic presets (other kinds reuse them); `perFrameStatistics` measures its scales' noise on each frame.
public struct TEMDetectorConfig: Codable, Sendable, Equatable {
    /// Detect bright lines instead of dark ones (used as given when `autoPolarity` is off).
    public var brightLines = false
    /// Decide between dark and bright lines from the frames themselves: on the first frame and
    /// every `polarityCheckInterval` frames after, the ridge filter runs for both polarities and
    /// the one whose responses (summed over the checks so far) stand further above the frame's own noise wins (a dark line also
    /// gives weaker bright responses on its flanks, about 0.45 of its peak for a Gaussian
    /// profile, so the true polarity carries clearly more excess response). Off in the plain
    /// defaults (other kinds reuse the detector on images of known polarity); on in `video`.
    public var autoPolarity = false
    public var polarityCheckInterval = 16
    /// With `autoPolarity`: the polarity changes only when the checks' evidence says so at this
    /// false-alarm rate (`TEMPolarityTest`: the two polarities' excess response tile by tile, a
    /// sign-flip test against the frame's own spread) once it has been significant; before, the
    /// larger total decides as without the test. While neither polarity is significant the frame
    /// is read with the plain seeds alone — no `seedTangentHalfLength` seeds, whose averaging
    /// along the line turns the wrong polarity's flanks and the texture into curves. 0 = off (the
    /// larger total decides every check, and the extra seeds always run).
    public var polarityAlpha = 0.0
    /// With `polarityAlpha`: the tile side (px) of the polarity test.
    public var polarityBlock = 32
    /// With `polarityAlpha`: the polarity evidence read on the response averaged along each
    /// pixel's line over 2m + 1 pixels (`RidgeTangentAverage`, at its own robust level) instead
    /// of the plain response; 0 = the plain response. A faint line keeps its height along the
    /// average while the noise shrinks, so its tiles lean its way more surely.
    public var polarityTangentHalfLength = 0
    /// With `polarityAlpha`: while the polarity is not significant, check it every this many
    /// frames instead of `polarityCheckInterval` (one more ridge filter per check), so the
    /// extra seeds start as soon as the evidence allows; 0 = `polarityCheckInterval`.
    public var polarityUndecidedInterval = 0
    /// Background flattening: subtract the mean over a (2r+1)² box (0 = off). Off by default:
    /// the Hessian is already blind to offsets and ramps (docs/tuning.md). Turn it on for
    /// frames with strong uneven illumination at the line scale.
    public var flattenRadius = 0
    /// Remove camera row and column stripes before the filter (`FrameDestripe`: offsets measured
    /// on the frame, shrunk by what its own noise explains). On in `video`, `per_frame`, `null`.
    public var destripe = false
    /// Gaussian scales σ (px) of the ridge filter.
    public var scales: [Double] = [0.8, 1.3]
    /// Weigh each scale by 1 / its response noise measured on the frame (robust σ) instead of
    /// σ^γ: the response is then in units of the frame's own noise at every scale, and the best
    /// scale is the one where a line stands furthest above it (blurred, wide or low-dose lines
    /// win at a coarse scale, sharp close pairs at a fine one). On in `perFrameStatistics`.
    public var noiseNormalised = false
    /// With `noiseNormalised`: which scale a pixel's response, normal and ridge position come
    /// from (`RidgeFilter.ScaleChoice`): `significance` (the scale furthest above its own noise:
    /// `video5`), `weighted` (the σ^γ-weighted winner, its value in noise units), `localised`
    /// (thresholds on the noise-normalised maximum, non-maximum suppression on the σ^γ-weighted
    /// one). `ctl bench tem --scale-choice`. Measured 4 December, night (docs/tem.md): both
    /// alternatives lose the randomised draws, so `significance` stays everywhere.
    public var scaleChoice: RidgeFilter.ScaleChoice = .significance
    /// Coarser scales win only where the finest scale does not see two lines
    /// (`RidgeFilter.apply`'s `pairGuard`: its curvature across the line ≥ −this, in units of its
    /// response noise); 0 = off. Lets a coarse scale find wide and blurred lines without merging
    /// close pairs.
    public var pairGuard: Float = 0
    /// Half-length m (px) of the average of the response along each pixel's line direction
    /// (`RidgeTangentAverage`, 2m + 1 pixels); 0 = off. On in `perFrameStatistics`.
    public var tangentHalfLength = 0
    /// Scale-normalisation exponent γ in R = σ^γ(λ₁ − β|λ₂|). 1 rather than Lindeberg's 2: with
    /// γ = 2 a close pair (3–5 px) wins at the coarse scale as one wide line.
    public var scaleExponent = 1.0
    /// Blob damping β.
    public var beta: Float = 0.3
    /// Hysteresis thresholds in robust noise σ above the median response.
    public var highThreshold: Float = 5
    public var lowThreshold: Float = 2.5
    public var tracer = CenterlineTracer.Options()
    /// Curves shorter than this (px) are dropped.
    public var minLength = 40.0
    /// λ of the smoothing spline (samples are 1 px apart).
    public var smoothing = 20.0
    /// Each curve end is grown straight on, up to this many px, while the ridge response stays
    /// above the low threshold: tracing stops short where a line meets a slip trace or another
    /// line (the junction pixels are cut out), which would shorten every dislocation a little.
    public var maxEndExtension = 6
    /// Traced paths are cut where they turn by more than this (degrees, between the chords
    /// `cornerSpan` px either side; `CurveCorners`) before fitting: a dislocation bows smoothly,
    /// a sharp corner is where the tracer ran from one line into another (a dislocation into a
    /// slip-band edge). 0 = off.
    public var cornerTurnDegrees = 0.0
    public var cornerSpan = 8
    /// A curve whose two sides on the frame differ by more than this × its depth is an intensity
    /// step — a slip-band or bend-contour edge, whose dark side the Hessian reports as a ridge —
    /// not a line, and is dropped (`CurveSides`). 0 = off.
    public var stepRatio = 0.0
    /// Points per output curve.
    public var samples = 50
    /// Join the pieces of a cut line (end to end, tangents agreeing, short gap) into one curve
    /// (`TEMFragmentGrouping.joinedCurves`).
    public var joinPieces = true
    /// A curve is a slip trace when it is straight (RMS distance to its line ≤ `traceMaxRMS`),
    /// at least `traceMinLength` long, and faint: mean response below `traceFaintRatio` × the
    /// frame's reference response (the upper quartile over its curves ≥ `faintMinLength` px).
    public var traceMaxRMS = 1.5
    public var traceMinLength = 15.0
    public var traceFaintRatio = 0.7
    /// A straight curve is a slip trace (or a slip band's edge) however dark when it and the
    /// straight curves on the same line cover at least this share of that line's chord through
    /// the frame: traces cross the field, dislocations end at them. 0 = off.
    public var traceFieldFraction = 0.0
    /// Faint curves shorter than this are dropped whatever their shape (broken trace pieces);
    /// curves at least this long set the reference response.
    public var faintMinLength = 40.0
    /// Any curve fainter than this × the reference response is noise (matters in clean frames,
    /// where the noise-relative thresholds are very low).
    public var minRelativeResponse = 0.3
    /// Keep a curve only when its evidence (`CurveNullTest.statistic`) exceeds every curve the
    /// opposite polarity traces over the last `nullWindow` null frames (an empirical null from
    /// the frames themselves; expected false curves per frame ≈ 1 / `nullWindow`). The null is
    /// traced on every `nullInterval`-th frame. On in `nullCalibrated`.
    public var nullTest = false
    public var nullWindow = 16
    public var nullInterval = 1
    /// Hysteresis also keeps a group of ridge pixels without a seed pixel when the evidence
    /// summed along it, Σ (r − low) / σ, is significant against the tail of the frame's own
    /// groups, at this many false groups per frame (`RidgeComponentSignificance`); 0 = off
    /// (seeds only). Faint lines are weak per pixel but long.
    public var pathFalseComponents = 0.0
    /// Half-length m (px) of a second map used only to *seed* hysteresis: the response averaged
    /// along each pixel's line direction over 2m + 1 pixels (`RidgeTangentAverage`), thresholded
    /// at its own median + `highThreshold` × its own robust σ (the same false-alarm level, on the
    /// averaged map's null); 0 = off. Non-maximum suppression and continuation still read the
    /// plain response, so ridges keep their place (averaging the map itself spread them:
    /// precision 0.989 → 0.799). A faint line's pixels are ≈ 2.5–4 σ on the plain map — above
    /// the continuation level along much of it but rarely at a seed — while the average along
    /// it keeps the line's height and shrinks the noise.
    public var seedTangentHalfLength = 0
    /// With `seedTangentHalfLength`: an extra seed (a pixel seeded by the averaged map alone) is
    /// dropped when the opposite polarity's response, averaged along its own line the same way,
    /// is at least as high within this many pixels across the line (along the pixel's normal, the
    /// pixel itself included): there the ridge is the flank of a line of the other polarity (a
    /// bright line's sides are dark ridges), not a line; 0 = off. The same rule as
    /// `CurveNullTest.notFlanks` (the stronger of the two polarities owns the place), read per
    /// seed pixel. Costs a second ridge filter per frame.
    public var seedFlankReach = 0
    /// With `seedTangentHalfLength`: a group of ridge pixels seeded by the averaged map alone is
    /// kept only when it persists — its pixels lie, far more often than chance allows (binomial
    /// test at 1 % per group), near where the previous frame's averaged map was above its own
    /// level, after the shift between the two frames measured on those level sets
    /// (`SeedPersistence`). Lines glide a few pixels from frame to frame; noise does not come
    /// back. The detector compares each frame with the one it detected before (a shard's frames
    /// in order); the first frame it sees keeps no extra seed.
    public var seedPersistence = false
    /// With `seedTangentHalfLength`: a traced path whose pixels come mostly from groups seeded by
    /// the averaged map alone is a slip trace when it is straight (`traceMaxRMS`,
    /// `traceMinLength`) — `dropSlipTraces`' rule for faint straight curves, with "faint" given
    /// by the seeds (no pixel of its group reaches the plain seed level) instead of a ratio to
    /// the frame's other curves. The along-line average is a matched filter for the long
    /// straight band edges of the slip traces, whose pieces were most of `video9`'s false curves.
    public var seedStraightTraces = false
    /// Pieces are joined (`joinPieces`) only where the ridge along the straight bridge between
    /// their ends stands this many robust spreads above the same statistic on random paths of
    /// the frame (`TEMPieceJoinEvidence.rule`); 0 = every join the geometry allows. Two lines
    /// lying end to end (two pile-ups' lines meeting at their slip bands) have background in
    /// the gap; a line cut where it fades or is crossed keeps its ridge there.
    public var joinGapEvidence = 0.0
    /// With `joinGapEvidence`: the gap test counts only the samples this many filter scales
    /// (the largest) or more from both ends (0: all). A line's ridge response runs on past its
    /// end by about two scales, so a long gap's first and last samples read the two lines, not
    /// the gap (the tracer's 15–28 px bridges between two pile-ups passed on them).
    public var gapTrimScales = 0.0
    /// With `joinGapEvidence`: the gap's ridge is measured against the lower side beside it
    /// (the gap shifted 6 and 9 px sideways) instead of the frame's null median, so what
    /// crosses the gap and its surroundings alike (two slip traces between two pile-ups) does
    /// not count as the line's ridge. Off: the sides read below the null's median, and on the
    /// seed-1 video it refused no bridge the trim did not (docs/tem.md, `video8`).
    public var gapBeside = false
    /// Measure the frame's statistics — each scale's response noise (`noiseNormalised`) and the
    /// response's median and σ behind the hysteresis thresholds — on every pixel instead of every
    /// 13th / 29th. A strided sample is taken on a grid fixed to the frame's corner, so on a
    /// structured frame (bands, lines) a crop of a few pixels samples other pixels and moves these
    /// statistics by a few %, enough to move a traced end and flip a curve rule (docs/tem.md, real
    /// frames: sample 4's left dislocation). Off: the strided samples (cheaper).
    public var fullFrameStatistics = false
    /// With `stepRatio`: a curve the ratio calls a step is kept when its centre lies below its
    /// darker side (above the brighter, bright lines) at significantly more points than chance
    /// allows — a sign test at this level over points 3 px apart (`CurveSides.dip`) — since a
    /// step's profile across has no dip and a line lying on a step does, however large the step
    /// (docs/tem.md, real frames: sample 4's left dislocation). 0 = off (the ratio alone); 0.01
    /// in `video5`.
    public var stepDipAlpha = 0.0
    /// With `stepDipAlpha`: only a curve that bows — RMS distance to its principal line above
    /// `traceMaxRMS`, the slip-trace rule's "straight" — is kept for its dip. On real frames a
    /// slip band's edge is itself a dark line along the step, straight across the band
    /// (sample 4: dip 46 of 50 points, 0.5 px RMS), while a dislocation lying on the boundary
    /// of the area it slipped bows (3.3–3.7 px). On in `video5`.
    public var stepDipBowed = false
    /// Keep only curves that lie below both sides (bright lines: above) at significantly more
    /// points than chance allows — `CurveSides.dip`'s sign test at this level, whatever the step
    /// rule says; 0 = off. A ridge the Hessian finds in mottled texture need not be darker than
    /// what lies beside it (real frames, sample 1: two of its three texture curves have a centre
    /// below both sides at 4 of 17 and 8 of 16 points, every dislocation at ≥ 24 of 25). Applied
    /// after the slip-trace rule, whose faint level the removed curves would otherwise raise.
    public var dipAlpha = 0.0
    /// With `polarityAlpha`: the polarity test pooled over every frame the detector has seen (a
    /// shard's frames in order), not only the checks every `polarityCheckInterval` frames. The
    /// lines' polarity belongs to the imaging condition, not to one frame, and a faint line's
    /// tiles lean its way by little per frame; summed over the frames they lean surely while the
    /// noise, new each frame, averages out. Each tile keeps its sum over the frames — one block of
    /// evidence whatever the frames' correlation (the texture only drifts, so it must not become
    /// significant by repetition: `TEMPolarityTest`). The other polarity is read from the same
    /// smoothed planes (`RidgeFilter.applyOpposite`: one more combine, no blur). The plain seeds
    /// keep `autoPolarity`'s choice (the larger total at the checks, as with the test off) and the
    /// extra seeds run only while the pooled test is significant on that side. Not with
    /// `tangentHalfLength`, `polarityTangentHalfLength` or `ScaleChoice.localised` (the checks
    /// alone are tested then).
    public var polarityPooled = false
    /// With `polarityPooled`: a significant pooled test also sets the polarity the plain seeds
    /// read, and once it has been significant the polarity changes only on significant evidence
    /// (`polarityAlpha`'s rule, on the pooled test).
    public var polarityPooledOverride = false
    /// With `polarityAlpha`: random sign patterns behind the polarity test's exact sign-flip tail
    /// where Hoeffding's bound does not already decide (`TEMPolarityTest.randomisations`); 0: the
    /// bound alone. With many tiles of like size the bound asks |z| ≥ 3.26 where the tail itself
    /// is 1 % at ≈ 2.6.
    public var polarityRandomisations = 0
    /// With `polarityPooled`: once the pooled test has been significant on the plain rule's side,
    /// the extra seeds keep running while it is not significant either way (a lean hovering at
    /// the level changes nothing); they stop when it is significant on the other side or the
    /// plain side changes. Off: the test is read afresh every frame.
    public var polarityPooledSticky = false
    /// With `seedPersistence`: a curve traced mostly through groups seeded by the averaged map
    /// alone (the majority `seedStraightTraces` reads) is kept only when most of it lies where a
    /// candidate curve lay in the previous frame, after the shift and within the reach
    /// `SeedPersistence` measured between the two frames (`ExtraCurvePersistence`). A slip trace's
    /// or band edge's level set persists, so its groups pass `seedPersistence`; the curve traced
    /// along it does not — it is drawn in scattered frames, each time with a new length and hook.
    /// Plain-seeded curves are never touched.
    public var extraCurvePersistence = false
    /// Keep only curves whose depth below their brighter side (bright lines: height above the
    /// darker) stands out of the frame's own level of that depth, measured at straight segments
    /// across the frame (`CurveContrast`): above its median by Φ⁻¹(1 − α) robust spreads at this
    /// α; 0 = off. Ridges the Hessian finds in the mottle of a smooth real frame pass the
    /// noise-relative thresholds but lie no deeper than an arbitrary stretch of that frame
    /// (real frames, sample 1: two texture curves at 0.8 and 1.2 spreads, every dislocation at
    /// ≥ 10; on 30 draws the lowest true curve at 1.7). Applied after the slip-trace rule, like
    /// `dipAlpha`.
    public var contrastAlpha = 0.0
    /// With `seedStraightTraces`: a traced path holding extra points (kept through the averaged
    /// map's seeds alone) is a slip trace, perhaps with a hook, when its longest straight part is
    /// at least half of it and `minLength` long (a curve on its own) — straight meaning an RMS
    /// distance to its own line within the frame's own scatter (`ExtraStraightParts`: the
    /// `extraStraightQuantile` of the RMS of the frame's traced paths about their
    /// `extraStraightWindow`-point chords; 17 = the corner rule's chords, 8 px either side).
    /// Such a path is dropped when it is mostly extra (a trace piece hooking off the trace at a
    /// pile-up's head, into a junction or texture, too curved as a whole for
    /// `seedStraightTraces`), else cut back to its plain points (a plain curve carried on along a
    /// trace by the extra seeds, or plain pieces joined along it by them). Paths without extra
    /// points are never touched.
    public var extraStraightParts = false
    public var extraStraightWindow = 17
    public var extraStraightQuantile = 0.9
    /// With `extraStraightParts`: the straight part's least length, px (0: `minLength`), and
    /// the shortest extra run a mixed path loses (1: every extra point).
    public var extraStraightMinLength = 0.0
    public var extraStraightMinRun = 1
    /// With `cornerTurnDegrees`: a corner is cut only where two lines meet — where the ridge of
    /// one arm carries on straight past the corner, 6–14 px along its continuation, above the
    /// frame's null of that path statistic at this α (each arm at α/2; `CornerContinuation`).
    /// Where neither arm carries on the path bends and is kept whole (real frames, sample 1: a
    /// dislocation cut at its bend into pieces the join refuses). 0 = off (every corner cut).
    /// Measured 6 December (docs/tem.md, tem-real23): keeps sample 1's bend whole but reads junctions
    /// the tracer rounded, and texture scribbles, as bends (medium 201–250 precision p10 0.928 → 0.796).
    public var cornerContinuationAlpha = 0.0
    /// With `cornerContinuationAlpha`: each arm's continuation read along the arm's own line —
    /// its chord from this many points past the corner on (0: from the corner, as measured on
    /// 6 December), started where the corner projects onto it — so a junction the tracer rounded
    /// is read up the line that carries on, not beside it (`CornerContinuation.Reading`).
    public var cornerContinuationArmOffset = 0
    /// With `cornerContinuationAlpha`: rays also cast this many px to either side of each arm's
    /// line, the best taken at α shared among them (`CornerContinuation.Reading.across`).
    public var cornerContinuationAcross = 0
    /// With `cornerContinuationAlpha`: continuation samples closer than this (px) to the traced
    /// path are passed over, so a shallow bend's other arm is not read as the line carrying on
    /// (`CornerContinuation.Reading.clearance`). 0 = off.
    public var cornerContinuationClearance = 0.0
    /// With `cornerContinuationAlpha`: a bend is kept whole only when both its arms are at least
    /// `minLength` long, lines in their own right; shorter arms are cut as without the test
    /// (texture scribbles read as bends too).
    public var cornerContinuationArmsLines = false
    /// With `cornerContinuationAlpha`: a corner turning by more than this (degrees) is cut
    /// whatever its continuations read — a dislocation does not fold back on itself; a hairpin is
    /// the tracer running around a double line's end onto its other edge
    /// (`CornerContinuation.Always.maxTurnDegrees`). 0 = off.
    public var cornerContinuationMaxTurn = 0.0
    /// With `cornerContinuationAlpha`: a corner whose arms are both straight by the slip-trace
    /// rule (RMS distance to their line ≤ `traceMaxRMS`, each ≥ `traceMinLength`) is cut whatever
    /// its continuations read — two straight traces meeting, as at a slip band's outline
    /// (`CornerContinuation.Always.bothStraight`).
    public var cornerContinuationStraightArms = false
    /// With `cornerContinuationAlpha`: a corner with a straight arm (as above, ≥ 40 px) covering
    /// `traceFieldFraction` of its line's chord through the frame is cut whatever its
    /// continuations read — a line meeting a slip trace across the field
    /// (`CornerContinuation.Always.acrossFraction`).
    public var cornerContinuationTraceArm = false
    /// Frames K in the mean of registered neighbouring frames whose curves are added to each
    /// frame's own (`TEMTemporalWindow`: the frame's window of K frames, registered onto it with
    /// the shard's drifts, averaged and detected with these same settings; only the parts of its
    /// curves no plain curve lies on are added). Read by the shard and the draws benchmark, which
    /// hold the frames, not by `detect`. 0 or 1 = off. The noise drops by √K where a line stays
    /// within its width; the static clutter stays (issue 11 items 2 and 5; docs/tem.md, "The
    /// video's other frames").
    public var temporalMeanFrames = 0
    /// With `temporalMeanFrames`: a point of a mean frame's curve within this many px of a
    /// plain curve is a line the frame already shows.
    public var temporalCoverRadius = 3.0
    /// With `temporalMeanFrames`: an added part as straight as a slip trace (RMS distance to its
    /// line ≤ `traceMaxRMS`) is not added: the mean clears the static traces of their noise as it
    /// does the lines (`--false-overlays` on medium 48 and 22: 14 of 24 and 37 of 40 false curves
    /// on a slip trace, line RMS 0.2–0.4 px), while each frame's own rule has already dropped them.
    public var temporalDropStraight = false
    /// With `temporalMeanFrames`: 0 reads the mean on every frame. P > 0: once a mean frame
    /// adds nothing, the mean is read again only on every P-th frame until one adds a part, then
    /// on every frame (`TEMTemporalWindow`): a video whose single frames already show its lines
    /// pays for the mean on one frame in P; one whose mean keeps adding pays on all.
    public var temporalProbeInterval = 0
    /// With `temporalMeanFrames`: an added part that runs alongside a plain curve of the frame at
    /// no more than that line's own travel over the window, onto a place where another frame of
    /// the window shows a plain curve, is the line's smeared copy in the mean (a ghost), not a new
    /// line, and is not added (`TEMTemporalGhosts`; issue 11 item 5, 7 December, branch
    /// tem-det26). The travel is read from the plain curves of the window's frames, registered:
    /// no distance is set. Off by default.
    public var temporalDropGhosts = false
    /// With `temporalDropGhosts`: α > 0 counts a point of an added part as a ghost's through
    /// another frame j only when frame j's own ridge response along the frame's line q (the
    /// points j's plain curves say the line left) does not stand above frame j's level of the
    /// same statistic — the mean response along the same points translated over frame j — by
    /// Φ⁻¹(1 − α) robust spreads (one-sided, `TEMTemporalLineLeft`): a line frame j's detector
    /// merely missed (a faint frame) has not left. The window needs each frame's response
    /// (`TEMTemporalWindow.push(response:)`). 0: the plain curves alone decide (tem-det26's
    /// rule). Issue 11 item 5, 7 December, branch tem-det-27. Off by default.
    public var temporalGhostLeftAlpha = 0.0
    /// With `temporalMeanFrames`: an added part whose longest straight stretch (RMS distance to
    /// its own line within the frame's `extraStraightQuantile` scatter about
    /// `extraStraightWindow`-point chords, `ExtraStraightParts`) is at least half of it and
    /// `minLength` long is a slip-trace piece hooked onto a line's end, not added
    /// (`TEMTemporalStraightParts`; issue 11 item 5, 7 December, branch tem-det26). Off by default.
    public var temporalDropStraightParts = false
    /// With `temporalMeanFrames` K: K₂ > K reads, on each frame whose K-frame mean was read and
    /// saw a part no plain curve covers (the probe's own signal, `temporalProbeInterval`), also
    /// the mean of K₂ registered frames centred on it (a detector of its own), and adds the parts
    /// of its curves that neither the plain curves nor the K-mean's added parts cover, by the
    /// same rules (`TEMTemporalWindow`). A frame the K-mean adds nothing to reads no K₂ mean: the
    /// longer integration (noise down by √K₂, a gliding line smeared over K₂ frames' travel) only
    /// where the frame's own yield says a line is there below the plain detector's reach. 0 or
    /// ≤ K = off. Issue 11 items 2 and 5, twenty-first session, branch tem-det-28. Off by default.
    public var temporalLongFrames = 0
    /// With `temporalLongFrames`: α > 0 also reads the K₂ mean, probed by its own yield as the
    /// K-mean is (`temporalProbeInterval`), on frames the K-mean adds nothing to while the plain
    /// frames' polarity test (`TEMPolarityTest`, tiles summed over the plain detector's checks;
    /// the exact sign-flip tail, 999 patterns, where Hoeffding's bound does not decide) is not
    /// significant at α: frames that cannot even tell their lines' polarity hold lines
    /// below the plain detector's reach (issue 11's faint draws: |z| 0–2.3), where the K-mean may
    /// see nothing either. 0: the K-mean's yield alone opens the K₂ mean. Off by default.
    public var temporalLongUndecidedAlpha = 0.0
    /// With `temporalLongFrames` and `temporalLongUndecidedAlpha`: false opens the K₂ mean by the
    /// undecided polarity gate alone, not where the K-mean saw a part (tem-det28's losses on clear
    /// draws and mid-visibility draws came through that gate; its p10 gains through the undecided
    /// one). True (the default) keeps both gates. Twenty-first session, integrator.
    public var temporalLongByShortMean = true
    /// With `temporalLongFrames`: true runs the K₂ mean's own detector with the curve-level
    /// empirical null (`nullTest`, `CurveNullTest`): each K₂ mean's curves are kept only when
    /// their evidence (mean response × √length) exceeds every curve the opposite polarity traces
    /// on the K₂ means of the last `nullWindow` reads (flanks of the other set's stronger curves
    /// set aside in both sets). The K₂ mean's added parts then carry their own evidence against
    /// that mean's own noise and texture, the multiple testing over its curves in the maximum (about
    /// 1 / `nullWindow` false curves per read when the two polarities trace alike); a K₂ mean read
    /// in the wrong polarity meets the true lines as its null. No level of its own. Issue 11
    /// items 2 and 5, twenty-second session, branch tem-det-30. Off by default.
    public var temporalLongNullTest = false
    /// With `temporalLongFrames` and `temporalLongUndecidedAlpha`: the undecided gate asks the plain
    /// frames' polarity test pooled over every frame the plain detector has seen
    /// (`TEMDetector.gatePolarityTest`: both polarities' tiles added on each frame, the other one
    /// recombined from the same smoothed planes), not only over its checks every
    /// `polarityCheckInterval` frames — a sequential test: it stops at its first significant look
    /// (the gate then stays shut). A frame is completed a few frames after it is read, so the gate
    /// for frame k already holds frames up to k + K₂/2: a clear video whose first check alone is
    /// not significant (medium 4, 38: |z| 1.8–2.1, the K₂ mean then tracing the static mottle in
    /// the first 16 frames) is decided before its K₂ mean is read. The plain detection is unchanged
    /// (the pooled test decides nothing there). Issue 11 items 2 and 5, twenty-sixth session,
    /// branch tem-det-34. Off by default.
    public var temporalLongPooledGate = false
    /// With `temporalLongPooledGate`: the pooled test shuts the gate only when it is significant on
    /// the side the plain frames are read in (`TEMDetector.detectedBright`) — the frames confirm
    /// their own reading. Significant on the other side, the plain detector reads the wrong
    /// polarity and its lines are out of its reach: the gate stays open (a faint draw's static
    /// mottle can lean the pooled test either way). Off: significant either way shuts it.
    public var temporalLongPooledGateSide = false
    /// With `temporalMeanFrames`: α > 0 reads each mean frame in the polarity of the best
    /// evidenced of the window's polarity tests when that test is significant at α
    /// (`TEMPolarityTest`, Hoeffding's bound, tiles summed over each reading's checks): of the
    /// plain frames' detector (`TEMTemporalWindow.push(plainPolarity:)`), the K-mean's and the
    /// K₂-mean's (`temporalLongFrames`), the significant one with the largest |z|, unless the mean
    /// detector's own test, after the frame's check, has the larger |z| (`TEMDetector.otherPolarityZ`).
    /// No test significant: the detector's own rule, as without the option. The longer mean reads
    /// a faint video's polarity at √K₂ the signal-to-noise (medium 26, 31: |z| 3.7–4.0 where the
    /// plain test's is 0.1–0.8 and the K = 3 mean's 2.0–2.4). A level, not a margin: an
    /// insignificant lead (medium 25's plain test, z 2.3 on the wrong side) decides nothing.
    /// Issue 11 items 2 and 5, twenty-first session, branch tem-det-28. 0 = off, the default.
    public var temporalPolarityAlpha = 0.0
    public init() {}

    /// The defaults for in-situ TEM videos: polarity decided from the frames.
    public static var video: TEMDetectorConfig {
        var c = TEMDetectorConfig()
        c.autoPolarity = true
        c.destripe = true
        c.traceFieldFraction = 0.5
        return c
    }

    /// `video` with scales weighed by the frame's own noise and a coarse scale that cannot merge
    /// close pairs, plus two curve rules for real frames (issue 11 items 2 and 7; docs/tem.md,
    /// "Scales from the frame's noise"): scales 0.8, 1.3, 2.2 px, each in units of its response
    /// noise measured on the frame (`noiseNormalised`), a coarser scale counting only where the
    /// finest does not see two lines (`pairGuard` 2 σ); traced paths cut at corners sharper than
    /// 40° (`cornerTurnDegrees`), and curves whose sides differ by more than their depth dropped
    /// as band edges (`stepRatio` 1). `--param detector=video5`. The job's default
    /// (`defaultName`) since 4 December: on randomised draws it lifts recall and precision (medium 0.847 → 0.975 at
    /// 0.965 → 0.989); it loses the hard preset's F1 (0.980 → 0.960: close pairs, where the coarse
    /// scale's noise-normalised response wins between the two lines) and medium length (0.953 → 0.929).
    /// Since 6 December (tem-real18) a bowed curve the step ratio drops is kept when it lies below
    /// its darker side at significantly many points (`stepDipAlpha` 0.01, `stepDipBowed`): a
    /// dislocation lying on the boundary of the area it slipped (real frames, sample 4); on the
    /// draws medians and 10th percentiles equal or a little higher on six ranges (docs/tem.md).
    public static var video5: TEMDetectorConfig {
        var c = video
        c.noiseNormalised = true
        c.scales = [0.8, 1.3, 2.2]
        c.pairGuard = 2
        c.cornerTurnDegrees = 40
        c.stepRatio = 1
        c.stepDipAlpha = 0.01
        c.stepDipBowed = true
        return c
    }

    /// `video5` with faint lines seeded by their path evidence (issue 11 item 2, 5 December;
    /// docs/tem.md, "Faint lines from the evidence along them"): hysteresis also keeps a group of
    /// ridge pixels that holds no pixel above the seed level when the excess response summed
    /// along it is significant against the tail of the frame's own groups, at one false group
    /// per frame (`pathFalseComponents` 1, `RidgeComponentSignificance`). `--param detector=video6`.
    /// Not the default: it lifts recall on every range of draws but costs precision p10 on the
    /// unseen medium seeds (0.944 → 0.804) and IDF1 on the hard preset and the 10,000-frame job
    /// (docs/tem.md, "Faint lines from the evidence along them").
    public static var video6: TEMDetectorConfig {
        var c = video5
        c.pathFalseComponents = 1
        return c
    }

    /// `video5` with piece joins and the tracer's gap bridges made only where the frame shows the
    /// line's ridge in the gap (`joinGapEvidence` 2, `TEMPieceJoinEvidence`; issue 11 item 2,
    /// 5 December, docs/tem.md, "Joins across the gap on the frame's evidence"): two lines of two
    /// pile-ups lying end to end are no longer drawn as one curve. `--param detector=video7`.
    public static var video7: TEMDetectorConfig {
        var c = video5
        c.joinGapEvidence = 2
        return c
    }

    /// `video7` with the gap test counting only what lies beyond the ends' own response (two
    /// largest filter scales from each end, `gapTrimScales` 2), applied to the tracer's gap
    /// bridges, which drew the rest of the two-pile-up curves (issue 11 items 2 and 5,
    /// 6 December; docs/tem.md, "Two pile-ups' lines bridged by the tracer"). `--param detector=video8`.
    public static var video8: TEMDetectorConfig {
        var c = video7
        c.gapTrimScales = 2
        return c
    }

    /// `video5` with hysteresis also seeded from the response averaged along each pixel's line
    /// over 11 px (`seedTangentHalfLength` 5), at the same false-alarm level on that map's own
    /// null; ridges and the polarity still from the plain map (issue 11
    /// items 2 and 5, 6 December; docs/tem.md, "Where the 10th percentile goes, draw by draw").
    /// `--param detector=video9`.
    public static var video9: TEMDetectorConfig {
        var c = video5
        c.seedTangentHalfLength = 5
        return c
    }

    /// `video9` with its extra seeds dropped where the opposite polarity's averaged response is
    /// as high within 5 px across the line (`seedFlankReach` 5: the flanks of bright and double
    /// lines, and of the lines of a video whose polarity was chosen wrong; docs/tem.md,
    /// "Extra seeds that are another line's flank"). `--param detector=video10`.
    public static var video10: TEMDetectorConfig {
        var c = video9
        c.seedFlankReach = 5
        return c
    }

    /// `video9` with its extra seeds kept only where they persist from the previous frame
    /// (`seedPersistence`; issue 11 items 2 and 5, 6 December; docs/tem.md, "Extra seeds that
    /// persist"). `--param detector=video11`.
    public static var video11: TEMDetectorConfig {
        var c = video9
        c.seedPersistence = true
        return c
    }

    /// `video9` with the straight paths of its extra seeds dropped as slip traces
    /// (`seedStraightTraces`). `--param detector=video12`.
    public static var video12: TEMDetectorConfig {
        var c = video9
        c.seedStraightTraces = true
        return c
    }

    /// `video11` and `video12` together. `--param detector=video13`.
    public static var video13: TEMDetectorConfig {
        var c = video11
        c.seedStraightTraces = true
        return c
    }

    /// `video13` whose extra seeds run only while the polarity is significant at 1 %
    /// (`polarityAlpha`, `TEMPolarityTest`), and whose polarity, once significant, changes only on
    /// significant evidence (issue 11 items 2 and 5, 6 December; docs/tem.md, "The polarity as a test").
    /// `--param detector=video14`.
    public static var video14: TEMDetectorConfig {
        var c = video13
        c.polarityAlpha = 0.01
        return c
    }

    /// `video14` with the polarity evidence read on the response averaged along the line over
    /// 11 px (`polarityTangentHalfLength` 5, as the extra seeds read it) and checked every 4th
    /// frame while not significant (`polarityUndecidedInterval` 4). `--param detector=video15`.
    public static var video15: TEMDetectorConfig {
        var c = video14
        c.polarityTangentHalfLength = 5
        c.polarityUndecidedInterval = 4
        return c
    }

    /// `video` with everything it thresholds measured on the frame (issue 11 item 2): scales
    /// weighed by their own response noise, the tangent average, seeds at 4σ and continuation
    /// at 2σ of that map. Opt-in (`ctl bench tem --per-frame-statistics`): on randomised videos
    /// it finds most lines `video` misses, but on the presets and on smooth real frames it traces
    /// background texture (docs/tem.md).
    public static var perFrameStatistics: TEMDetectorConfig {
        var c = video
        c.noiseNormalised = true
        c.scales = [1, 1.6, 2.5]
        c.tangentHalfLength = 3
        // Per-frame false-alarm rates of the averaged, noise-normalised response (measured on
        // randomised frames, pixels > 8 px from any line): ≈ 1e-3 above 4σ (seeds), ≈ 4e-2
        // above 2σ (continuation only, through NMS pixels connected to a seed).
        c.highThreshold = 4
        c.lowThreshold = 2
        return c
    }

    /// `perFrameStatistics` with every curve tested against the opposite polarity's curves of
    /// the recent frames (`CurveNullTest`): the background's structure, not only its noise, sets
    /// the bar. `ctl bench tem --detector null`, `--param detector=null`.
    public static var nullCalibrated: TEMDetectorConfig {
        var c = perFrameStatistics
        c.nullTest = true
        return c
    }

    /// `video13` whose extra seeds run only while the polarity test pooled over every frame seen
    /// so far is significant at 1 % on the side the plain rule reads (`polarityPooled`); the plain
    /// seeds keep `video5`'s polarity (issue 11 items 2 and 5, 6 December; docs/tem.md, "The
    /// polarity pooled over the shard"). `--param detector=video16`.
    public static var video16: TEMDetectorConfig {
        var c = video13
        c.polarityAlpha = 0.01
        c.polarityPooled = true
        return c
    }

    /// `video16` whose significant pooled test also sets the plain seeds' polarity
    /// (`polarityPooledOverride`). `--param detector=video17`.
    public static var video17: TEMDetectorConfig {
        var c = video16
        c.polarityPooledOverride = true
        return c
    }

    /// `video16` with the pooled test's significance from the sign-flip tail itself
    /// (`polarityRandomisations` 999) where Hoeffding's bound does not decide. `--param detector=video18`.
    public static var video18: TEMDetectorConfig {
        var c = video16
        c.polarityRandomisations = 999
        return c
    }

    /// `video18` whose significance, once reached on the plain side, holds until contradicted
    /// (`polarityPooledSticky`). `--param detector=video19`.
    public static var video19: TEMDetectorConfig {
        var c = video18
        c.polarityPooledSticky = true
        return c
    }

    /// `video13` whose extra seeds' curves are kept only where a curve lay in the previous frame
    /// (`extraCurvePersistence`; issue 11 items 2 and 5, 6 December, branch tem-det20; docs/tem.md,
    /// "Extra curves that persist"). `--param detector=video20`.
    public static var video20: TEMDetectorConfig {
        var c = video13
        c.extraCurvePersistence = true
        return c
    }

    /// `video13` whose paths with extra points are read as slip traces when their longest
    /// straight part is most of them (`extraStraightParts`; issue 11 items 2 and 5, 6 December,
    /// branch tem-det23; docs/tem.md, "Hooked trace pieces"): the hooked slip-trace pieces and
    /// the plain curves carried on along a trace. `--param detector=video21`.
    public static var video21: TEMDetectorConfig {
        var c = video13
        c.extraStraightParts = true
        return c
    }

    /// `video5` with the mean of 3 registered frames read as a second frame beside each plain one
    /// (`temporalMeanFrames` 3; its parts as straight as a slip trace not added,
    /// `temporalDropStraight`; once a mean adds nothing it is read every 8th frame until one adds
    /// again, `temporalProbeInterval` 8). Issue 11 items 2 and 5, 7 December, branch tem-det25;
    /// docs/tem.md, "The temporal mean the default". `--param detector=video22`.
    public static var video22: TEMDetectorConfig {
        var c = video5
        c.temporalMeanFrames = 3
        c.temporalDropStraight = true
        c.temporalProbeInterval = 8
        return c
    }

    /// The detectors a job or benchmark can choose by name (`--param detector=NAME`).
    public static func named(_ name: String) -> TEMDetectorConfig? {
        switch name {
        case "video": return .video
        case "per_frame", "per-frame-statistics": return .perFrameStatistics
        case "null": return .nullCalibrated
        case "video5": return .video5
        case "video6": return .video6
        case "video7": return .video7
        case "video8": return .video8
        case "video9": return .video9
        case "video10": return .video10
        case "video11": return .video11
        case "video12": return .video12
        case "video13": return .video13
        case "video14": return .video14
        case "video15": return .video15
        case "video16": return .video16
        case "video17": return .video17
        case "video18": return .video18
        case "video19": return .video19
        case "video20": return .video20
        case "video21": return .video21
        case "video22": return .video22
        default: return nil
        }
    }

    /// The names `named(_:)` accepts, for messages.
    public static let names = ["video", "per_frame", "null", "video5", "video6", "video7", "video8", "video9", "video10", "video11", "video12", "video13", "video14", "video15", "video16", "video17", "video18", "video19", "video20", "video21", "video22"]

    /// The detector a job and `ctl bench tem` use when none is named: `video22` since
    /// 7 December — against `video5` (the default from 4 December, which beat `video` on
    /// randomised videos and the real pile-up frames) it wins every IDF1, HOTA and recall median
    /// and p10 on five 50-draw ranges at a precision 0.000–0.004 lower and keeps the
    /// 10,000-frame job's IDF1; `video5`, `video` and the others stay reachable
    /// (`--param detector=…`).
    public static let defaultName = "video22"

    /// `named(defaultName)`.
    public static var jobDefault: TEMDetectorConfig { .video22 }
}

/// The per-frame kernel: flatten, ridge filter, NMS + hysteresis, thinning, tracing, spline fit,
/// slip-trace suppression. Reuse one detector (its buffers) per thread.
public struct TEMDetector: Sendable {
    public var config: TEMDetectorConfig
    private var ridge = RidgeFilter.Workspace()
    private var flat: [Float] = []
    private var destriped: [Float] = []
    private var response: [Float] = []
    private var normal: [Float] = []
    /// The σ^γ-weighted ridge map non-maximum suppression reads (`ScaleChoice.localised`), else empty.
    private var location: [Float] = []
    private var mask: [UInt8] = []
    private var sums: [Float] = []
    private var averaged: [Float] = []
    /// `seedTangentHalfLength`: the response averaged along the line, read only for seeds.
    private var seedMap: [Float] = []
    /// `seedFlankReach`: the opposite polarity's response averaged the same way, and spare
    /// buffers its filter writes into while the frame's own maps are kept aside.
    private var flankMap: [Float] = []
    private var spare: (response: [Float], normal: [Float], location: [Float]) = ([], [], [])
    /// `seedPersistence`: the previous frame's level set of the averaged map.
    private var persistence = SeedPersistence()
    /// `extraCurvePersistence`: the previous frame's candidate curves.
    private var curvePersistence = ExtraCurvePersistence()
    /// The polarity found by the last check (`autoPolarity`), and frames since that check.
    public private(set) var detectedBright: Bool?
    /// With `autoPolarity` (not `polarityPooled`): the polarity test statistic (`TEMPolarityTest.z`)
    /// of other readings of the same video. When set, each frame is read in the polarity of the
    /// larger in magnitude of this z and the detector's own test's z after the frame's check (the
    /// best evidenced), bright when positive; the checks still run, add their evidence to
    /// `polarityTest` and set `detectedBright` (the detector's own decision) as before. Set by
    /// `TEMTemporalWindow` with `TEMDetectorConfig.temporalPolarityAlpha`; nil: the own decision.
    public var otherPolarityZ: Double?

    /// The polarity frames are read in: the best evidenced test's side with `otherPolarityZ`
    /// (`detectedBright` when neither test has evidence), else `detectedBright`.
    private var polarityInUse: Bool {
        guard let other = otherPolarityZ else { return detectedBright! }
        let own = polarityTest.z
        let best = abs(other) > abs(own) ? other : own
        return best == 0 ? detectedBright! : best > 0
    }
    private var framesSinceCheck = 0
    /// Excess response (`RidgeThreshold.excessResponse`) of each polarity summed over the checks.
    private var polarityEvidence = (dark: 0.0, bright: 0.0)
    /// The same evidence tile by tile, tested (`polarityAlpha`); read by diagnostics whatever
    /// the setting (`TEMPolarityTest.z`).
    public private(set) var polarityTest = TEMPolarityTest()
    /// Whether the polarity in use is significant (`polarityAlpha`; always true when off).
    public private(set) var polaritySignificant = true
    private var polarityWasSignificant = false
    /// Frames detected so far, and the first (1-based) at which the polarity test was
    /// significant, for diagnostics (`polarityAlpha`).
    public private(set) var framesSeen = 0
    public private(set) var firstSignificantFrame: Int?
    /// `temporalLongPooledGate`: the plain polarity test pooled over every frame seen so far,
    /// until its first significant look (nil: off). Read by `TEMTemporalWindow`'s undecided gate.
    public private(set) var gatePolarityTest: TEMPolarityTest?
    /// `gatePolarityTest` with the polarity the plain frames are read in (`detectedBright`).
    public var gatePolarity: (test: TEMPolarityTest, readBright: Bool)? {
        gatePolarityTest.map { ($0, detectedBright ?? false) }
    }
    private var gateDecided = false
    /// `polarityPooledSticky`: the extra seeds held on by an earlier significant look.
    private var pooledHeld = false
    /// `nullTest`: the null curves' largest statistic per recent null frame, and frames since
    /// the last null frame.
    private var nullWindow: CurveNullTest.Window
    private var framesSinceNull = 0
    /// A curve of one polarity running alongside a stronger curve (mean response) of the other
    /// is that curve's flank (`CurveNullTest.notFlanks`); 1: the rule is the same for both sets.
    static let flankRatio = 1.0
    /// Keep what diagnostics read (`lastCandidates`, the response map): off in jobs.
    public var recordStages = false
    /// Whether a polarity check reads the other polarity by recombining the frame's smoothed
    /// planes (`RidgeFilter.applyOpposite`) where it can: the same maps as filtering the frame
    /// again, one blur per check instead of two or three. False: the filter runs again (the path
    /// before, kept as the reference `TEMPolarityCheckRecombineTests` compares with).
    var checksByRecombining = true
    /// The last frame's thresholds on its response map (median, σ, low, high), for diagnostics.
    public private(set) var lastThresholds: (median: Float, sigma: Float, low: Float, high: Float) = (0, 0, 0, 0)
    /// With `recordStages`: the last frame's traced and fitted curves before the curve rules
    /// (band edges, slip traces, relative response), for diagnostics.
    public private(set) var lastCandidates: [[TEMPoint]] = []
    /// With `recordStages`: the last frame's hysteresis mask (1 on kept pixels, before thinning)
    /// and the tracer's pixel paths (before corner cuts, end growth and fitting), for diagnostics.
    public private(set) var lastHysteresis: [UInt8] = []
    public private(set) var lastTraced: [[TEMPoint]] = []
    /// With `recordStages`: the last frame's skeleton (1 on its pixels), for diagnostics.
    public private(set) var lastSkeleton: [UInt8] = []
    /// With `recordStages`: the last frame's traced paths after the corner cuts, and which of
    /// their points were kept through the averaged map's seeds alone, for diagnostics.
    public private(set) var lastPaths: [[TEMPoint]] = []
    public private(set) var lastPathExtra: [[Bool]] = []

    /// The last frame's response map (as thresholded), for diagnostics.
    public func lastResponse() -> [Float] { response }
    /// The last frame's quantised line normals (`RidgeFilter.apply`'s codes), for diagnostics.
    public func lastNormal() -> [Float] { normal }

    public init(config: TEMDetectorConfig = TEMDetectorConfig()) {
        self.config = config
        nullWindow = CurveNullTest.Window(size: config.nullWindow)
    }

    /// Detects the dislocations of one frame (row-major, any value range).
    public mutating func detect(_ frame: UnsafeBufferPointer<Float>, width: Int, height: Int) -> [TEMCurve] {
        let n = width * height
        guard width >= 8, height >= 8, frame.count >= n else { return [] }
        if flat.count != n {
            flat = [Float](repeating: 0, count: n); response = flat; sums = flat
            normal = flat; averaged = flat; destriped = flat; mask = [UInt8](repeating: 0, count: n)
        }
        var cfg = config
        let localised = cfg.noiseNormalised && cfg.scaleChoice == .localised
        if localised && location.count != n { location = [Float](repeating: 0, count: n) }
        // Destriped only when the frame has stripes beyond its noise; else the frame itself.
        let striped = cfg.destripe
            && destriped.withUnsafeMutableBufferPointer { FrameDestripe.apply(frame, width: width, height: height, into: $0) }
        // The frame as the filter sees it: destriped when it had stripes, else the frame itself (no copy).
        func source<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R {
            striped ? destriped.withUnsafeBufferPointer(body) : body(frame)
        }
        if cfg.flattenRadius > 0 {
            flat.withUnsafeMutableBufferPointer { f in sums.withUnsafeMutableBufferPointer { s in
                source { Self.flatten($0, width: width, height: height, radius: cfg.flattenRadius, into: f, scratch: s) }
            } }
        }
        // Without flattening the filter reads the frame itself (no copy).
        var ridge = RidgeFilter.Workspace()
        swap(&ridge, &self.ridge) // move, not copy: a shared buffer would be copied on write
        func filter(_ f: UnsafeBufferPointer<Float>) {
            response.withUnsafeMutableBufferPointer { r in normal.withUnsafeMutableBufferPointer { nb in
                location.withUnsafeMutableBufferPointer { loc in
                    RidgeFilter.apply(f, width: width, height: height, scales: cfg.scales, beta: cfg.beta,
                                      brightLines: cfg.brightLines, scaleExponent: cfg.scaleExponent,
                                      noiseNormalised: cfg.noiseNormalised, pairGuard: cfg.pairGuard,
                                      scaleChoice: cfg.scaleChoice, noiseStride: cfg.fullFrameStatistics ? 1 : 13,
                                      response: r, normal: nb,
                                      location: localised ? loc : nil, workspace: &ridge)
                }
            } }
        }
        func filterFrame(bright: Bool) {
            cfg.brightLines = bright
            if cfg.flattenRadius > 0 { flat.withUnsafeBufferPointer { filter($0) } } else { source { filter($0) } }
            guard cfg.tangentHalfLength > 0 else { return }
            response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in averaged.withUnsafeMutableBufferPointer { a in
                RidgeTangentAverage.apply(response: r, normal: nb, width: width, height: height, halfLength: cfg.tangentHalfLength, out: a)
            } } }
            swap(&response, &averaged)
        }
        framesSeen += 1
        let pooled = cfg.autoPolarity && cfg.polarityAlpha > 0 && cfg.polarityPooled && cfg.tangentHalfLength == 0
            && cfg.polarityTangentHalfLength == 0 && !localised
        if pooled {
            // Every frame: the polarity in use filtered, the other read from the same planes, and
            // both polarities' tiles added to the test; the totals the plain rule reads only at the
            // checks (so the plain seeds' polarity is the test-free rule's to the bit).
            let current = detectedBright ?? false
            let check = detectedBright == nil || framesSinceCheck >= cfg.polarityCheckInterval
            filterFrame(bright: current)
            if spare.response.count != n { spare = (flat, flat, localised ? flat : []) }
            spare.response.withUnsafeMutableBufferPointer { r in spare.normal.withUnsafeMutableBufferPointer { nb in
                RidgeFilter.applyOpposite(width: width, height: height, scales: cfg.scales.count, beta: cfg.beta,
                                          pairGuard: cfg.pairGuard, response: r, normal: nb, workspace: &ridge)
            } }
            let block = max(8, cfg.polarityBlock)
            var sameTiles: [Double] = [], otherTiles: [Double] = []
            let same = response.withUnsafeBufferPointer {
                RidgeThreshold.excessResponse($0, high: cfg.highThreshold, width: width, block: block, blocks: &sameTiles)
            }
            let other = spare.response.withUnsafeBufferPointer {
                RidgeThreshold.excessResponse($0, high: cfg.highThreshold, width: width, block: block, blocks: &otherTiles)
            }
            polarityTest.alpha = cfg.polarityAlpha
            polarityTest.randomisations = cfg.polarityRandomisations
            polarityTest.add(dark: current ? otherTiles : sameTiles, bright: current ? sameTiles : otherTiles)
            var side = current
            if check {
                polarityEvidence.dark += current ? other : same
                polarityEvidence.bright += current ? same : other
                framesSinceCheck = 0
            }
            let tested = polarityTest.bright
            if cfg.polarityPooledOverride, let t = tested {
                polarityWasSignificant = true
                side = t
            } else if check && !(cfg.polarityPooledOverride && polarityWasSignificant) {
                side = polarityEvidence.bright > polarityEvidence.dark
            }
            if cfg.polarityPooledSticky {
                // Significant either way decides; not significant holds, unless the plain side moved.
                if tested != nil { pooledHeld = tested == side } else if side != current { pooledHeld = false }
                polaritySignificant = pooledHeld
            } else {
                polaritySignificant = tested == side
            }
            if polaritySignificant && firstSignificantFrame == nil { firstSignificantFrame = framesSeen }
            if side != current {
                // The other polarity's maps are the frame's now.
                swap(&response, &spare.response); swap(&normal, &spare.normal)
            }
            cfg.brightLines = side
            detectedBright = side
            framesSinceCheck += 1
        } else if cfg.autoPolarity {
            let interval = cfg.polarityAlpha > 0 && !polaritySignificant && cfg.polarityUndecidedInterval > 0
                ? cfg.polarityUndecidedInterval : cfg.polarityCheckInterval
            // `temporalLongPooledGate`: every frame's tiles of both polarities into the gate's test
            // (the checks' own tiles at a check), until its first significant look. Read on the plain
            // response only (not with an averaged polarity map, `tangentHalfLength` or localised NMS).
            let gate = cfg.temporalLongPooledGate && cfg.temporalLongFrames > 0 && cfg.temporalLongUndecidedAlpha > 0
                && !gateDecided && !localised && cfg.tangentHalfLength == 0
                && !(cfg.polarityAlpha > 0 && cfg.polarityTangentHalfLength > 0)
            func addToGate(dark: [Double], bright: [Double]) {
                var test = gatePolarityTest ?? TEMPolarityTest()
                test.alpha = cfg.temporalLongUndecidedAlpha
                test.randomisations = 999
                test.add(dark: dark, bright: bright)
                gatePolarityTest = test
                gateDecided = test.significant
            }
            if detectedBright == nil || framesSinceCheck >= interval {
                // Both polarities' excess response is summed over every check of the video: the
                // decision is the video's, and one frame of faint lines cannot flip it by chance.
                let current = detectedBright ?? false
                let block = max(8, cfg.polarityBlock)
                let averaged = cfg.polarityAlpha > 0 ? cfg.polarityTangentHalfLength : 0
                func excess(_ tiles: inout [Double]) -> Double {
                    guard averaged > 0 else {
                        return response.withUnsafeBufferPointer {
                            RidgeThreshold.excessResponse($0, high: cfg.highThreshold, width: width, block: block, blocks: &tiles)
                        }
                    }
                    // The averaged map at the pixels the plain excess reads (every 7th).
                    let sample = response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
                        RidgeTangentAverage.sample(response: r, normal: nb, width: width, height: height, halfLength: averaged, stride: 7)
                    } }
                    return sample.withUnsafeBufferPointer {
                        RidgeThreshold.excessResponse($0, high: cfg.highThreshold, width: width, block: block, blocks: &tiles,
                                                      stride: 1, spacing: 7, pixels: n)
                    }
                }
                var otherTiles: [Double] = [], sameTiles: [Double] = []
                // Without a location map or an averaged map the other polarity is the same
                // smoothed planes recombined with the weights negated (`RidgeFilter.applyOpposite`,
                // bit for bit a second `apply`): the frame is blurred once per check, not twice or
                // three times. Its maps go to the spare buffers and become the frame's when the
                // check moves the polarity.
                let recombine = checksByRecombining && !localised && cfg.tangentHalfLength == 0
                let other: Double, same: Double
                if recombine {
                    filterFrame(bright: current)
                    same = excess(&sameTiles)
                    if spare.response.count != n { spare = (flat, flat, []) }
                    swap(&response, &spare.response); swap(&normal, &spare.normal)
                    response.withUnsafeMutableBufferPointer { r in normal.withUnsafeMutableBufferPointer { nb in
                        RidgeFilter.applyOpposite(width: width, height: height, scales: cfg.scales.count, beta: cfg.beta,
                                                  pairGuard: cfg.pairGuard, response: r, normal: nb, workspace: &ridge)
                    } }
                    other = excess(&otherTiles)
                    swap(&response, &spare.response); swap(&normal, &spare.normal)
                } else {
                    filterFrame(bright: !current)
                    other = excess(&otherTiles)
                    filterFrame(bright: current)
                    same = excess(&sameTiles)
                }
                polarityEvidence.dark += current ? other : same
                polarityEvidence.bright += current ? same : other
                polarityTest.alpha = cfg.polarityAlpha
                polarityTest.randomisations = cfg.polarityRandomisations
                polarityTest.add(dark: current ? otherTiles : sameTiles, bright: current ? sameTiles : otherTiles)
                if gate { addToGate(dark: current ? otherTiles : sameTiles, bright: current ? sameTiles : otherTiles) }
                let larger = polarityEvidence.bright > polarityEvidence.dark
                if cfg.polarityAlpha > 0 {
                    // Significant: the test's side. Not significant: the polarity stays once it has
                    // been significant (evidence that contradicts itself changes nothing), else the
                    // larger total decides, as without the test (a first check read the wrong way
                    // is corrected as the plain rule corrects it).
                    polaritySignificant = polarityTest.significant
                    if polaritySignificant && firstSignificantFrame == nil { firstSignificantFrame = framesSeen }
                    if let side = polarityTest.bright { polarityWasSignificant = true; detectedBright = side }
                    else if !polarityWasSignificant { detectedBright = larger }
                } else {
                    detectedBright = larger
                }
                let use = polarityInUse
                if use != current {
                    if recombine {
                        swap(&response, &spare.response); swap(&normal, &spare.normal)
                        cfg.brightLines = use
                    } else {
                        filterFrame(bright: use)
                    }
                }
                framesSinceCheck = 0
            } else {
                filterFrame(bright: polarityInUse)
                if gate {
                    // The other polarity recombined from the same smoothed planes into the spare
                    // buffers; the frame's own maps are left as they are.
                    let use = cfg.brightLines
                    let block = max(8, cfg.polarityBlock)
                    var sameTiles: [Double] = [], otherTiles: [Double] = []
                    _ = response.withUnsafeBufferPointer {
                        RidgeThreshold.excessResponse($0, high: cfg.highThreshold, width: width, block: block, blocks: &sameTiles)
                    }
                    if spare.response.count != n { spare = (flat, flat, []) }
                    spare.response.withUnsafeMutableBufferPointer { r in spare.normal.withUnsafeMutableBufferPointer { nb in
                        RidgeFilter.applyOpposite(width: width, height: height, scales: cfg.scales.count, beta: cfg.beta,
                                                  pairGuard: cfg.pairGuard, response: r, normal: nb, workspace: &ridge)
                    } }
                    _ = spare.response.withUnsafeBufferPointer {
                        RidgeThreshold.excessResponse($0, high: cfg.highThreshold, width: width, block: block, blocks: &otherTiles)
                    }
                    addToGate(dark: use ? otherTiles : sameTiles, bright: use ? sameTiles : otherTiles)
                }
            }
            framesSinceCheck += 1
        } else {
            filterFrame(bright: config.brightLines)
        }
        // `polarityAlpha`: while the polarity is not significant the frame is read with the plain
        // seeds alone, and persistence starts over once it is.
        if cfg.polarityAlpha > 0 && !polaritySignificant && cfg.seedTangentHalfLength > 0 {
            cfg.seedTangentHalfLength = 0
            persistence.reset()
            curvePersistence.reset()
        }
        // The averaged map is written whole only for the flank test; else it is read at the
        // candidate pixels alone (`traceCurves`).
        if cfg.seedTangentHalfLength > 0 && cfg.seedFlankReach > 0 {
            averageForSeeds(width: width, height: height, halfLength: cfg.seedTangentHalfLength)
            do {
                // The other polarity filtered into the spare buffers (the frame's own maps kept),
                // averaged along its own lines into `flankMap`.
                let polarity = cfg.brightLines
                if spare.response.count != n { spare = (flat, flat, localised ? flat : []) }
                if flankMap.count != n { flankMap = flat }
                swap(&response, &spare.response); swap(&normal, &spare.normal); swap(&location, &spare.location)
                filterFrame(bright: !polarity)
                response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in flankMap.withUnsafeMutableBufferPointer { a in
                    RidgeTangentAverage.apply(response: r, normal: nb, width: width, height: height,
                                              halfLength: cfg.seedTangentHalfLength, out: a)
                } } }
                swap(&response, &spare.response); swap(&normal, &spare.normal); swap(&location, &spare.location)
                cfg.brightLines = polarity
            }
        }
        // With `joinGapEvidence`: one null for the frame's gap tests (tracer bridges and piece
        // joins), built on the first gap tested.
        let gapNull = cfg.joinGapEvidence > 0 ? Self.frameNull(cfg) : nil
        var (curves, straightness, extra) = traceCurves(width: width, height: height, config: cfg, null: gapNull)
        if cfg.nullTest {
            let polarity = cfg.brightLines
            if framesSinceNull == 0 {
                // The opposite polarity's curves: the frame's own null (CurveNullTest).
                filterFrame(bright: !polarity)
                cfg.brightLines = polarity
                let null = traceCurves(width: width, height: height, config: cfg).curves
                let reach = 2 * (cfg.scales.max() ?? 1) + 2
                let keep = CurveNullTest.notFlanks(curves, of: null, distance: reach, ratio: Self.flankRatio)
                let nullKept = CurveNullTest.notFlanks(null, of: curves, distance: reach, ratio: Self.flankRatio)
                nullWindow.add(nullKept.map { CurveNullTest.statistic(null[$0]) })
                curves = keep.map { curves[$0] }; straightness = keep.map { straightness[$0] }; extra = keep.map { extra[$0] }
            }
            framesSinceNull = (framesSinceNull + 1) % max(1, cfg.nullInterval)
            let t = nullWindow.threshold
            let pass = curves.indices.filter { CurveNullTest.statistic(curves[$0]) > t }
            curves = pass.map { curves[$0] }; straightness = pass.map { straightness[$0] }; extra = pass.map { extra[$0] }
        }
        self.ridge = ridge
        if recordStages { lastCandidates = curves.map(\.points) }
        if cfg.stepRatio > 0 {
            let bright = cfg.brightLines
            let lines = source { f in
                curves.indices.filter { i in
                    guard let p = CurveSides.profile(curves[i].points, frame: f, width: width, height: height, bright: bright),
                          p.isStep(bright: bright, ratio: cfg.stepRatio) else { return true }
                    guard cfg.stepDipAlpha > 0, !cfg.stepDipBowed || straightness[i] > cfg.traceMaxRMS,
                          let dip = CurveSides.dip(curves[i].points, frame: f, width: width, height: height, bright: bright) else { return false }
                    return dip.pValue <= cfg.stepDipAlpha
                }
            }
            curves = lines.map { curves[$0] }; straightness = lines.map { straightness[$0] }; extra = lines.map { extra[$0] }
        }
        var survivors = Self.slipTraceSurvivors(curves, rms: straightness, config: cfg, width: width, height: height)
        // After the slip-trace rule: its faint level is relative to the frame's other curves, so
        // removing curves before it would raise that level and drop more.
        if cfg.dipAlpha > 0 {
            let bright = cfg.brightLines
            survivors = source { f in
                survivors.filter { i in
                    guard let d = CurveSides.dip(curves[i].points, frame: f, width: width, height: height, bright: bright) else { return true }
                    return d.pValue <= cfg.dipAlpha
                }
            }
        }
        // `extraCurvePersistence`: the extra seeds' curves only where a candidate lay in the frame
        // before; every candidate (this rule's refusals too) is the next frame's previous set.
        if cfg.extraCurvePersistence && cfg.seedPersistence && cfg.seedTangentHalfLength > 0 && cfg.seedFlankReach <= 0 {
            let bright = cfg.brightLines
            let shift = persistence.lastShift, reach = persistence.lastReach
            let candidates = survivors
            survivors = candidates.filter { i in
                !extra[i] || curvePersistence.persists(curves[i].points, shift: shift, reach: reach, width: width, height: height, bright: bright)
            }
            curvePersistence.remember(candidates.map { curves[$0].points }, width: width, height: height, bright: bright)
        }
        var kept = survivors.map { curves[$0] }
        if cfg.contrastAlpha > 0 && !kept.isEmpty {
            let bright = cfg.brightLines
            kept = source { f in
                guard let level = CurveContrast.level(frame: f, width: width, height: height, bright: bright) else { return kept }
                return kept.filter { c in
                    guard let d = CurveContrast.depth(c.points, frame: f, width: width, height: height, bright: bright) else { return true }
                    return CurveContrast.stands(d, above: level, alpha: cfg.contrastAlpha)
                }
            }
        }
        // Pieces of one line cut where its contrast fades or another line crosses it are one
        // dislocation: joined here, so rows, tracking and evaluation all see lines.
        guard cfg.joinPieces else { return kept }
        let accept = cfg.joinGapEvidence > 0 && kept.count > 1 && !cfg.nullTest // (the null test leaves the other polarity's map)
            ? TEMPieceJoinEvidence.rule(cfg, response: response, normal: normal, median: lastThresholds.median,
                                        sigma: lastThresholds.sigma, width: width, height: height, pieces: kept.map(\.points),
                                        null: gapNull)
            : nil
        return TEMFragmentGrouping.joinedCurves(kept, samples: cfg.samples, accept: accept)
    }

    /// `seedMap` = the current response averaged along each pixel's line over 2m + 1 pixels.
    private mutating func averageForSeeds(width: Int, height: Int, halfLength m: Int) {
        if seedMap.count != width * height { seedMap = [Float](repeating: 0, count: width * height) }
        response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in seedMap.withUnsafeMutableBufferPointer { a in
            RidgeTangentAverage.apply(response: r, normal: nb, width: width, height: height, halfLength: m, out: a)
        } } }
    }

    /// Thresholds the current response (NMS + hysteresis at the frame's own robust statistics),
    /// thins, traces and fits the curves; with each curve its RMS distance to its principal line.
    /// `frameNull`: the frame's gap null, shared with the piece joins (nil: one of its own).
    private mutating func traceCurves(width: Int, height: Int, config cfg: TEMDetectorConfig,
                                      null frameNull: TEMPieceJoinEvidence.FrameNull? = nil) -> (curves: [TEMCurve], rms: [Double], extra: [Bool]) {
        let stats = response.withUnsafeBufferPointer { RidgeThreshold.robustStats($0, stride: cfg.fullFrameStatistics ? 1 : 29) }
        // Median/MAD of the positive responses: dominated by noise, so the thresholds follow each
        // frame's noise level (σ guarded against 0 on synthetic, noise-free frames).
        let sigma = max(stats.sigma, 1e-6)
        let low = stats.median + cfg.lowThreshold * sigma, high = stats.median + cfg.highThreshold * sigma
        lastThresholds = (stats.median, sigma, low, high)
        let localised = cfg.noiseNormalised && cfg.scaleChoice == .localised
        let record = recordStages
        var hysteresis: [UInt8] = []
        // The seed map's own level: the same false-alarm rate on its own null. Written whole only
        // for the flank test (`seedFlankReach`); else its statistics come from the pixels
        // `robustStats` would sample and its values are read at the candidates alone.
        let half = cfg.seedTangentHalfLength
        let seeding = half > 0 && cfg.seedFlankReach > 0 && seedMap.count == width * height
        let lazySeeds = half > 0 && cfg.seedFlankReach <= 0
        let seedHigh: Float
        if seeding {
            seedHigh = seedMap.withUnsafeBufferPointer { s in
                let st = RidgeThreshold.robustStats(s)
                return st.median + cfg.highThreshold * max(st.sigma, 1e-6)
            }
        } else if lazySeeds {
            let sample = response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
                RidgeTangentAverage.sample(response: r, normal: nb, width: width, height: height, halfLength: half)
            } }
            let st = sample.withUnsafeBufferPointer { RidgeThreshold.robustStats($0, stride: 1) }
            seedHigh = st.median + cfg.highThreshold * max(st.sigma, 1e-6)
        } else {
            seedHigh = .infinity
        }
        var persistence = self.persistence
        defer { self.persistence = persistence }
        let persist = lazySeeds && cfg.seedPersistence
        // `seedStraightTraces`: the pixels kept through the averaged map's seeds alone (also read
        // by `extraCurvePersistence`, which tags the paths made mostly of them).
        let traceRule = lazySeeds && cfg.seedStraightTraces
        let tagExtra = traceRule || (persist && cfg.extraCurvePersistence)
        var extraKept = Set<Int>()
        let bright = cfg.brightLines
        if seeding && cfg.seedFlankReach > 0 && flankMap.count == width * height {
            response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
                seedMap.withUnsafeMutableBufferPointer { s in flankMap.withUnsafeBufferPointer { f in
                    _ = SeedFlanks.suppress(seeds: s, opposite: f, response: r, normal: nb, width: width, height: height,
                                            seedHigh: seedHigh, high: high, reach: cfg.seedFlankReach)
                } }
            } }
        }
        let raw = response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in mask.withUnsafeMutableBufferPointer { m in
            let kept = location.withUnsafeBufferPointer { loc in seedMap.withUnsafeBufferPointer { sm in
                // Lazy seeds: the average at each candidate not yet kept (and, for the persistence
                // test, at every candidate: the frame's level set).
                let extra: ((_ candidates: [Int], _ mask: UnsafeMutableBufferPointer<UInt8>) -> Void)? = lazySeeds ? { candidates, mk in
                    let rp = r.baseAddress!, np = nb.baseAddress!
                    var seeds: [Int] = [], level: [Int] = [], free: [Int] = []
                    for i in candidates where persist || mk[i] == 1 {
                        if tagExtra && mk[i] == 1 { free.append(i) }
                        guard RidgeTangentAverage.value(at: i, response: rp, normal: np, width: width, height: height,
                                                        halfLength: half) >= seedHigh else { continue }
                        if persist { level.append(i) }
                        if mk[i] == 1 { seeds.append(i) }
                    }
                    if persist {
                        persistence.markPersistent(extra: seeds, level: level, mask: mk, width: width, height: height, bright: bright)
                    } else {
                        RidgeThreshold.flood(from: seeds, mask: mk, width: width)
                    }
                    for i in free where mk[i] == 2 { extraKept.insert(i) }
                } : nil
                return RidgeThreshold.suppressAndLink(response: r, normal: nb, width: width, height: height, low: low, high: high, into: m,
                                               location: localised ? loc : nil, sigma: sigma,
                                               pathFalseComponents: cfg.pathFalseComponents,
                                               seeds: seeding ? sm : nil, seedHigh: seedHigh, extraSeeds: extra)
            } }
            if record { hysteresis = Array(m) }
            let skeleton = Thinning.zhangSuen(m, width: width, height: height, pixels: kept)
            // With `joinGapEvidence` the tracer's gap bridges need the same evidence as piece joins.
            var gapTest: ((TEMPoint, TEMPoint) -> Bool)?
            if cfg.joinGapEvidence > 0 {
                let null = frameNull ?? Self.frameNull(cfg)
                gapTest = { a, b in
                    TEMPieceJoinEvidence.gapPasses(from: a, to: b, r, nb, width: width, height: height, median: stats.median,
                                                   sigma: sigma, config: cfg, null: null)
                }
            }
            return CenterlineTracer.trace(m, width: width, height: height, options: cfg.tracer, pixels: skeleton, response: r, gapTest: gapTest)
        } } }
        if record { lastTraced = raw; lastHysteresis = hysteresis; lastSkeleton = mask.map { $0 & 1 } }
        var curves: [TEMCurve] = []
        var straightness: [Double] = []
        var extra: [Bool] = []
        var paths: [[TEMPoint]]
        if cfg.cornerTurnDegrees > 0 && cfg.cornerContinuationAlpha > 0 {
            // The frame's null of the path statistic, shared with the gap tests when they run
            // (built at the first corner).
            let null = frameNull ?? Self.frameNull(cfg)
            let reading = CornerContinuation.Reading(armOffset: cfg.cornerContinuationArmOffset, across: cfg.cornerContinuationAcross,
                                                     clearance: cfg.cornerContinuationClearance)
            let minArm = cfg.cornerContinuationArmsLines ? cfg.minLength : 0
            let always = CornerContinuation.Always(maxTurnDegrees: cfg.cornerContinuationMaxTurn, straightRMS: cfg.traceMaxRMS,
                                                   straightMinLength: cfg.traceMinLength, bothStraight: cfg.cornerContinuationStraightArms,
                                                   acrossFraction: cfg.cornerContinuationTraceArm ? cfg.traceFieldFraction : 0)
            paths = response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
                raw.flatMap {
                    CornerContinuation.split($0, span: cfg.cornerSpan, maxTurnDegrees: cfg.cornerTurnDegrees,
                                             alpha: cfg.cornerContinuationAlpha, reading: reading, minArm: minArm, always: always,
                                             response: r, normal: nb,
                                             width: width, height: height, median: stats.median, sigma: sigma) {
                        null.get(response: r, normal: nb, width: width, height: height, median: stats.median, sigma: sigma)
                    }
                }
            } }
        } else if cfg.cornerTurnDegrees > 0 {
            paths = raw.flatMap { CurveCorners.split($0, span: cfg.cornerSpan, maxTurnDegrees: cfg.cornerTurnDegrees) }
        } else {
            paths = raw
        }
        func isExtra(_ p: TEMPoint) -> Bool { extraKept.contains(Int(p.y) * width + Int(p.x)) }
        if record {
            lastPaths = paths
            lastPathExtra = paths.map { $0.map(isExtra) }
        }
        // `extraStraightParts`: paths with extra points that are mostly one straight part (against
        // the frame's own scatter, read on every path long enough) dropped or cut back.
        if traceRule && cfg.extraStraightParts && !extraKept.isEmpty {
            let scatter = ExtraStraightParts.windowScatter(paths.filter { TEMPolyline.length($0) >= cfg.minLength },
                                                           window: cfg.extraStraightWindow)
            if let tol = ExtraStraightParts.tolerance(scatter, quantile: cfg.extraStraightQuantile) {
                // The straight part must be a curve's length on its own (`minLength`); a mixed path
                // is cut back to its plain points.
                let minStraight = Int((cfg.extraStraightMinLength > 0 ? cfg.extraStraightMinLength : cfg.minLength).rounded(.up))
                let minRun = max(1, cfg.extraStraightMinRun)
                paths = paths.flatMap { p -> [[TEMPoint]] in
                    guard TEMPolyline.length(p) >= cfg.minLength else { return [p] }
                    return ExtraStraightParts.cut(p, extra: p.map(isExtra), tolerance: tol, minStraight: minStraight, minRun: minRun)
                }
            }
        }
        for traced in paths where traced.count >= 2 {
            guard TEMPolyline.length(traced) >= cfg.minLength else { continue }
            let mostlyExtra = !extraKept.isEmpty
                && 2 * traced.filter(isExtra).count > traced.count
            if traceRule && mostlyExtra
                && TEMPolyline.length(traced) >= cfg.traceMinLength
                && Self.lineRMS(TEMPolyline.resample(traced, spacing: 1)) <= cfg.traceMaxRMS { continue }
            let pts = response.withUnsafeBufferPointer {
                Self.extendEnds(traced, response: $0, width: width, height: height, threshold: low, maxSteps: cfg.maxEndExtension)
            }
            var meanR = 0.0
            response.withUnsafeBufferPointer { r in
                for p in pts { meanR += Double(r[Int(p.y) * width + Int(p.x)]) }
            }
            meanR /= Double(pts.count)
            let dense = TEMPolyline.resample(pts, spacing: 1)
            let smooth = SmoothingSpline.smooth(dense, lambda: cfg.smoothing)
            let length = TEMPolyline.length(smooth)
            guard length >= cfg.minLength else { continue }
            let even = TEMPolyline.resample(smooth, spacing: 1)
            let kappa = TEMPolyline.curvature(even, halfWindow: 4)
            let inner = kappa.count > 8 ? Array(kappa[4..<(kappa.count - 4)]) : kappa
            curves.append(TEMCurve(
                points: TEMPolyline.resample(smooth, count: cfg.samples), lengthPx: length,
                meanCurvature: inner.isEmpty ? 0 : inner.reduce(0, +) / Double(inner.count),
                maxCurvature: inner.max() ?? 0, meanResponse: meanR))
            straightness.append(Self.lineRMS(even))
            extra.append(mostlyExtra)
        }
        return (curves, straightness, extra)
    }

    /// A frame's gap null long enough for the tracer's bridges and the piece joins alike.
    static func frameNull(_ cfg: TEMDetectorConfig) -> TEMPieceJoinEvidence.FrameNull {
        TEMPieceJoinEvidence.FrameNull(maxSamples: max(Int(cfg.tracer.gapJoin.rounded(.up)) + 1, TEMPieceJoinEvidence.joinSamples))
    }

    /// Convenience over an array.
    public mutating func detect(_ frame: [Float], width: Int, height: Int) -> [TEMCurve] {
        frame.withUnsafeBufferPointer { detect($0, width: width, height: height) }
    }

    /// Slip traces are long, straight and faint. The reference response is the upper quartile of
    /// the frame's long curves (a fragmented trace can outnumber the dislocations of a sparse
    /// frame, so not the median), or of all curves if none is long.
    static func dropSlipTraces(_ curves: [TEMCurve], rms: [Double], config: TEMDetectorConfig,
                               width: Int = 0, height: Int = 0) -> [TEMCurve] {
        slipTraceSurvivors(curves, rms: rms, config: config, width: width, height: height).map { curves[$0] }
    }

    /// `dropSlipTraces`' kept curves as indices into `curves`, in order.
    static func slipTraceSurvivors(_ curves: [TEMCurve], rms: [Double], config: TEMDetectorConfig,
                                   width: Int = 0, height: Int = 0) -> [Int] {
        let long = curves.indices.map { curves[$0].lengthPx >= config.faintMinLength }
        let straight = curves.indices.map { rms[$0] <= config.traceMaxRMS && curves[$0].lengthPx >= config.traceMinLength }
        let across = config.traceFieldFraction > 0 && config.traceFaintRatio > 0
            ? acrossTheField(curves, straight: straight, width: width, height: height, fraction: config.traceFieldFraction)
            : curves.map { _ in false }
        // The reference counts the lines across the field too: they are the frame's contrast as
        // much as the dislocations are (without them smooth real frames let their texture through).
        var ref = curves.indices.filter { long[$0] }.map { curves[$0].meanResponse }
        if ref.isEmpty { ref = curves.map { $0.meanResponse } }
        guard !ref.isEmpty else { return Array(curves.indices) }
        ref.sort()
        let median = ref[(3 * ref.count) / 4]
        return curves.indices.filter {
            let r = curves[$0].meanResponse
            let faint = r < config.traceFaintRatio * median
            return !across[$0] && !(faint && (straight[$0] || curves[$0].lengthPx < config.faintMinLength)) && r >= config.minRelativeResponse * median
        }
    }

    /// Which straight curves lie on a line across the field: grouped with the other straight
    /// curves on the same line (directions within 3°, centroids within 3 px of the line), they
    /// cover at least `fraction` of the line's chord through the frame (and 40 px). Slip traces
    /// and slip-band edges cross the field; dislocations of a pile-up end at them.
    static func acrossTheField(_ curves: [TEMCurve], straight: [Bool], width: Int, height: Int, fraction: Double) -> [Bool] {
        guard width > 1, height > 1 else { return curves.map { _ in false } }
        let lines = curves.indices.map { i -> (c: TEMPoint, u: TEMPoint)? in
            guard straight[i], let a = curves[i].points.first, let b = curves[i].points.last else { return nil }
            let d = b - a, len = TEMPolyline.norm(d)
            return len > 1e-9 ? (TEMPolyline.centroid(curves[i].points), d * (1 / len)) : nil
        }
        let cosTol = cos(3 * Double.pi / 180)
        return curves.indices.map { i in
            guard let li = lines[i] else { return false }
            var covered = 0.0
            for j in curves.indices {
                guard let lj = lines[j], abs((li.u * lj.u).sum()) >= cosTol else { continue }
                let q = lj.c - li.c
                guard abs(q.x * li.u.y - q.y * li.u.x) <= 3 else { continue }
                covered += curves[j].lengthPx
            }
            let chord = frameChord(through: li.c, along: li.u, width: width, height: height)
            return chord.isFinite && covered >= 40 && covered >= fraction * chord
        }
    }

    /// Length (px) of the chord through the frame of the line through `p` along the unit vector `u`.
    static func frameChord(through p: TEMPoint, along u: TEMPoint, width: Int, height: Int) -> Double {
        var lo = -Double.infinity, hi = Double.infinity
        for (q, v, limit) in [(p.x, u.x, Double(width - 1)), (p.y, u.y, Double(height - 1))] where abs(v) > 1e-9 {
            let a = -q / v, b = (limit - q) / v
            lo = max(lo, min(a, b)); hi = min(hi, max(a, b))
        }
        return hi - lo
    }

    /// Grows both ends of a traced pixel path straight on while the response stays ≥ threshold.
    static func extendEnds(_ p: [TEMPoint], response: UnsafeBufferPointer<Float>, width: Int, height: Int,
                           threshold: Float, maxSteps: Int) -> [TEMPoint] {
        guard maxSteps > 0, p.count >= 4 else { return p }
        func grow(_ end: Int) -> [TEMPoint] {
            let (tip, d) = CenterlineTracer.endGeometry(p, end: end, span: 8)
            var out: [TEMPoint] = []
            for k in 1...maxSteps {
                let q = tip + Double(k) * d
                let x = Int(q.x.rounded()), y = Int(q.y.rounded())
                guard x >= 0, y >= 0, x < width, y < height, response[y * width + x] >= threshold else { break }
                out.append(q)
            }
            return out
        }
        return grow(0).reversed() + p + grow(1)
    }

    /// RMS distance of the points to their principal line.
    static func lineRMS(_ p: [TEMPoint]) -> Double {
        guard p.count >= 3 else { return 0 }
        let c = TEMPolyline.centroid(p)
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for q in p { let d = q - c; sxx += d.x * d.x; syy += d.y * d.y; sxy += d.x * d.y }
        let tr = sxx + syy, det = sxx * syy - sxy * sxy
        // Clamp the discriminant: for a point set spread equally every way it rounds to a tiny
        // negative, whose square root (NaN) would read as a perfectly straight line.
        let small = tr / 2 - max(0, tr * tr / 4 - det).squareRoot()
        return (max(0, small) / Double(p.count)).squareRoot()
    }

    /// frame − box mean of radius r (running sums: O(1) per pixel whatever r).
    static func flatten(_ src: UnsafeBufferPointer<Float>, width: Int, height: Int, radius r: Int,
                        into dst: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>) {
        let s = src.baseAddress!, t = scratch.baseAddress!, d = dst.baseAddress!
        // Horizontal running box sums into scratch.
        for y in 0..<height {
            let row = s + y * width, out = t + y * width
            var acc: Float = 0
            for x in -r...r { acc += row[min(width - 1, max(0, x))] }
            for x in 0..<width {
                out[x] = acc
                acc += row[min(width - 1, x + r + 1)] - row[max(0, x - r)]
            }
        }
        // Vertical running sums over the row sums, eight columns at a time.
        typealias V = SIMD8<Float>
        let inv = 1 / Float((2 * r + 1) * (2 * r + 1))
        let col = UnsafeMutablePointer<Float>.allocate(capacity: width)
        defer { col.deallocate() }
        col.initialize(repeating: 0, count: width)
        for dy in -r...r {
            let yy = min(height - 1, max(0, dy))
            for x in 0..<width { col[x] += t[yy * width + x] }
        }
        for y in 0..<height {
            let add = t + min(height - 1, y + r + 1) * width, sub = t + max(0, y - r) * width
            let inRow = s + y * width, outRow = d + y * width
            var x = 0
            while x + 8 <= width {
                let c = UnsafeRawPointer(col + x).loadUnaligned(as: V.self)
                let v = UnsafeRawPointer(inRow + x).loadUnaligned(as: V.self)
                UnsafeMutableRawPointer(outRow + x).storeBytes(of: v - c * inv, as: V.self)
                let next = c + UnsafeRawPointer(add + x).loadUnaligned(as: V.self) - UnsafeRawPointer(sub + x).loadUnaligned(as: V.self)
                UnsafeMutableRawPointer(col + x).storeBytes(of: next, as: V.self)
                x += 8
            }
            while x < width {
                outRow[x] = inRow[x] - col[x] * inv
                col[x] += add[x] - sub[x]
                x += 1
            }
        }
    }
}
