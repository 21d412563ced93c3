import Foundation
import Kernels
import Shared

/// The `--param` options of a tem job, parsed and checked once by the planner (so a bad value
/// fails the job at submission) and again by the workers. Detector and tracker options left
/// unset keep the kernel's tuned defaults.
public struct TEMJobOptions: Sendable, Equatable {
    /// `frames_per_task=`: frames per shard task (default: about one second of work, from
    /// ``defaultFramesPerTask(width:height:)``).
    public var framesPerTask: Int?
    /// Frames one partial merge links into tracklets (`--param partial_frames=N`, default 1000):
    /// rounded to whole shards; bounds every merge step of a long video.
    public var partialFrames: Int = 1000
    /// `bright_lines=` true, false or auto (the default, nil here): bright lines on a dark
    /// background, dark lines, or decided from the frames.
    public var brightLines: Bool?
    /// `points=` (default 50): points per resampled centreline.
    public var points: Int
    /// `pixel_size_nm=`: adds lengths and distances in nm (default: the files' metadata).
    public var pixelSizeNm: Double?
    /// `frame_interval_s=`: seconds between frames (default: the files' metadata).
    public var frameIntervalS: Double?
    /// `min_length=` (px): curves shorter than this are dropped.
    public var minLength: Double?
    /// `high_threshold=`, `low_threshold=`: hysteresis thresholds in robust noise σ.
    public var highThreshold: Double?
    public var lowThreshold: Double?
    /// `scales=0.8,1.3`: Gaussian scales σ (px) of the ridge filter.
    public var scales: [Double]?
    /// `smoothing=`: λ of the smoothing spline.
    public var smoothing: Double?
    /// `flatten_radius=` (px, 0 = off): background flattening box radius.
    public var flattenRadius: Int?
    /// `keep_slip_traces=` (default false): keep long straight faint lines.
    public var keepSlipTraces: Bool
    /// `step_ratio=` (0 = off): curves whose sides differ by more than this × their depth are
    /// dropped as band edges (`TEMDetectorConfig.stepRatio`; `video5`: 1).
    public var stepRatio: Double?
    /// `step_dip_alpha=` (0 = off; `video5`: 0.01): a curve the step ratio drops is kept when it
    /// lies below its darker side at significantly many points (sign test at this level;
    /// `TEMDetectorConfig.stepDipAlpha`).
    public var stepDipAlpha: Double?
    /// `step_dip_bowed=` (`video5`: true): with `step_dip_alpha`, only curves that bow are kept
    /// for their dip (`TEMDetectorConfig.stepDipBowed`).
    public var stepDipBowed: Bool?
    /// `dip_alpha=` (0 = off, the default): only curves that lie below both sides at
    /// significantly many points are kept (sign test at this level; `TEMDetectorConfig.dipAlpha`).
    public var dipAlpha: Double?
    /// `contrast_alpha=` (0 = off, the default): only curves whose depth stands out of the
    /// frame's own level at straight segments across it are kept (`TEMDetectorConfig.contrastAlpha`).
    public var contrastAlpha: Double?
    /// `corner_continuation_alpha=` (0 = off, the default): a traced path is cut at a sharp
    /// corner only where one arm's ridge carries on past it (two lines meeting), not at a bend
    /// (`TEMDetectorConfig.cornerContinuationAlpha`).
    public var cornerContinuationAlpha: Double?
    /// `corner_continuation_arm_offset=`, `corner_continuation_across=` (0, the default: as
    /// before): with `corner_continuation_alpha`, each arm's continuation read along its own line
    /// from that many points past the corner, and rays that many px to either side
    /// (`TEMDetectorConfig.cornerContinuationArmOffset`, `cornerContinuationAcross`).
    public var cornerContinuationArmOffset: Int?
    public var cornerContinuationAcross: Int?
    /// `corner_continuation_clearance=` (px; 0, the default: off): with `corner_continuation_alpha`,
    /// continuation samples that close to the traced path are passed over
    /// (`TEMDetectorConfig.cornerContinuationClearance`).
    public var cornerContinuationClearance: Double?
    /// `corner_continuation_arms_lines=true` (off by default): with `corner_continuation_alpha`,
    /// a bend is kept whole only when both arms reach the minimum length
    /// (`TEMDetectorConfig.cornerContinuationArmsLines`).
    public var cornerContinuationArmsLines = false
    /// `corner_continuation_max_turn=` (degrees; 0, the default: off): with
    /// `corner_continuation_alpha`, a corner turning by more than this is cut whatever its
    /// continuations read (`TEMDetectorConfig.cornerContinuationMaxTurn`).
    public var cornerContinuationMaxTurn: Double?
    /// `corner_continuation_straight_arms=true`, `corner_continuation_trace_arm=true` (off by
    /// default): with `corner_continuation_alpha`, a corner whose arms are both straight, or with
    /// a straight arm across the field, is cut whatever its continuations read
    /// (`TEMDetectorConfig.cornerContinuationStraightArms`, `cornerContinuationTraceArm`).
    public var cornerContinuationStraightArms = false
    public var cornerContinuationTraceArm = false
    /// `temporal_mean_frames=` (0 = off, the default): each frame's curves completed by the
    /// curves of the mean of this many registered neighbouring frames of its shard
    /// (`TEMDetectorConfig.temporalMeanFrames`).
    public var temporalMeanFrames: Int?
    /// `temporal_drop_straight=true|false` (the detector's when absent: on in `video22`, off in
    /// the others): with `temporal_mean_frames`, an added part as straight as a slip trace is not
    /// added (`TEMDetectorConfig.temporalDropStraight`).
    public var temporalDropStraight: Bool?
    /// `temporal_probe_interval=P` (the detector's when absent: 8 in `video22`, 0 — the mean on
    /// every frame — in the others): with
    /// `temporal_mean_frames`, once a mean adds nothing it is read only on every P-th frame until
    /// one adds again (`TEMDetectorConfig.temporalProbeInterval`).
    public var temporalProbeInterval: Int?
    /// `temporal_drop_ghosts=true` (off by default): with `temporal_mean_frames`, an added part
    /// that is a gliding line's copy in the mean — alongside the frame's curve within the line's
    /// travel over the window, where another frame of the window shows a curve — is not added
    /// (`TEMDetectorConfig.temporalDropGhosts`).
    public var temporalDropGhosts = false
    /// `temporal_ghost_left_alpha=α` (0 = off, the default): with `temporal_drop_ghosts`, a
    /// point counts as a ghost's through another frame only when that frame's own ridge response
    /// shows the line gone from the frame's line there, one-sided at α against the same statistic
    /// over that frame (`TEMDetectorConfig.temporalGhostLeftAlpha`, `TEMTemporalLineLeft`).
    public var temporalGhostLeftAlpha: Double?
    /// `temporal_drop_straight_parts=true` (off by default): with `temporal_mean_frames`, an added
    /// part mostly one straight stretch (a hooked slip-trace piece) is not added
    /// (`TEMDetectorConfig.temporalDropStraightParts`).
    public var temporalDropStraightParts = false
    /// `temporal_long_frames=K₂` (0 = off, the default): with `temporal_mean_frames` K < K₂, the
    /// mean of K₂ registered frames read on the frames whose K-mean saw a part the plain curves
    /// lack, its uncovered parts added (`TEMDetectorConfig.temporalLongFrames`).
    public var temporalLongFrames: Int?
    /// `temporal_polarity_alpha=α` (0 = off, the default): with `temporal_mean_frames`, the mean
    /// frames are read in the polarity of the best evidenced polarity test among the plain
    /// frames' and the means' when it is significant at α (`TEMDetectorConfig.temporalPolarityAlpha`).
    public var temporalPolarityAlpha: Double?
    /// `temporal_long_undecided_alpha=α` (0 = off, the default): with `temporal_long_frames`, the
    /// K₂ mean is also read, probed by its own yield, while the plain frames' polarity test is not
    /// significant at α (`TEMDetectorConfig.temporalLongUndecidedAlpha`).
    public var temporalLongUndecidedAlpha: Double?
    /// `temporal_long_by_short_mean=false` (true by default): with `temporal_long_undecided_alpha`,
    /// the K₂ mean opened by the undecided polarity gate alone, not also where the K-mean saw a
    /// part (`TEMDetectorConfig.temporalLongByShortMean`).
    public var temporalLongByShortMean: Bool?
    /// `temporal_long_null_test=true` (off by default): with `temporal_long_frames`, the K₂ mean's
    /// curves kept only when they beat every curve the opposite polarity traces on the recent K₂
    /// means (`TEMDetectorConfig.temporalLongNullTest`).
    public var temporalLongNullTest = false
    /// `temporal_long_pooled_gate=true` (off by default): with `temporal_long_undecided_alpha`, the
    /// undecided gate asks the plain polarity test pooled over every frame seen, until its first
    /// significant look (`TEMDetectorConfig.temporalLongPooledGate`).
    public var temporalLongPooledGate = false
    /// `temporal_long_pooled_gate_side=true` (off by default): with `temporal_long_pooled_gate`, the
    /// pooled test shuts the gate only when significant on the side the plain frames are read in
    /// (`TEMDetectorConfig.temporalLongPooledGateSide`).
    public var temporalLongPooledGateSide = false
    /// `track_gate=` (px), `max_gap=` (frames), `stitch_frames=`, `min_track_frames=`: tracker.
    public var trackGate: Double?
    public var maxGap: Int?
    public var stitchFrames: Int?
    public var minTrackFrames: Int?
    /// `common_motion=` (default false, not yet measured): the tracker removes the motion a frame's lines share
    /// before linking (`TEMTrackerConfig.commonMotion`).
    public var commonMotion: Bool
    /// `corner_pieces=` (default `TEMTrackerConfig.joinCornerPieces`): tracks whose curves meet end
    /// to end at a corner in most frames they share are joined into one line (`TEMCornerPieces`).
    public var cornerPieces: Bool
    /// `gap_likelihood=` (default `TEMTrackerConfig.gapLikelihood`): gap closing on one cost
    /// scale, a likelihood ratio with scales measured on the video (`TEMGapLikelihood`).
    public var gapLikelihood: Bool
    /// `absorb_pieces=` (default `TEMTrackerConfig.absorbPieces`): a piece of a line a concurrent
    /// track holds joins that track instead of starting one of its own (`TEMPieceAbsorption`).
    public var absorbPieces: Bool
    /// `absorbed_ends=` (default `TEMTrackerConfig.absorbedEndsStayEnds`): a track end whose line
    /// goes on in a concurrent track is not gap-closed.
    public var absorbedEndsStayEnds: Bool
    /// `join_turns=` (default `TEMTrackerConfig.joinTurns`): tracks that take turns on one line
    /// inside a task's frames are joined (`TEMAlternatingTracks.joinTurns`).
    public var joinTurns: Bool
    /// `double_line_order=` (default `TEMTrackerConfig.doubleLineOrder`, on): a line imaged as two
    /// edges is one observation where its pieces change order across it — read only where the
    /// runs test can refuse at 1 % and folded only in the frames the pieces lie side by side
    /// (`TEMTrackerConfig.doubleLineOrder` with `doubleLineOrderRefusable` and
    /// `doubleLineOrderByFrame`, `TEMLineOrder`; docs/tem.md, tem-track26).
    public var doubleLineOrder: Bool
    /// `track_points=` (default 50, the detector's curves as stored): points per curve the
    /// tracker links (coarser copies are cheaper but cost identities over long videos: 24 points
    /// lost 0.08 IDF1 on the 10,000-frame medium job, docs/tem.md).
    public var trackPoints: Int
    /// `overlay_frames=` (default 4): frames drawn in the report's overlay PNGs (0: none).
    public var overlayFrames: Int
    /// `plot_tracks=` (default 12): the longest tracks drawn in the report's SVG plot.
    public var plotTracks: Int
    /// `detector=` (default `video22`, `TEMDetectorConfig.defaultName`): which per-frame detector (`TEMDetectorConfig.named`):
    /// `video`, `per_frame` (per-frame statistics), `null` (curves tested against the
    /// opposite polarity's curves), `video5` (noise-weighted scales with a close-pair guard,
    /// corner splits and band-edge rejection) or `video6` (`video5` with faint lines seeded by the
    /// evidence summed along them; docs/tem.md).
    public var detector: String
    /// `registration=` (default `masked`): the drift estimator (`TEMRegistration.Config.named`):
    /// `masked` (detected curves left out of the fit, coarse-to-fine), `unmasked`, `v4` (the
    /// estimator of 3 December, for before/after figures) or `half` (`masked` at half size:
    /// `TEMRegistration.Config.halfSize`; off, issue 11 item 5).
    public var registration: TEMRegistration.Config

