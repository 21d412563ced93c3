/// Each frame's curves with those the mean of its registered neighbours shows and the frame alone
/// does not (`TEMDetectorConfig.temporalMeanFrames`; issue 11 items 2 and 5; docs/tem.md, "The
/// video's other frames"). Frames are pushed in order with their drift and their own curves; a
/// frame is complete once the frames after it that its window needs have arrived (or at
/// `finish`). The plain curves are kept as they are, so a line the mean smears (one that moves
/// across its width within the window) keeps its plain detection; the mean adds only the parts
/// of its curves no plain curve lies on. Holds about `temporalMeanFrames` frames.
public struct TEMTemporalWindow: Sendable {
    /// A completed frame: its place in push order and its curves.
    public struct Output: Sendable {
        public var index: Int
        public var curves: [TEMCurve]
    }

    public let config: TEMDetectorConfig
    /// The mean frames' own detector (the same settings, its own polarity and state: the mean
    /// video is a video of its own, less noisy).
    private var detector: TEMDetector
    /// `temporalLongFrames`: the K₂-frame mean's own detector (nil: off).
    private var longDetector: TEMDetector?
    /// The plain frames' polarity test, as last pushed (`temporalPolarityAlpha`, `temporalLongUndecidedAlpha`).
    private var plainPolarity: TEMPolarityTest?
    /// `temporalLongPooledGate`: the plain frames' test pooled over every frame, as last pushed.
    private var gatePolarity: (test: TEMPolarityTest, readBright: Bool)?
    /// A frame held for the windows that read it.
    typealias Held = (index: Int, pixels: [Float], drift: TEMPoint, curves: [TEMCurve], response: [Float]?)
    private var held: [Held] = []
    /// Pixel arrays of frames no window reads any more, handed back by `push(taking:)` for the
    /// caller's next frame (at most two kept).
    private var spare: [[Float]] = []
    private var pending: [(index: Int, curves: [TEMCurve])] = []
    private var pushed = 0
    private var size: (width: Int, height: Int)?
    private var mean: [Float] = [], count: [Float] = []
    /// `temporalProbeInterval`: whether the last mean read added nothing, and frames skipped since.
    private var quiet = false
    private var skipped = 0
    /// The same for the K₂ mean read on its own (`temporalLongUndecidedAlpha`).
    private var longQuiet = false
    private var longSkipped = 0
    /// `temporalLongUndecidedAlpha`: the plain test last asked and its answer. The test's tiles
    /// change only at the plain detector's polarity checks, so the exact sign-flip tail (999
    /// patterns) is counted once per check, not on every frame.
    private var undecidedAsked: (test: TEMPolarityTest, significant: Bool)?
    /// Frames whose mean was read, and of those the frames it added a part to (diagnostics).
    public private(set) var meansRead = 0
    public private(set) var meansAdding = 0
    /// `temporalLongFrames`: frames whose K₂ mean was read, and of those the frames it added a
    /// part to (diagnostics).
    public private(set) var longMeansRead = 0
    public private(set) var longMeansAdding = 0

    public init(config: TEMDetectorConfig) {
        self.config = config
        var own = config
        own.temporalMeanFrames = 0
        own.temporalLongPooledGate = false // the plain frames' detector keeps the gate's test
        detector = TEMDetector(config: own)
        if config.temporalMeanFrames > 1 && config.temporalLongFrames > config.temporalMeanFrames {
            var longOwn = own
            if config.temporalLongNullTest { longOwn.nullTest = true }
            longDetector = TEMDetector(config: longOwn)
        }
    }

    /// Frames in each mean (`config.temporalMeanFrames`); 1 or less: the plain curves pass through.
    public var frames: Int { config.temporalMeanFrames }

    /// Frames in the longer mean (`config.temporalLongFrames`), 0 when off.
    public var longFrames: Int { longDetector == nil ? 0 : config.temporalLongFrames }

    /// Frames a frame's readings span: the longer of the two means.
    var span: Int { max(frames, longFrames) }

    /// The K₂ mean frames' detector (`temporalLongFrames`), for diagnostics (its polarity).
    public var longMeanDetector: TEMDetector? { longDetector }

    /// The mean frames' detector, for diagnostics (its polarity).
    public var meanDetector: TEMDetector { detector }

