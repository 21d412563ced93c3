import Foundation
import Kernels
import Shared

/// Analyses frames one by one (decode, detect) and collects the rows of `tem_frame_results`
/// and `tem_dislocation_results` and the curves per frame. Used by the shard tasks and, for the
/// good frames of a shard that died on a corrupt frame, by the merge. One per task: it owns the
/// detector's buffers.
struct TEMFrameAnalysis {
    /// A frame that could not be analysed.
    struct Failure {
        var index: Int
        var file: String
        var error: String
    }

    private var detector: TEMDetector
    /// The decoded frame, reused: one allocation per task rather than per frame.
    private var pixels: [Float] = []
    /// Keeps the current stack file open across the frames of a range.
    private let reader = FrameReader()
    private let options: TEMJobOptions
    private let context: KindContext
    /// Registration against the video's frame 0 (nil until set up, or when the reference
    /// cannot be read: the drift is then NULL).
    private var registration: TEMRegistration?
    var frames = ResultRows(table: "tem_frame_results", columns: [
        "frame_index", "frame_file", "n_dislocations", "width", "height", "drift_x", "drift_y",
    ])
    var dislocations = ResultRows(table: "tem_dislocation_results", columns: [
        "frame_index", "frame_file", "dislocation_id", "points", "length_px", "length_nm", "mean_curvature",
        "max_curvature", "mean_response", "centroid_x", "centroid_y",
    ])
    /// The analysed frames with their curves, in the order analysed.
    var analysed: [TEMCurvesFile.Frame] = []
    /// `temporal_mean_frames`: the frames' curves completed by their registered neighbours'
    /// mean (`TEMTemporalWindow`), and the frames waiting for the frames after them, by their
    /// place in the window's order.
    private var window: TEMTemporalWindow?
    private var waiting: [Int: (index: Int, file: String, width: Int, height: Int, drift: TEMPoint?)] = [:]
    private var windowFrames = 0

    init(options: TEMJobOptions, context: KindContext) {
        self.options = options
        self.context = context
        let config = Self.detectorConfig(options)
        detector = TEMDetector(config: config)
        if config.temporalMeanFrames > 1 { window = TEMTemporalWindow(config: config) }
    }

    /// The kernel's tuned defaults with the job's overrides.
    static func detectorConfig(_ options: TEMJobOptions) -> TEMDetectorConfig {
        var config = TEMDetectorConfig.named(options.detector) ?? .jobDefault
        if let bright = options.brightLines {
            config.autoPolarity = false
            config.brightLines = bright
        }
        config.samples = options.points
        if let v = options.minLength { config.minLength = v }
        if let v = options.highThreshold { config.highThreshold = Float(v) }
        if let v = options.lowThreshold { config.lowThreshold = Float(v) }
        if let v = options.scales { config.scales = v }
        if let v = options.smoothing { config.smoothing = v }
        if let v = options.flattenRadius { config.flattenRadius = v }
        if options.keepSlipTraces { config.traceFaintRatio = 0 }
        if let v = options.stepRatio { config.stepRatio = v }
        if let v = options.stepDipAlpha { config.stepDipAlpha = v }
        if let v = options.stepDipBowed { config.stepDipBowed = v }
        if let v = options.dipAlpha { config.dipAlpha = v }
        if let v = options.contrastAlpha { config.contrastAlpha = v }
        if let v = options.cornerContinuationAlpha { config.cornerContinuationAlpha = v }
        if let v = options.cornerContinuationArmOffset { config.cornerContinuationArmOffset = v }
        if let v = options.cornerContinuationAcross { config.cornerContinuationAcross = v }
        if let v = options.cornerContinuationClearance { config.cornerContinuationClearance = v }
        if options.cornerContinuationArmsLines { config.cornerContinuationArmsLines = true }
        if let v = options.cornerContinuationMaxTurn { config.cornerContinuationMaxTurn = v }
        if options.cornerContinuationStraightArms { config.cornerContinuationStraightArms = true }
        if options.cornerContinuationTraceArm { config.cornerContinuationTraceArm = true }
        if let v = options.temporalMeanFrames { config.temporalMeanFrames = v }
        if let v = options.temporalDropStraight { config.temporalDropStraight = v }
        if let v = options.temporalProbeInterval { config.temporalProbeInterval = v }
        if options.temporalDropGhosts { config.temporalDropGhosts = true }
        if let v = options.temporalGhostLeftAlpha { config.temporalGhostLeftAlpha = v }
        if options.temporalDropStraightParts { config.temporalDropStraightParts = true }
        if let v = options.temporalLongFrames { config.temporalLongFrames = v }
        if let v = options.temporalPolarityAlpha { config.temporalPolarityAlpha = v }
        if let v = options.temporalLongUndecidedAlpha { config.temporalLongUndecidedAlpha = v }
        if let v = options.temporalLongByShortMean { config.temporalLongByShortMean = v }
        if options.temporalLongNullTest { config.temporalLongNullTest = true }
        if options.temporalLongPooledGate { config.temporalLongPooledGate = true }
        if options.temporalLongPooledGateSide { config.temporalLongPooledGateSide = true }
        return config
    }