    public init(_ params: JobParams) throws {
        func optionalDouble(_ key: String, _ range: ClosedRange<Double>) throws -> Double? {
            params.values[key] == nil ? nil : try params.double(key, default: 0, range: range)
        }
        func optionalInt(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            params.values[key] == nil ? nil : try params.int(key, default: 0, range: range)
        }
        framesPerTask = try optionalInt("frames_per_task", 1...1_000_000)
        partialFrames = try params.int("partial_frames", default: 1000, range: 1...1_000_000)
        brightLines = params.values["bright_lines"]?.lowercased() == "auto" ? nil
            : try params.values["bright_lines"].map { _ in try params.bool("bright_lines", default: false) }
        points = try params.int("points", default: 50, range: 2...10_000)
        pixelSizeNm = try optionalDouble("pixel_size_nm", 1e-9...1e9)
        frameIntervalS = try optionalDouble("frame_interval_s", 1e-9...1e9)
        minLength = try optionalDouble("min_length", 0...1e6)
        highThreshold = try optionalDouble("high_threshold", 0...1000)
        lowThreshold = try optionalDouble("low_threshold", 0...1000)
        if let low = lowThreshold, let high = highThreshold, low > high {
            throw ParamError(message: "--param low_threshold=\(low) is above high_threshold=\(high)")
        }
        if let text = params.values["scales"] {
            let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.count <= 8, parts.allSatisfy({ $0 != nil && $0! >= 0.3 && $0! <= 20 }) else {
                throw ParamError(message: "--param scales=\(text): expected 1 to 8 comma-separated σ values in 0.3…20 px, e.g. scales=0.8,1.3")
            }
            scales = parts.map { $0! }
        }
        smoothing = try optionalDouble("smoothing", 0...1e6)
        flattenRadius = try optionalInt("flatten_radius", 0...1000)
        keepSlipTraces = try params.bool("keep_slip_traces", default: false)
        stepRatio = try optionalDouble("step_ratio", 0...1000)
        stepDipAlpha = try optionalDouble("step_dip_alpha", 0...1)
        stepDipBowed = try params.values["step_dip_bowed"].map { _ in try params.bool("step_dip_bowed", default: false) }
        dipAlpha = try optionalDouble("dip_alpha", 0...1)
        contrastAlpha = try optionalDouble("contrast_alpha", 0...0.5)
        cornerContinuationAlpha = try optionalDouble("corner_continuation_alpha", 0...0.5)
        cornerContinuationArmOffset = try optionalInt("corner_continuation_arm_offset", 0...32)
        cornerContinuationAcross = try optionalInt("corner_continuation_across", 0...8)
        cornerContinuationClearance = try optionalDouble("corner_continuation_clearance", 0...32)
        cornerContinuationArmsLines = try params.bool("corner_continuation_arms_lines", default: false)
        cornerContinuationMaxTurn = try optionalDouble("corner_continuation_max_turn", 0...180)
        cornerContinuationStraightArms = try params.bool("corner_continuation_straight_arms", default: false)
        cornerContinuationTraceArm = try params.bool("corner_continuation_trace_arm", default: false)
        temporalMeanFrames = try optionalInt("temporal_mean_frames", 0...64)
        temporalDropStraight = try params.values["temporal_drop_straight"].map { _ in try params.bool("temporal_drop_straight", default: false) }
        temporalProbeInterval = try optionalInt("temporal_probe_interval", 0...10_000)
        temporalDropGhosts = try params.bool("temporal_drop_ghosts", default: false)
        temporalGhostLeftAlpha = try optionalDouble("temporal_ghost_left_alpha", 0...0.5)
        temporalDropStraightParts = try params.bool("temporal_drop_straight_parts", default: false)
        temporalLongFrames = try optionalInt("temporal_long_frames", 0...64)
        temporalPolarityAlpha = try optionalDouble("temporal_polarity_alpha", 0...0.5)
        temporalLongUndecidedAlpha = try optionalDouble("temporal_long_undecided_alpha", 0...0.5)
        temporalLongByShortMean = try params.values["temporal_long_by_short_mean"].map { _ in try params.bool("temporal_long_by_short_mean", default: true) }
        temporalLongNullTest = try params.bool("temporal_long_null_test", default: false)
        temporalLongPooledGate = try params.bool("temporal_long_pooled_gate", default: false)
        temporalLongPooledGateSide = try params.bool("temporal_long_pooled_gate_side", default: false)
        trackGate = try optionalDouble("track_gate", 0...10_000)
        maxGap = try optionalInt("max_gap", 0...1000)
        stitchFrames = try optionalInt("stitch_frames", 0...100_000)
        minTrackFrames = try optionalInt("min_track_frames", 1...100_000)
        commonMotion = try params.bool("common_motion", default: false)
        cornerPieces = try params.bool("corner_pieces", default: TEMTrackerConfig().joinCornerPieces)
        gapLikelihood = try params.bool("gap_likelihood", default: TEMTrackerConfig().gapLikelihood)
        absorbPieces = try params.bool("absorb_pieces", default: TEMTrackerConfig().absorbPieces)
        absorbedEndsStayEnds = try params.bool("absorbed_ends", default: TEMTrackerConfig().absorbedEndsStayEnds)
        joinTurns = try params.bool("join_turns", default: TEMTrackerConfig().joinTurns)
        doubleLineOrder = try params.bool("double_line_order", default: TEMTrackerConfig().doubleLineOrder)
        trackPoints = try params.int("track_points", default: 50, range: 4...1000)
        overlayFrames = try params.int("overlay_frames", default: 4, range: 0...64)
        plotTracks = try params.int("plot_tracks", default: 12, range: 0...1000)
        detector = params.values["detector"]?.lowercased() ?? TEMDetectorConfig.defaultName
        guard TEMDetectorConfig.named(detector) != nil else {
            throw ParamError(message: "--param detector=\(detector): expected one of \(TEMDetectorConfig.names.joined(separator: ", "))")
        }
        let registrationName = params.values["registration"] ?? "masked"
        guard let registration = TEMRegistration.Config.named(registrationName) else {
            throw ParamError(message: "--param registration=\(registrationName): expected one of \(TEMRegistration.Config.names.joined(separator: ", "))")
        }
        self.registration = registration
    }