    /// Adds the next frame (its drift against the video's reference and its own curves) and
    /// returns the frames now complete, in order. `response`: the frame's own ridge response map
    /// (its detector's `lastResponse()`, width × height), read by the ghost rule's test that a
    /// line left (`temporalGhostLeftAlpha`); nil: not held (a frame without it shows no line
    /// anywhere to that test). `plainPolarity`: the plain frames' detector's polarity test after
    /// this frame (`TEMDetector.polarityTest`), read with `temporalPolarityAlpha` and
    /// `temporalLongUndecidedAlpha`. `gatePolarity`: that detector's test pooled over every frame
    /// (`TEMDetector.gatePolarityTest`), which the undecided gate reads instead with
    /// `temporalLongPooledGate` (nil: the plain test).
    public mutating func push(_ frame: UnsafeBufferPointer<Float>, width: Int, height: Int, drift: TEMPoint,
                              curves: [TEMCurve], response: [Float]? = nil, plainPolarity: TEMPolarityTest? = nil,
                              gatePolarity: (test: TEMPolarityTest, readBright: Bool)? = nil) -> [Output] {
        if let plainPolarity { self.plainPolarity = plainPolarity }
        if let gatePolarity { self.gatePolarity = gatePolarity }
        let index = pushed
        pushed += 1
        if size == nil { size = (width, height) }
        guard frames > 1, size! == (width, height), frame.count >= width * height else {
            // Off, or a frame of another size: its own curves (and the frames waiting stay in order).
            pending.append((index, curves))
            return complete(final: false)
        }
        let kept = config.temporalDropGhosts && config.temporalGhostLeftAlpha > 0 && (response?.count ?? 0) >= width * height
        held.append((index, Array(frame.prefix(width * height)), drift, curves, kept ? response : nil))
        pending.append((index, curves))
        return complete(final: false)
    }

    /// `push` for a frame the caller gives away (issue 11 item 5): the window holds `frame`'s
    /// array itself rather than a copy of it, and leaves in `frame` the array of a frame it no
    /// longer holds (empty when it has none), for the caller to decode its next frame into —
    /// no copy and no allocation per frame once the window is full. The same outputs as `push`
    /// (`TEMTemporalWindowTakingTests`).
    public mutating func push(taking frame: inout [Float], width: Int, height: Int, drift: TEMPoint,
                              curves: [TEMCurve], response: [Float]? = nil, plainPolarity: TEMPolarityTest? = nil,
                              gatePolarity: (test: TEMPolarityTest, readBright: Bool)? = nil) -> [Output] {
        guard frames > 1, frame.count == width * height, size == nil || size! == (width, height) else {
            return frame.withUnsafeBufferPointer {
                push($0, width: width, height: height, drift: drift, curves: curves, response: response,
                     plainPolarity: plainPolarity, gatePolarity: gatePolarity)
            }
        }
        if let plainPolarity { self.plainPolarity = plainPolarity }
        if let gatePolarity { self.gatePolarity = gatePolarity }
        let index = pushed
        pushed += 1
        if size == nil { size = (width, height) }
        let kept = config.temporalDropGhosts && config.temporalGhostLeftAlpha > 0 && (response?.count ?? 0) >= width * height
        var pixels = spare.popLast() ?? []
        swap(&pixels, &frame)
        held.append((index, pixels, drift, curves, kept ? response : nil))
        pending.append((index, curves))
        return complete(final: false)
    }

    /// Keeps a released frame's array for `push(taking:)` (two at most).
    private mutating func recycle(_ pixels: [Float]) {
        if spare.count < 2 && pixels.count == (size.map { $0.width * $0.height } ?? -1) { spare.append(pixels) }
    }

    /// The frames still waiting for later ones, completed with the frames there are.
    public mutating func finish() -> [Output] { complete(final: true) }

    private mutating func complete(final: Bool) -> [Output] {
        var out: [Output] = []
        let span = span
        let before = (span - 1) / 2
        while let next = pending.first {
            // Complete when its windows no longer depend on frames to come.
            guard final || frames <= 1 || pushed >= max(span, next.index - before + span) else { break }
            pending.removeFirst()
            out.append(Output(index: next.index, curves: withMean(next.index, curves: next.curves)))
        }
        // Frames no later window reads.
        if let next = pending.first?.index ?? (final ? nil : pushed) {
            let keepFrom = min(next - before, pushed - span)
            while let first = held.first, first.index < keepFrom { recycle(held.removeFirst().pixels) }
            held.removeAll { $0.index < keepFrom }
        } else {
            while !held.isEmpty { recycle(held.removeFirst().pixels) }
        }
        return out
    }