    /// Decodes and analyses frame `index` (`file`: a frame file, or `FILE#N` for frame N of a
    /// stack; it must be `width`×`height`); throws an error naming the file when it cannot be read.
    mutating func analyse(file: String, index: Int, width: Int, height: Int) throws {
        let reference = FrameReference(parsing: file)
        let path = try context.input(reference.path)
        let image = try reader.read(reference, path: path, into: &pixels)
        guard image.width == width, image.height == height else {
            throw TaskError("cannot read \((file as NSString).lastPathComponent): it is \(image.width)×\(image.height) pixels, but the video's frames are \(width)×\(height) (the file changed after the job was planned?)")
        }
        let found = pixels.withUnsafeBufferPointer { detector.detect($0, width: width, height: height) }
        if index == 0 && registration == nil {
            registration = pixels.withUnsafeBufferPointer {
                TEMRegistration(reference: $0, width: width, height: height, lines: found.map(\.points), config: options.registration)
            }
        }
        let drift: TEMPoint? = index == 0 ? .zero : pixels.withUnsafeBufferPointer { registration?.drift($0, lines: found.map(\.points)) }
        guard window != nil else {
            record(index: index, file: file, width: width, height: height, drift: drift, curves: found)
            return
        }
        waiting[windowFrames] = (index, file, width, height, drift)
        windowFrames += 1
        // Without a drift (no reference) the frames are averaged unshifted.
        let ghostLeft = detector.config.temporalDropGhosts && detector.config.temporalGhostLeftAlpha > 0
        let response = ghostLeft ? detector.lastResponse() : nil
        // The window keeps this frame's array and hands back one it no longer reads, which the
        // next frame is decoded into (no copy of the frame).
        let done = window!.push(taking: &pixels, width: width, height: height, drift: drift ?? .zero, curves: found,
                                response: response, plainPolarity: detector.polarityTest, gatePolarity: detector.gatePolarity)
        recordCompleted(done)
    }

    /// Rows and curves of the frames the window completed.
    private mutating func recordCompleted(_ done: [TEMTemporalWindow.Output]) {
        for o in done {
            guard let f = waiting.removeValue(forKey: o.index) else { continue }
            record(index: f.index, file: f.file, width: f.width, height: f.height, drift: f.drift, curves: o.curves)
        }
    }

    /// The rows of one analysed frame and its curves.
    private mutating func record(index: Int, file: String, width: Int, height: Int, drift: TEMPoint?, curves found: [TEMCurve]) {
        frames.rows.append([index, file, found.count, width, height, drift?.x, drift?.y])
        for (id, curve) in found.enumerated() {
            let c = TEMPolyline.centroid(curve.points)
            dislocations.rows.append([
                index, file, id, PGJSON(raw: TEMPointsText.render(curve.points)), curve.lengthPx,
                options.pixelSizeNm.map { curve.lengthPx * $0 }, curve.meanCurvature, curve.maxCurvature,
                curve.meanResponse, c.x, c.y,
            ])
        }
        analysed.append(TEMCurvesFile.Frame(index: index, file: file, curves: found.map(\.points), drift: drift))
    }

    /// Reads the video's frame 0 as the registration reference; if it cannot be read the
    /// shard's drifts stay NULL (the detections do not need them).
    private mutating func prepareRegistration(reference: String, width: Int, height: Int) {
        var reference0: [Float] = []
        // Any frame format, and `FILE#N` of a stack: through a reader of its own, so the
        // range's reader keeps its file open.
        let frame = FrameReference(parsing: reference)
        guard let path = try? context.input(frame.path), let image = try? FrameReader().read(frame, path: path, into: &reference0),
              image.width == width, image.height == height else { return }
        // The reference's own curves are left out of the fit like the frame's: its detection
        // costs one frame's work per shard (a detector of its own, so the shard's detector's
        // state — polarity seen so far — is the same as without registration).
        var referenceDetector = TEMDetector(config: Self.detectorConfig(options))
        let lines = options.registration.maskLines
            ? reference0.withUnsafeBufferPointer { referenceDetector.detect($0, width: width, height: height).map(\.points) } : []
        registration = reference0.withUnsafeBufferPointer {
            TEMRegistration(reference: $0, width: width, height: height, lines: lines, config: options.registration)
        }
    }

    /// Analyses every frame of a shard's range; frames that cannot be read are skipped and
    /// returned with the reason.
    mutating func analyse(_ payload: TEMTaskPayload) -> [Failure] {
        var failures: [Failure] = []
        if payload.firstFrame > 0, let reference = payload.referenceFile {
            prepareRegistration(reference: reference, width: payload.width, height: payload.height)
        }
        for (offset, file) in payload.files.enumerated() {
            if context.cancelled.isSet { break }  // its job was cancelled: TEMShard throws
            do {
                try analyse(file: file, index: payload.firstFrame + offset, width: payload.width, height: payload.height)
            } catch {
                failures.append(Failure(index: payload.firstFrame + offset, file: file, error: "\(error)"))
            }
        }
        if window != nil { recordCompleted(window!.finish()) }
        return failures
    }
}