    /// Frames per task when `frames_per_task` is not given: about one second of work on one
    /// core — 200 frames at 512×512 (docs/tuning.md) — for any frame size, by a frame's cost
    /// measured as a fixed part plus a part per pixel (``frameCostFixedMs``, ``frameCostPerPixelNs``):
    /// a small frame still pays for its lines' tracing and fitting, its registration and its
    /// file, so 256×256 frames cost about half of a 512×512 one, not a quarter. Between 1 and 2000.
    public static func defaultFramesPerTask(width: Int, height: Int) -> Int {
        let reference = frameCostMs(pixels: 512 * 512)
        let frames = 200 * reference / frameCostMs(pixels: max(1, width * height))
        return max(1, min(2000, Int(frames.rounded())))
    }

    /// The fixed part of a frame's CPU cost (ms) in a shard, whatever its size. Measured by
    /// differencing whole jobs (`ctl run` of 500 and 1,000 easy 256×256 frames, 200 and 400
    /// medium 512×512 frames, `frames_per_task=100`, release, 4 December 2026, docs/scaling.md):
    /// ≈ 3.4 ms at 256×256 and ≈ 6.6 ms at 512×512 per frame in the shards.
    public static let frameCostFixedMs = 2.35
    /// The part per pixel (ns): (6.6 − 3.4) ms over the 196,608 pixels between the two sizes.
    public static let frameCostPerPixelNs = 16.3

    /// A frame's modelled CPU cost in a shard (ms).
    public static func frameCostMs(pixels: Int) -> Double {
        frameCostFixedMs + frameCostPerPixelNs * 1e-6 * Double(pixels)
    }
}

extension TEMJobOptions {
    /// These options with the calibration from the files' metadata where the params left it unset.
    func withDefaults(from metadata: FrameMetadata?) -> TEMJobOptions {
        var copy = self
        if copy.pixelSizeNm == nil { copy.pixelSizeNm = metadata?.pixelSizeNm }
        if copy.frameIntervalS == nil { copy.frameIntervalS = metadata?.frameIntervalS }
        return copy
    }
}