    /// Frame `k`'s curves with the mean's extra parts.
    private mutating func withMean(_ k: Int, curves: [TEMCurve]) -> [TEMCurve] {
        guard frames > 1, let size, let target = held.first(where: { $0.index == k }) else { return curves }
        let window = TEMTemporalMean.window(of: k, size: frames, available: pushed)
        let members = held.filter { window.contains($0.index) }
        guard members.count > 1 else { return curves }
        let probe = config.temporalProbeInterval
        var merged = (curves: curves, added: 0, seen: 0)
        var shortRead = false
        if probe > 0 && quiet && skipped + 1 < probe {
            skipped += 1
        } else {
            skipped = 0
            shortRead = true
            if config.temporalPolarityAlpha > 0 { detector.otherPolarityZ = bestZ([plainPolarity, longDetector?.polarityTest]) }
            merged = Self.read(k, target: target, members: members, curves: curves, config: config, size: size,
                               mean: &mean, count: &count, detector: &detector)
            meansRead += 1
            if merged.added > 0 { meansAdding += 1 }
            // The probe reads what the mean sees beyond the plain curves, before the ghost and
            // straight-part drops: a mean whose parts are dropped still sees something, and the frames
            // it is read on stay those of the mean without the drops.
            quiet = merged.seen == 0
        }
        // `temporalLongFrames`: the longer mean where the K-mean saw a part the plain curves lack;
        // with `temporalLongUndecidedAlpha`, also (probed by its own yield) while the plain
        // polarity test cannot decide. Its parts added beyond the plain curves and the K-mean's.
        guard longDetector != nil else { return merged.curves }
        let byShort = config.temporalLongByShortMean && shortRead && merged.seen > 0
        var byUndecided = false
        // `temporalLongPooledGate`: the plain test pooled over every frame seen (to k + K₂/2 here).
        let pooledGate = config.temporalLongPooledGate ? gatePolarity : nil
        let gateTest = pooledGate?.test ?? plainPolarity
        if !byShort, config.temporalLongUndecidedAlpha > 0, var test = gateTest {
            // The exact sign-flip tail where Hoeffding's bound does not decide (999 patterns, as
            // `video18`): the bound asks |z| ≥ 3.26 at 1 % where the near-Gaussian sum of many
            // tiles has it at ≈ 2.6, and a clear video's first check (medium 45: |z| < 3.26 until
            // its second check) would read as undecided.
            test.alpha = config.temporalLongUndecidedAlpha
            test.randomisations = 999
            let significant: Bool
            if let asked = undecidedAsked, asked.test == test {
                significant = asked.significant
            } else {
                significant = test.significant
                undecidedAsked = (test, significant)
            }
            // `temporalLongPooledGateSide`: significant against the plain frames' reading shuts nothing.
            let shut = significant && !(config.temporalLongPooledGateSide && pooledGate.map { ($0.test.z > 0) != $0.readBright } == true)
            if !shut {
                if probe > 0 && longQuiet && longSkipped + 1 < probe { longSkipped += 1 } else { byUndecided = true }
            }
        }
        guard byShort || byUndecided else { return merged.curves }
        let longWindow = TEMTemporalMean.window(of: k, size: longFrames, available: pushed)
        let longMembers = held.filter { longWindow.contains($0.index) }
        guard longMembers.count > members.count else { return merged.curves }
        // Moved out and back (not copied: its buffers stay unique).
        var long = longDetector!
        longDetector = nil
        if config.temporalPolarityAlpha > 0 { long.otherPolarityZ = bestZ([plainPolarity, detector.polarityTest]) }
        let longMerged = Self.read(k, target: target, members: longMembers, curves: merged.curves, config: config, size: size,
                                   mean: &mean, count: &count, detector: &long)
        longDetector = long
        if byUndecided {
            longSkipped = 0
            longQuiet = longMerged.seen == 0
        }
        longMeansRead += 1
        if longMerged.added > 0 { longMeansAdding += 1 }
        return longMerged.curves
    }

    /// `temporalPolarityAlpha`: of the given readings' polarity tests (a mean detector's others:
    /// the plain frames' and the other mean's), those significant at the option's α, the z of
    /// largest magnitude; nil when none is (the detector keeps its own rule). The detector
    /// compares it with its own (`TEMDetector.otherPolarityZ`).
    func bestZ(_ tests: [TEMPolarityTest?]) -> Double? {
        tests.compactMap { t -> Double? in
            guard var t else { return nil }
            t.alpha = config.temporalPolarityAlpha
            t.randomisations = 0
            return t.significant ? t.z : nil
        }.max(by: { abs($0) < abs($1) })
    }

    /// The mean of `members` registered onto frame `k` (`target`), read by `detector`, merged
    /// into `curves` (the parts no curve of `curves` covers, by the configured rules).
    private static func read(_ k: Int, target: Held, members: [Held], curves: [TEMCurve], config: TEMDetectorConfig,
                             size: (width: Int, height: Int), mean: inout [Float], count: inout [Float],
                             detector: inout TEMDetector) -> (curves: [TEMCurve], added: Int, seen: Int) {
        let n = size.width * size.height
        if mean.count != n { mean = [Float](repeating: 0, count: n); count = mean }
        mean.withUnsafeMutableBufferPointer { o in count.withUnsafeMutableBufferPointer { c in
            Self.withBuffers(members.map(\.pixels)) { buffers in
                TEMTemporalMean.apply(frames: buffers, drifts: members.map(\.drift), target: target.drift,
                                      width: size.width, height: size.height, out: o, count: c)
            }
        } }
        let found = mean.withUnsafeBufferPointer { detector.detect($0, width: size.width, height: size.height) }
        // `temporalDropGhosts`: the other frames' plain curves, registered onto this one.
        let otherMembers = members.filter { $0.index != k }
        let others = config.temporalDropGhosts
            ? otherMembers.map {
                TEMTemporalGhosts.registered($0.curves.map(\.points), drift: $0.drift, target: target.drift)
            }
            : nil
        // `temporalGhostLeftAlpha`: each other frame's own response read along the frame's line,
        // moved into that frame's pixels (p + drift(j) − drift(k)).
        let alpha = config.temporalGhostLeftAlpha
        let left: [([TEMPoint]) -> Bool]? = config.temporalDropGhosts && alpha > 0
            ? otherMembers.map { m in
                let shift = m.drift - target.drift
                let width = size.width, height = size.height
                return { q in
                    guard let r = m.response else { return true }
                    return !r.withUnsafeBufferPointer {
                        TEMTemporalLineLeft.stillThere(q.map { $0 + shift }, response: $0, width: width, height: height, alpha: alpha)
                    }
                }
            }
            : nil
        // `temporalDropStraightParts`: the frame's straight tolerance from its plain and mean curves.
        let straightTolerance = config.temporalDropStraightParts
            ? TEMTemporalStraightParts.tolerance((curves + found).map { TEMPolyline.resample($0.points, spacing: 1) },
                                                 window: config.extraStraightWindow, quantile: config.extraStraightQuantile)
            : nil
        return Self.mergedParts(plain: curves, mean: found, radius: config.temporalCoverRadius, minLength: config.minLength,
                                samples: config.samples, join: config.joinPieces,
                                straightRMS: config.temporalDropStraight ? config.traceMaxRMS : nil,
                                others: others, left: left, straightTolerance: straightTolerance)
    }

    /// `body` called with every array's buffer at once (the frames of one mean, without copying).
    static func withBuffers<R>(_ arrays: [[Float]], _ body: ([UnsafeBufferPointer<Float>]) -> R) -> R {
        var buffers: [UnsafeBufferPointer<Float>] = []
        func nest(_ i: Int) -> R {
            guard i < arrays.count else { return body(buffers) }
            return arrays[i].withUnsafeBufferPointer { b in
                buffers.append(b)
                return nest(i + 1)
            }
        }
        return nest(0)
    }

    /// `plain` with the parts of `mean`'s curves that lie farther than `radius` px from every
    /// plain curve, each at least `minLength` px long; with `join`, an added part that continues
    /// a curve end to end (`TEMFragmentGrouping`) is joined to it (plain curves are not joined to
    /// each other here: their detector already decided those joins). `straightRMS`: an added part
    /// whose RMS distance to its line is at most this is a slip trace and is not added (the
    /// mean clears a static trace of its noise as it does a line, while the plain frame's
    /// slip-trace rule has already dropped it there; nil: kept). `others`: the plain curve points
    /// of the window's other frames registered onto this one (`TEMTemporalGhosts.registered`),
    /// one array per frame; an added part that is a gliding line's copy (`TEMTemporalGhosts.isGhost`)
    /// is not added (nil: kept). `straightTolerance`: an added part whose longest straight stretch
    /// at this RMS is at least half of it and `minLength` long is a hooked trace piece
    /// (`TEMTemporalStraightParts.isTracePiece`) and is not added (nil: kept). `left`: with
    /// `others`, one test per other frame (same order) of whether that frame's own response shows
    /// the line gone from the given points of this frame (`TEMTemporalGhosts.isGhost`; nil: the
    /// plain curves alone decide).
    public static func merged(plain: [TEMCurve], mean: [TEMCurve], radius: Double, minLength: Double,
                              samples: Int, join: Bool, straightRMS: Double? = nil,
                              others: [[TEMPoint]]? = nil, left: [([TEMPoint]) -> Bool]? = nil,
                              straightTolerance: Double? = nil) -> [TEMCurve] {
        mergedParts(plain: plain, mean: mean, radius: radius, minLength: minLength, samples: samples, join: join,
                    straightRMS: straightRMS, others: others, left: left, straightTolerance: straightTolerance).curves
    }

    /// `merged`, with the number of parts added and of parts `seen`: those added without the
    /// ghost and straight-part drops (`others`, `straightTolerance`).
    public static func mergedParts(plain: [TEMCurve], mean: [TEMCurve], radius: Double, minLength: Double,
                                   samples: Int, join: Bool, straightRMS: Double? = nil,
                                   others: [[TEMPoint]]? = nil, left: [([TEMPoint]) -> Bool]? = nil,
                                   straightTolerance: Double? = nil)
        -> (curves: [TEMCurve], added: Int, seen: Int) {
        guard !mean.isEmpty else { return (plain, 0, 0) }
        let plainPoints = plain.flatMap { TEMPolyline.resample($0.points, spacing: 1) }
        let grid = PointGrid(plainPoints, cell: max(radius, 0.5))
        // Built on the first part that needs them.
        // The other frames' grids, built on the first part that needs them (the frame's own
        // points are `grid`'s).
        var otherGrids: [PointGrid]?
        func isGhost(_ run: [TEMPoint]) -> Bool {
            guard let others else { return false }
            if otherGrids == nil { otherGrids = others.map { PointGrid($0, cell: 4) } }
            return TEMTemporalGhosts.isGhost(run, plain: grid, others: otherGrids!, radius: radius, left: left)
        }
        var extra: [TEMCurve] = []
        var seen = 0
        for curve in mean {
            let dense = TEMPolyline.resample(curve.points, spacing: 1)
            var run: [TEMPoint] = []
            func close() {
                defer { run = [] }
                guard run.count >= 2 else { return }
                let length = TEMPolyline.length(run)
                guard length >= minLength else { return }
                if let straightRMS, TEMDetector.lineRMS(run) <= straightRMS { return }
                seen += 1
                if let straightTolerance, TEMTemporalStraightParts.isTracePiece(run, tolerance: straightTolerance, minLength: minLength) { return }
                if isGhost(run) { return }
                let kappa = TEMPolyline.curvature(run, halfWindow: 4)
                let inner = kappa.count > 8 ? Array(kappa[4..<(kappa.count - 4)]) : kappa
                extra.append(TEMCurve(points: TEMPolyline.resample(run, count: max(samples, 2)), lengthPx: length,
                                      meanCurvature: inner.isEmpty ? 0 : inner.reduce(0, +) / Double(inner.count),
                                      maxCurvature: inner.max() ?? 0, meanResponse: curve.meanResponse))
            }
            for p in dense {
                if grid.hasPoint(within: radius, of: p) { close() } else { run.append(p) }
            }
            close()
        }
        guard !extra.isEmpty else { return (plain, 0, seen) }
        let all = plain + extra
        guard join else { return (all, extra.count, seen) }
        let first = plain.count
        return (TEMFragmentGrouping.joinedCurves(all, samples: samples) { $0.a >= first || $0.b >= first }, extra.count, seen)
    }
}
