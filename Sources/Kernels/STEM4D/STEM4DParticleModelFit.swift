#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Particles as one model of every view at once: each view is a plane background minus the
/// projected chords of hard spheres, a sphere at (X, Y, z) of radius r appearing at
/// (X, Y) − z·t_v in view v. Starting from the blob-matched particles, it
///
/// 1. refits each sphere's (x, y, z, r) against the pixels of all views with the other
///    spheres held (block coordinate descent, Nelder–Mead, amplitude solved in closed form), so
///    depth comes from the whole chord template of every view, not from blob centres;
/// 2. searches what the model leaves unexplained by a depth sweep (the views' residuals,
///    LoG-filtered at every radius, shifted to each trial depth and averaged with inverse-noise
///    weights — at a missing particle's depth its views line up), and adds each peak that the
///    fit accepts. A particle hidden under a neighbour in projection, merged into one blob in
///    every view, shows up in the residual once its neighbour is modelled: this is what
///    separates touching, chained and overlapping spheres;
/// 3. drops spheres whose fitted amplitude is not significant, and duplicates (two spheres
///    interpenetrating by more than half their radii: hard spheres do not).
///
/// Every threshold is one number, `significance`, in standard deviations of noise measured on
/// the data: the pixel noise of each view from neighbour differences, and a model-mismatch
/// term (a fraction of the modelled absorption, measured from the residuals of the fit) so
/// that a slightly wrong profile at high dose does not spawn particles.
public struct STEM4DParticleModelFit: Sendable, Hashable {
    /// A view: its image and its shift per unit depth (a point at depth z appears at (X, Y) − z·t).
    public struct View: Sendable, Hashable {
        public var image: STEM4DImage
        public var tx: Double
        public var ty: Double
        /// The spread of the detector's tilts about (tx, ty), weights summing to 1
        /// (`STEM4DStereoGeometry.viewTiltSpread`): a sphere at depth z is the weighted sum of
        /// its chords shifted by −z·(dtx, dty). One entry (0, 0, 1): a point detector.
        public var spread: [Spread]
        /// A view with its projection direction and tilt spread.
        public init(image: STEM4DImage, tx: Double, ty: Double, spread: [(dtx: Double, dty: Double, weight: Double)] = [(0, 0, 1)]) {
            self.image = image; self.tx = tx; self.ty = ty
            self.spread = spread.map { Spread(dtx: $0.dtx, dty: $0.dty, weight: $0.weight) }
        }
    }

    /// One part of a view's tilt spread.
    public struct Spread: Sendable, Hashable {
        public var dtx: Double
        public var dty: Double
        public var weight: Double
    }

    /// Radii searched, px.
    public var radiusMin: Double
    public var radiusMax: Double
    /// Depth range, scan px.
    public var zMin: Double
    public var zMax: Double
    /// Detection and acceptance threshold, standard deviations.
    public var significance: Double
    /// Search rounds (each: search the residual, add, refit all, prune).
    public var rounds: Int
    /// After the rounds, test every sphere that lies on a neighbour in every view against the
    /// neighbours alone, refitted (information criterion; `STEM4DParticleModelSelection`), and
    /// drop it when they explain the views as well. Off: the method of 4 December.
    public var mergeTest = false
    /// Significance in units of the local noise: each sphere's χ² gain divided by the reduced
    /// χ² of the model around it when that exceeds one (`STEM4DParticleModelSelection`), for
    /// pruning and for accepting what the residual search adds. Off: the global noise model
    /// alone (the method of 4 December).
    public var localNoise = false
    /// Hard spheres within the measured uncertainty, in every pruning
    /// (`STEM4DParticleModelSelection`): `.overlap` drops the less significant of two spheres
    /// interpenetrating by more than three standard errors of their overlap; `.centre` only
    /// when one's centre lies inside the other by more than three standard errors. `.off`:
    /// only the fixed duplicate rule (the method of 4 December).
    public var hardSpheres = HardSpheres.off
    /// How the hard-sphere constraint is applied.
    /// `.refit`: as `.overlap`, but which of the two goes is decided by χ² — each removed in
    /// turn with the other refitted alone, the better one-sphere model kept.
    public enum HardSpheres: String, Sendable, Hashable, CaseIterable { case off, overlap, centre, refit }
    /// When > 0, each view's tilt spread (`View.spread`, then given finely, e.g. per detector
    /// pixel) is pooled per depth into square cells of the spread's extent no wider than this
    /// many scan px at that depth, and never coarser than 3 × 3: a sphere far from focus seen
    /// through a wide detector (a quadrant) is modelled as the sum of its nearly unsmeared
    /// images (`STEM4DParticleSpreadLevels`). 0: the spread as given (3 × 3 cells pooled by the
    /// caller, the method of 5 December).
    public var spreadCellPx = 0.0
    /// Each chord sampled at the pixel centre only (a probe much smaller than the scan step,
    /// as the synthesizer and a focused probe image), instead of averaged over the pixel. The
    /// average is a 1 px box the data do not have: fitted to a point-sampled sphere it leaves
    /// a ring of up to 15 % of the contrast at the rim, which at high dose in the quadrants'
    /// views is tens of σ and is taken for small spheres. Off: the pixel average (5 December).
    public var pointSampling = false
    /// The chord's blur measured from the data (`STEM4DParticleBlur`): after the first fit, the
    /// strongest isolated spheres are refitted with each of `blurWidths` (a box of that many px
    /// over each scan pixel: the probe and the pixel; 0 = `pointSampling`, 1 = the pixel
    /// average), and the width of the highest likelihood is used for every sphere after.
    /// Overrides `pointSampling`. Off: the sampling as chosen (5 and 6 December).
    public var measureBlur = false
    /// After the rounds, each sphere with two or more smaller spheres overlapping it in every
    /// view is tested against itself grown and refitted without them, together
    /// (`STEM4DParticleSatellites`, information criterion). Off: the method of 6 December.
    public var satellites = false
    /// After the satellites, each stack of spheres overlapping in every view is taken out and
    /// built again by forward selection (one sphere up to one more than before, each started
    /// from the stack's old positions with a depth scan), kept when its information criterion
    /// is lower (`STEM4DParticleStackRefit`): one sphere fitted as two split in depth, two as
    /// three, two stacked as one. Off: the method of 6 December.
    public var splitMerge = false
    /// After the split/merge move, each sphere is tried as two side by side in projection (a
    /// symmetric pair about it, the best of a grid of directions, separations and radii, then both
    /// refitted in all their parameters against every view), kept when the information
    /// criterion prefers two (`STEM4DParticleLateralSplit`): two small spheres overlapping in
    /// projection fitted as one between them. Off: the method of 7 December.
    public var splitLateral = false
    /// With `splitLateral`: the pair is judged against the strongest one-sphere alternative —
    /// one sphere refitted in all its parameters from the old sphere's and from each new
    /// sphere's position, the old state held among them — with the neighbours refitted alike
    /// in both arms (`STEM4DParticleLateralRival`). Off: against the old sphere held, the
    /// neighbours held (7 December).
    public var splitLateralRival = false
    /// With `splitLateralRival`: the pair must also win the plain split's comparison (the old
    /// sphere and the neighbours held), so the rival only ever refuses pairs the plain split
    /// would keep. Off: the rival's comparison alone.
    public var splitLateralRivalAndHeld = false
    /// With `splitLateralRival`: the three-against-one arms (`STEM4DParticleLateralRival`). For
    /// every sphere lying on the old one — its projection overlapping the old sphere's in every
    /// view (`overlappingInEveryView`, centre distance under the sum of the radii, as the merge
    /// test, the satellites and the stack read it) — one more one-sphere arm: one sphere in
    /// place of *both*, refitted in all five parameters from each of the two and from their
    /// amplitude-weighted mean, the other neighbours refitted as in every arm, charged one
    /// sphere less than the others. `.refuse`: the arm can only refuse a pair (the state
    /// restored); `.merge`: where it beats the pair and every other one-sphere arm, the state
    /// becomes that one sphere (the two replaced). `.off`: no such arm (7 December).
    public var splitLateralRivalMerge = RivalMerge.off
    /// With `splitLateralRival`: every arm's own spheres (the old sphere, the one in its place,
    /// the pair) and its neighbours refitted in turn until the weighted χ² over their pixels
    /// stops falling (`STEM4DParticleRivalJointRefit`, `refitInTurn`): spheres lying on each other share
    /// their amplitude, and one pass of each leaves the share where it was. Off: one pass (7 December).
    public var splitLateralRivalJoint = false
    /// What the three-against-one arm may do (`splitLateralRivalMerge`).
    public enum RivalMerge: String, Sendable, Hashable, CaseIterable { case off, refuse, merge }
    /// After the rounds, the amplitude law of the job's spheres (one material: the median
    /// amplitude and its robust spread) is measured and every later fit and model
    /// comparison holds each sphere to it by a Gaussian prior (`STEM4DParticleAmplitudeLaw`):
    /// a sphere explained as two weaker ones split in depth, or a faint one spread over a crowd,
    /// pays for its wrong strength. Off: each amplitude free (the method of 6 December).
    public var sharedAmplitude = false
    /// With `sharedAmplitude`: each sphere's prior variance is the spread squared plus its own
    /// amplitude variance from the fit (`STEM4DParticleAmplitudeLaw.perSphere`). Off: the spread alone.
    public var sharedAmplitudePerSphere = false
    /// After the rounds, a Student-t law of the job's amplitudes (location, scale and tail fitted
    /// to them by maximum likelihood) is measured and charged, (ν + 1) ln(1 + d² / ν) a sphere,
    /// only where sets of spheres are compared — the merge test, the satellites, the stack
    /// split/merge — never in a refit (`STEM4DParticleStudentTLaw`). Off: no amplitude prior
    /// there (the method of 6 December).
    public var amplitudeStudentT = false
    /// The largest stack `splitMerge` refits (spheres); a crowd chained by overlaps beyond it
    /// is left to the local fits.
    public var stackMax = 10
    /// `splitMerge` also starts spheres where the residual of the stack taken out peaks along
    /// depth (`residualStarts`), not only at the stack's old positions. Off: old positions only.
    public var stackResidualStarts = false
    /// Pixels at the detector's floor censored (`STEM4DParticleFloor`): each view's floor
    /// measured from its lowest pixels, and a pixel there only says the model is at or below it
    /// — in every amplitude fit, χ² comparison, the residual search, the background and the
    /// mismatch terms. Off: every pixel a linear residual (the method of 6 December).
    public var floorCensored = false
    /// The prediction held at the floor, max(floor, prediction), on the pixels not censored
    /// (`STEM4DParticleFloorHeld`) — the detector counts no less than its floor anywhere. The
    /// floor is the censored one where a view clips (`floorCensored`), else the median of the
    /// view's lowest 0.5 % of pixels (at a low dose the floor does not pile up, and no view
    /// clips: 64² draw 1). `.rival`: in the lateral split's rival only (every χ² it compares: its arms,
    /// the plain comparison it makes, its joint refits); `.all`: every χ² comparison, the residual
    /// search, each amplitude fit (`score`), the mismatch terms and the Fisher information (a pixel
    /// with the prediction under the floor there says nothing of the sphere). The per-view
    /// consistency check keeps the censored model. `.off`: the linear prediction (7 December).
    public var floorHeld = FloorHeld.off
    /// Where `floorHeld` acts.
    public enum FloorHeld: String, Sendable, Hashable, CaseIterable { case off, rival, all }
    /// With `floorHeld == .all`: the background (plane and smooth term) is refitted without the
    /// pixels the model predicts under the floor they are held at, as without the censored
    /// ones — under the held model image + level × model is no background sample there. Off:
    /// every uncensored pixel (the twenty-fourth session).
    public var floorHeldBackground = false
    /// The box widths tried when `measureBlur`, px.
    public var blurWidths: [Double] = [0, 0.25, 0.5, 0.75, 1, 1.5]
    /// After the rounds, each sphere's depth is chosen between the minima of its coarse depth
    /// profile: the best other minimum is tried with the sphere and its neighbours refitted, and
    /// kept when the weighted χ² over their pixels is lower (`STEM4DParticleDepthChoice`).
    /// Off: the depth the local fit reached (5 December).
    public var depthChoice = false
    /// When > 0, the last step drops every sphere whose depth standard error (`depthSigma`) is
    /// more than this factor times the median over all spheres of the fit
    /// (`STEM4DParticleModelSelection.depthOutliers`); 0: off (the method of 4 December).
    public var depthOutlierFactor = 0.0
    /// With `depthOutlierFactor`: drop only spheres that also lie on another in every view
    /// (`overlappingInEveryView`). What the rule is for — a large faint sphere spread over a
    /// cluster, a small one hung on a neighbour's rim — always lies on other spheres; a sphere
    /// alone with a poorly determined depth is a faint or small real one, which nothing else
    /// explains. Off: every sphere is subject to the rule (the method of 4 December).
    public var depthOutlierOverlappingOnly = false
    /// With `depthOutlierFactor`: before the rule judges, every sphere it would drop gets its
    /// depth profile with its neighbours refitted (`STEM4DParticleJointDepth`) and is moved,
    /// with them, to the profile's minimum when that lowers the weighted χ² over their pixels;
    /// the rule then judges every sphere's standard error at that state. A real sphere the
    /// greedy fit left at a compromise with its crowd is judged where the views put it. Off:
    /// judged where the fit left it (7 December).
    public var depthOutlierJoint = false
    /// Which spheres' σz median the depth-outlier rule scales by (`depthOutlierFactor`).
    /// `.all`: every sphere of the fit (4 December). `.kept`: the spheres whose depth the rule
    /// finds determined, the rule applied again with their median until that set stops changing
    /// (a sphere spared by `depthOutlierOverlappingOnly` is not in it) — where faint
    /// spheres of poorly determined depth are half the fit or more (a crowded, clipped draw), the
    /// median of all is one of theirs and the rule keeps them all (64² draw 216: 67 spheres
    /// judged, median σz ≥ 1.4 px, where the true spheres' is 0.16).
    public var depthOutlierReference = DepthOutlierReference.all
    /// The spheres whose σz median scales the depth-outlier rule.
    public enum DepthOutlierReference: String, Sendable, Hashable, CaseIterable { case all, kept }

    /// A fit over radii `radiusMin`…`radiusMax` and depths `zMin`…`zMax`.
    public init(radiusMin: Double = 1.5, radiusMax: Double = 8, zMin: Double = -60, zMax: Double = 60,
                significance: Double = 6, rounds: Int = 4) {
        self.radiusMin = radiusMin; self.radiusMax = radiusMax; self.zMin = zMin; self.zMax = zMax
        self.significance = significance; self.rounds = rounds
    }

    /// The particles after the joint fit, starting from `initial` (may be empty).
    public func fit(_ initial: [STEM4DParticle3D], views: [View]) -> [STEM4DParticle3D] {
        fitReporting(initial, views: views).particles
    }

    /// What `fitReporting` returns: the particles, and the chord's blur width used (px) with,
    /// when it was measured, each tried width's summed χ² gain on the spheres it was measured on.
    public struct Outcome: Sendable {
        public var particles: [STEM4DParticle3D]
        public var blurWidth: Double
        public var blurGains: [Double] = []
        public var blurWidthsTried: [Double] = []
        public var blurSpheres = 0
    }

    /// The joint fit (as `fit`), with the blur width it used.
    public func fitReporting(_ initial: [STEM4DParticle3D], views: [View]) -> Outcome {
        guard views.count >= 2, let first = views.first, first.image.rows >= 4, first.image.cols >= 4,
              views.allSatisfy({ $0.image.rows == first.image.rows && $0.image.cols == first.image.cols }) else {
            return Outcome(particles: initial, blurWidth: pointSampling ? 0 : 1)
        }
        let state = STEM4DParticleModelState(views: views, fit: self)
        for p in initial {
            state.add(STEM4DParticleModelState.Sphere(x: p.x, y: p.y, z: min(zMax, max(zMin, p.z)),
                                                      r: min(radiusMax, max(radiusMin, p.radius)), c: 0))
        }
        state.initialBackground()
        for k in state.spheres.indices { state.refine(k) }
        state.refitBackground()
        state.measureMismatch()
        var outcome = Outcome(particles: [], blurWidth: state.blur)
        if measureBlur, let m = state.measureBlur(widths: blurWidths) {
            outcome.blurGains = m.gains; outcome.blurWidthsTried = blurWidths; outcome.blurSpheres = m.spheres; outcome.blurWidth = m.width
            state.setBlur(m.width)
            state.refitBackground()
            state.measureMismatch()
        }
        state.refineAll()
        state.prune()
        STEM4DParticleTrace.stage("initial", state)
        for round in 0..<rounds {
            let added = state.searchResidual()
            state.settle()
            STEM4DParticleTrace.stage("search round \(round + 1) (+\(added))", state)
            if added == 0 { break }
        }
        if sharedAmplitude && state.measureAmplitudeLaw(perSphere: sharedAmplitudePerSphere) { state.settle() }
        if amplitudeStudentT { state.comparisonLaw = STEM4DParticleStudentTLaw.measure(amplitudes: state.spheres.map(\.c)) }
        if satellites && state.absorbSatellites() > 0 { state.settle() }
        if satellites { STEM4DParticleTrace.stage("satellites", state) }
        if splitMerge && state.refitStacks() > 0 { state.settle() }
        if splitMerge { STEM4DParticleTrace.stage("stack", state) }
        if splitLateral && state.splitLaterally() > 0 { state.settle() }
        if splitLateral { STEM4DParticleTrace.stage("lateral split", state) }
        if depthChoice && state.chooseDepths() > 0 { state.settle() }
        if mergeTest && state.mergeRedundant() > 0 { state.settle() }
        let found = particles(of: state, views: views.count)
        STEM4DParticleModelDump.write(state)
        guard depthOutlierFactor > 0 else { outcome.particles = found; return outcome }
        var keep = judgeDepths(found, state: state)
        if STEM4DParticleTrace.on {
            let sigmas = found.map { $0.depthSigma ?? .infinity }
            STEM4DParticleTrace.rule(sigmas, factor: depthOutlierFactor, keep: keep, label: "judged")
            if depthOutlierReference == .kept {
                STEM4DParticleTrace.rule(sigmas.indices.filter { keep[$0] }.map { sigmas[$0] }, factor: depthOutlierFactor, keep: keep,
                                         label: "the kept spheres, spared ones too")
            }
            STEM4DParticleTrace.gains(state, sigmas: sigmas)
            let here = keep.indices.filter { STEM4DParticleTrace.near(state.spheres[$0]) }
            STEM4DParticleTrace.say("depth-outlier rule, near: " + here.map {
                "#\($0) σz \(String(format: "%.2f", found[$0].depthSigma ?? .nan)) " + (keep[$0] ? "kept" : "dropped")
            }.joined(separator: ", "))
        }
        guard depthOutlierJoint, keep.contains(false) else {
            outcome.particles = zip(found, keep).filter(\.1).map(\.0)
            return outcome
        }
        // The spheres the rule would drop, judged again after their joint depth profiles; the
        // others keep their claim (a move of a neighbour does not put them on trial).
        let judged = keep.indices.filter { !keep[$0] }
        state.placeAtJointDepths(judged)
        let after = particles(of: state, views: views.count)
        let again = judgeDepths(after, state: state)
        for k in judged { keep[k] = again[k] }
        outcome.particles = zip(after, keep).filter(\.1).map(\.0)
        return outcome
    }

    /// The fit's spheres as particles, with their depth standard errors and significances.
    func particles(of state: STEM4DParticleModelState, views: Int) -> [STEM4DParticle3D] {
        state.spheres.indices.map { k in
            let s = state.spheres[k]
            var p = STEM4DParticle3D(x: s.x, y: s.y, z: s.z, radius: s.r, views: views, residual: 0)
            p.depthSigma = state.depthSigma(k)
            p.significance = state.significance(k)
            return p
        }
    }

    /// The depth-outlier rule (`depthOutlierFactor`, `depthOutlierOverlappingOnly`): whether each
    /// sphere keeps its claim.
    func judgeDepths(_ found: [STEM4DParticle3D], state: STEM4DParticleModelState) -> [Bool] {
        let sigmas = found.map { $0.depthSigma ?? .infinity }
        var keep = STEM4DParticleModelState.depthDetermined(sigmas, factor: depthOutlierFactor)
        if depthOutlierReference == .kept {
            // The median of the spheres whose depth the rule finds determined, to a fixed point:
            // each pass drops only spheres above the last median, so the median never rises and
            // the set only shrinks. A sphere spared below for being alone in a view is not in it.
            for _ in 0..<keep.count {
                let next = STEM4DParticleModelState.depthDetermined(sigmas, factor: depthOutlierFactor,
                                                                     reference: sigmas.indices.filter { keep[$0] }.map { sigmas[$0] })
                if next == keep { break }
                keep = next
            }
        }
        if depthOutlierOverlappingOnly {
            for k in keep.indices where !keep[k] && state.overlappingInEveryView(k).isEmpty { keep[k] = true }
        }
        return keep
    }
}

/// The mutable state of one fit: views, background planes, noise, spheres and the rendered model.
final class STEM4DParticleModelState {
    struct Sphere { var x, y, z, r, c: Double }

    let w: Int, h: Int
    let images: [[Double]]
    let t: [(Double, Double)]
    let fit: STEM4DParticleModelFit
    /// Background plane per view: level at the image centre and slopes.
    var plane: [(Double, Double, Double)]
    /// Pixel noise per view (counts).
    var sigma: [Double]
    /// Smooth background beyond the plane per view (counts): what the plane leaves, low-passed
    /// far below any particle's size.
    var smooth: [[Double]]
    /// Model mismatch (measured): a fraction of the modelled absorption, and a length (px)
    /// times its gradient — a profile or position slightly off shows at the rims.
    var kappaEdge = 0.0
    /// The squared relative mismatch per bin of modelled absorption (`binEdges`): overlapping
    /// strong particles absorb less than the sum of their chords (saturation, Beer–Lambert),
    /// which a fit of sums cannot follow; measured, not assumed.
    var excessPerBin = [Double](repeating: 0, count: binEdges.count)
    static let binEdges: [Double] = [0, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 1.2, 1.6]
    @inline(__always) static func bin(_ m: Double) -> Int {
        var b = 0
        while b + 1 < binEdges.count && m >= binEdges[b + 1] { b += 1 }
        return b
    }
    /// Squared gradient of level·model per view, refreshed when the mismatch is measured.
    var grad2: [[Double]]
    var spheres: [Sphere] = []
    /// Σ c·chord per view (absorption, unitless).
    var model: [[Double]]
    /// Largest |t| over the views: scales depth steps.
    let tMax: Double
    /// Each view's tilt spread pooled at increasing resolution, and its largest offset.
    let spread: [STEM4DParticleSpreadLevels]
    let spreadMax: [Double]
    /// The chord's blur, a box of this width over each scan pixel (px): 0 samples the chord at
    /// the pixel centre (`pointSampling`), 1 averages it over the pixel (the default).
    var blur: Double
    /// The amplitude law every sphere is held to (`sharedAmplitude`), once measured; nil: each
    /// sphere's amplitude free.
    var amplitudeLaw: STEM4DParticleAmplitudeLaw? = nil
    /// The Student-t law charged in the comparisons between sets of spheres only
    /// (`amplitudeStudentT`), once measured; nil: none.
    var comparisonLaw: STEM4DParticleStudentTLaw? = nil
    /// Scratch for `score`'s censored pixels (the fit is single-threaded).
    var floorTerms: [STEM4DParticleFloor.Term] = []
    /// Scratch for `score`'s terms with `heldInFits`.
    var heldTerms: [STEM4DParticleFloorHeld.Term] = []
    /// `amplitudeRadix`'s buffers for `score`.
    var heldScratch = STEM4DParticleFloorHeld.RadixScratch()
    /// Each view's floor (counts) and its pixels at it (`floorCensored`); empty when off.
    var floor: [Double] = []
    var censored: [[Bool]] = []
    /// Each view's censoring threshold (counts; −∞ when the view does not clip); empty when off.
    var floorThreshold: [Double] = []
    /// Each view's floor the prediction is held at (`floorHeld`, counts): the censored floor
    /// where the view clips, else the median of its lowest pixels; empty when off.
    var holdFloor: [Double] = []
    /// Uncensored residuals against max(holdFloor, prediction) (`floorHeld`): always with `.all`,
    /// during the lateral split's rival with `.rival`.
    var heldAtFloor = false
    /// `floorHeld == .all`: each amplitude fit holds the prediction at the floor.
    var heldInFits = false
    /// `floorHeldBackground` with `heldInFits`: the background refit leaves out the pixels the
    /// model predicts under the floor.
    var heldBackground = false

    init(views: [STEM4DParticleModelFit.View], fit: STEM4DParticleModelFit) {
        w = views[0].image.cols; h = views[0].image.rows
        images = views.map { $0.image.pixels.map(Double.init) }
        t = views.map { ($0.tx, $0.ty) }
        let given = views.map { $0.spread.isEmpty ? [STEM4DParticleModelFit.Spread(dtx: 0, dty: 0, weight: 1)] : $0.spread }
        spread = given.map { STEM4DParticleSpreadLevels($0, cellPx: fit.spreadCellPx) }
        spreadMax = given.map { $0.map { ($0.dtx * $0.dtx + $0.dty * $0.dty).squareRoot() }.max() ?? 0 }
        self.fit = fit
        blur = fit.pointSampling ? 0 : 1
        model = views.map { [Double](repeating: 0, count: $0.image.pixels.count) }
        smooth = model
        grad2 = model
        tMax = max(1e-4, views.map { ($0.tx * $0.tx + $0.ty * $0.ty).squareRoot() }.max() ?? 0)
        let (W, H) = (w, h)
        sigma = images.map { Self.pixelNoise($0, w: W, h: H) }
        plane = images.map { img in
            let s = img.sorted()
            return (s[min(s.count - 1, Int(0.9 * Double(s.count)))], 0, 0)
        }
        if fit.floorCensored {
            let measured = images.indices.map { STEM4DParticleFloor.measure(images[$0], level: plane[$0].0, sigma: sigma[$0]) }
            // A view that does not clip keeps every pixel a plain residual; when none clips, the
            // fit is the one without the floor.
            if measured.contains(where: { $0 != nil }) {
                floor = measured.map { $0?.floor ?? -.infinity }
                censored = images.indices.map { v in images[v].map { $0 <= (measured[v]?.threshold ?? -.infinity) } }
                floorThreshold = measured.map { $0?.threshold ?? -.infinity }
            }
        }
        if fit.floorHeld != .off {
            holdFloor = images.indices.map { v in
                !floor.isEmpty && floor[v].isFinite ? floor[v] : STEM4DParticleFloorHeld.lowestMedian(images[v])
            }
            heldAtFloor = fit.floorHeld == .all
            heldInFits = fit.floorHeld == .all
            heldBackground = heldInFits && fit.floorHeldBackground
        }
    }

    /// Whether pixel `i` of view `v` is at the floor (censored).
    @inline(__always) func isCensored(_ v: Int, _ i: Int) -> Bool { !censored.isEmpty && censored[v][i] }

    /// The residual of pixel (v, i) under the current model, counts: image − prediction, or at a
    /// censored pixel how far the prediction stands above the floor (0 when at or below it).
    @inline(__always) func residual(_ v: Int, _ i: Int) -> Double {
        let prediction = background(v, i % w, i / w) - plane[v].0 * model[v][i]
        if isCensored(v, i) { return max(0, prediction - floor[v]) }
        if heldAtFloor { return images[v][i] - max(holdFloor[v], prediction) }
        return images[v][i] - prediction
    }

    /// Whether the current model predicts pixel (v, i) under the floor it is held at (never when
    /// `floorHeld` is off).
    @inline(__always) func predictedUnderFloor(_ v: Int, _ i: Int) -> Bool {
        !holdFloor.isEmpty && background(v, i % w, i / w) - plane[v].0 * model[v][i] < holdFloor[v]
    }

    /// The absorption the model lacks at pixel (v, i), in units of the level (the residual
    /// search's input): what the image says, or at a censored pixel only what the model needs
    /// to reach the floor (0 when it does).
    @inline(__always) func unexplained(_ v: Int, _ x: Int, _ y: Int) -> Double {
        let i = y * w + x
        if isCensored(v, i) { return max(0, (background(v, x, y) - floor[v]) / plane[v].0 - model[v][i]) }
        if heldAtFloor {
            return (max(holdFloor[v], background(v, x, y) - plane[v].0 * model[v][i]) - images[v][i]) / plane[v].0
        }
        return (background(v, x, y) - images[v][i]) / plane[v].0 - model[v][i]
    }

    /// Robust pixel noise from neighbour differences (1.4826 · MAD / √2).
    static func pixelNoise(_ img: [Double], w: Int, h: Int) -> Double {
        var d: [Double] = []
        d.reserveCapacity(w * h)
        for y in 0..<h { for x in 1..<w { d.append(abs(img[y * w + x] - img[y * w + x - 1])) } }
        d.sort()
        return d.isEmpty ? 1 : max(d[d.count / 2] * 1.4826 / 2.0.squareRoot(), 1e-9)
    }

    @inline(__always) func background(_ v: Int, _ x: Int, _ y: Int) -> Double {
        let p = plane[v]
        return p.0 + p.1 * (Double(x) - Double(w - 1) / 2) + p.2 * (Double(y) - Double(h - 1) / 2) + smooth[v][y * w + x]
    }

    /// Pixels covered by sphere `s` in view `v` (bounding box, clipped), empty when outside.
    func box(_ s: Sphere, _ v: Int, pad: Double) -> (Int, Int, Int, Int)? {
        let cx = s.x - s.z * t[v].0, cy = s.y - s.z * t[v].1, R = s.r + pad + abs(s.z) * spreadMax[v]
        let x0 = max(0, Int((cx - R).rounded(.down))), x1 = min(w - 1, Int((cx + R).rounded(.up)))
        let y0 = max(0, Int((cy - R).rounded(.down))), y1 = min(h - 1, Int((cy + R).rounded(.up)))
        return x0 <= x1 && y0 <= y1 ? (x0, x1, y0, y1) : nil
    }

    /// The chord √(1 − ρ²/r²) of a unit sphere at (cx, cy), averaged over the pixel: 4×4
    /// sub-pixels where the rim crosses it (so the fit sees a smooth function of position and
    /// radius — coarser sampling leaves ripples of a few hundredths of a pixel, which at
    /// |t| ≈ 0.07 are a pixel of depth), 2×2 inside, nothing outside.
    @inline(__always) static func chord(_ x: Int, _ y: Int, _ cx: Double, _ cy: Double, _ r: Double) -> Double {
        let ex = Double(x) - cx, ey = Double(y) - cy
        let rho = (ex * ex + ey * ey).squareRoot()
        if rho >= r + 0.75 { return 0 }
        let inv = 1 / (r * r)
        let offsets: [Double] = rho <= r - 0.75 ? [-0.25, 0.25] : [-0.375, -0.125, 0.125, 0.375]
        var s = 0.0
        for oy in offsets {
            let dy = ey + oy
            for ox in offsets {
                let dx = ex + ox
                let q = 1 - (dx * dx + dy * dy) * inv
                if q > 0 { s += q.squareRoot() }
            }
        }
        return s / Double(offsets.count * offsets.count)
    }

    /// The chord of a unit sphere in view `v` at pixel (x, y): centre (cx, cy) for the view's
    /// mean tilt, smeared by depth `z` over the view's tilt spread (skipped when the smear is
    /// under 0.2 px, where it changes nothing the 2×2 sampling resolves), pooled as fine as
    /// depth `levelZ` needs (default `z`; a derivative in z holds it, so that the change of
    /// pooling between two depths is not taken for signal).
    @inline(__always) func chord(_ v: Int, _ x: Int, _ y: Int, _ cx: Double, _ cy: Double, _ r: Double, _ z: Double,
                                 levelZ: Double? = nil) -> Double {
        if abs(z) * spreadMax[v] < 0.2 { return unitChord(x, y, cx, cy, r) }
        var s = 0.0
        for p in spread[v].cells(depth: levelZ ?? z) { s += p.weight * unitChord(x, y, cx - z * p.dtx, cy - z * p.dty, r) }
        return s
    }

    /// The unit sphere's chord at pixel (x, y) under the current blur.
    @inline(__always) func unitChord(_ x: Int, _ y: Int, _ cx: Double, _ cy: Double, _ r: Double) -> Double {
        if blur == 0 { return Self.pointChord(x, y, cx, cy, r) }
        if blur == 1 { return Self.chord(x, y, cx, cy, r) }
        return Self.boxChord(x, y, cx, cy, r, width: blur)
    }

    /// Sets the chord's blur and renders the model again with it.
    func setBlur(_ width: Double) {
        guard width != blur else { return }
        for s in spheres { render(s, sign: -1) }
        blur = width
        for s in spheres { render(s, sign: 1) }
    }

    /// The chord averaged over a box of `width` px centred on the pixel: n × n sub-samples
    /// where the rim crosses the box (n ≥ 4, ≤ 0.25 px apart), half as many per axis inside.
    /// `width` 1 is `chord` with a different loop (kept apart so the default's numbers hold).
    static func boxChord(_ x: Int, _ y: Int, _ cx: Double, _ cy: Double, _ r: Double, width b: Double) -> Double {
        let ex = Double(x) - cx, ey = Double(y) - cy
        let rho = (ex * ex + ey * ey).squareRoot()
        if rho >= r + 0.75 * b { return 0 }
        let rim = Swift.max(4, Int((4 * b).rounded(.up)))
        let n = rho <= r - 0.75 * b ? Swift.max(2, rim / 2) : rim
        let inv = 1 / (r * r), step = b / Double(n)
        var s = 0.0
        for j in 0..<n {
            let dy = ey + (Double(j) + 0.5) * step - 0.5 * b
            for i in 0..<n {
                let dx = ex + (Double(i) + 0.5) * step - 0.5 * b
                let q = 1 - (dx * dx + dy * dy) * inv
                if q > 0 { s += q.squareRoot() }
            }
        }
        return s / Double(n * n)
    }

    /// The chord √(1 − ρ²/r²) of a unit sphere at (cx, cy), at the centre of pixel (x, y).
    @inline(__always) static func pointChord(_ x: Int, _ y: Int, _ cx: Double, _ cy: Double, _ r: Double) -> Double {
        let ex = Double(x) - cx, ey = Double(y) - cy
        let q = 1 - (ex * ex + ey * ey) / (r * r)
        return q > 0 ? q.squareRoot() : 0
    }

    /// Adds (sign +1) or removes (−1) sphere `s`'s chords from the model.
    func render(_ s: Sphere, sign: Double) {
        for v in images.indices {
            guard let b = box(s, v, pad: 1) else { continue }
            let cx = s.x - s.z * t[v].0, cy = s.y - s.z * t[v].1
            for y in b.2...b.3 { for x in b.0...b.1 { model[v][y * w + x] += sign * s.c * chord(v, x, y, cx, cy, s.r, s.z) } }
        }
    }

    func add(_ s: Sphere) { spheres.append(s); render(s, sign: 1) }

    /// Variance of pixel (v, i) given the model there: pixel noise plus the mismatch term.
    @inline(__always) func variance(_ v: Int, _ i: Int) -> Double {
        let m = plane[v].0 * model[v][i]
        return sigma[v] * sigma[v] + excessPerBin[Self.bin(model[v][i])] * m * m + kappaEdge * kappaEdge * grad2[v][i]
    }

    /// The pixels a sphere near `s` may touch in every view, with what the model without it
    /// leaves there (f = background − image − level·(model without it): the particle's own
    /// absorption in counts) and the inverse variances.
    /// `censored` (empty when the floor is off): the pixel is at the floor, its f the absorption
    /// down to the floor, paid only while the model stays above it (`STEM4DParticleFloor`).
    struct Patch {
        var v: [Int]; var x: [Int]; var y: [Int]; var f: [Double]; var iv: [Double]; var level: [Double]
        var censored: [Bool] = []
        /// With `heldInFits`: each pixel's headroom, background − level × model − the floor it is
        /// held at (counts); empty otherwise.
        var head: [Double] = []
    }

    func patch(around s: Sphere, reach: Double) -> Patch {
        var p = Patch(v: [], x: [], y: [], f: [], iv: [], level: [])
        for v in images.indices {
            guard let b = box(s, v, pad: reach) else { continue }
            for y in b.2...b.3 {
                for x in b.0...b.1 {
                    let i = y * w + x
                    p.v.append(v); p.x.append(x); p.y.append(y)
                    let cut = isCensored(v, i)
                    p.f.append(background(v, x, y) - (cut ? floor[v] : images[v][i]) - plane[v].0 * model[v][i])
                    p.iv.append(1 / variance(v, i))
                    p.level.append(plane[v].0)
                    if !censored.isEmpty { p.censored.append(cut) }
                    if heldInFits { p.head.append(background(v, x, y) - plane[v].0 * model[v][i] - holdFloor[v]) }
                }
            }
        }
        return p
    }

    /// For geometry (x, y, z, r) on `patch`: the best amplitude c ≥ 0 and the χ² improvement
    /// over no sphere ((Σ f g / σ²)² / Σ g² / σ², the squared significance).
    func score(_ patch: Patch, _ x: Double, _ y: Double, _ z: Double, _ r: Double) -> (c: Double, gain: Double) {
        var fg = 0.0, gg = 0.0
        let cx = t.map { x - z * $0.0 }, cy = t.map { y - z * $0.1 }
        let reach = spreadMax.map { r + 0.5 + abs(z) * $0 }
        let floored = !patch.censored.isEmpty
        if floored { floorTerms.removeAll(keepingCapacity: true) }
        let held = !patch.head.isEmpty
        if held { heldTerms.removeAll(keepingCapacity: true) }
        for n in patch.f.indices {
            let v = patch.v[n]
            let dx = Double(patch.x[n]) - cx[v], dy = Double(patch.y[n]) - cy[v]
            guard abs(dx) <= reach[v], abs(dy) <= reach[v] else { continue }
            let g = patch.level[n] * chord(v, patch.x[n], patch.y[n], cx[v], cy[v], r, z)
            guard g > 0 else { continue }
            if held {
                // `STEM4DParticleFloorHeld`: a censored pixel costs nothing past its breakpoint; an
                // uncensored one with headroom d its counts against the floor past d / g, and
                // the same for every c when the others already reach under the floor (d ≤ 0).
                let f = patch.f[n], iv = patch.iv[n], d = patch.head[n]
                if floored && patch.censored[n] {
                    if f > 0 { heldTerms.append(.init(b: f / g, a1: f * g * iv, a2: g * g * iv, a0: f * f * iv, after: 0)) }
                    continue
                }
                if d > 0 { heldTerms.append(.init(b: d / g, a1: f * g * iv, a2: g * g * iv, a0: f * f * iv, after: (f - d) * (f - d) * iv)) }
                continue
            } else if floored && patch.censored[n] {
                let f = patch.f[n], iv = patch.iv[n]
                if f > 0 { floorTerms.append(.init(b: f / g, a1: f * g * iv, a2: g * g * iv, a0: f * f * iv)) }
                continue
            }
            fg += patch.f[n] * g * patch.iv[n]; gg += g * g * patch.iv[n]
        }
        if held {
            guard !heldTerms.isEmpty || (gg > 0 && fg > 0) else { return (0, 0) }
            let prior = amplitudeLaw.map { (mean: $0.mean(r), precision: $0.precision(information: gg + heldTerms.map(\.a2).reduce(0, +))) }
            // The radix twin: `amplitude`'s result to the bit without its comparison sort.
            return STEM4DParticleFloorHeld.amplitudeRadix(fg: fg, gg: gg, terms: heldTerms, prior: prior, scratch: &heldScratch)
        }
        if floored {
            let prior = amplitudeLaw.map { (mean: $0.mean(r), precision: $0.precision(information: gg + floorTerms.map(\.a2).reduce(0, +))) }
            return STEM4DParticleFloor.amplitude(fg: fg, gg: gg, terms: &floorTerms, prior: prior)
        }
        guard gg > 0, fg > 0 else { return (0, 0) }
        if let law = amplitudeLaw {
            // The χ² gain less the amplitude prior's (c − μ)² / s², at the c that maximises it.
            let mu = law.mean(r), p = law.precision(information: gg)
            let c = max(0, (fg + mu * p) / (gg + p))
            return (c, 2 * c * fg - c * c * gg - p * (c - mu) * (c - mu))
        }
        return (fg / gg, fg * fg / gg)
    }

    /// Whether every view shows sphere `s` on its own (the others held): each view's own
    /// amplitude at least half the joint one and two standard errors above zero. What a
    /// mismatch at a neighbour's rim or one view's noise makes up sits in one view, not in all.
    func consistent(_ s: Sphere) -> Bool {
        render(s, sign: -1)
        defer { render(s, sign: 1) }
        let patch = self.patch(around: s, reach: 1)
        var fg = [Double](repeating: 0, count: images.count), gg = fg
        var terms = [[STEM4DParticleFloor.Term]](repeating: [], count: patch.censored.isEmpty ? 0 : images.count)
        for n in patch.f.indices {
            let v = patch.v[n]
            let cx = s.x - s.z * t[v].0, cy = s.y - s.z * t[v].1
            let g = patch.level[n] * chord(v, patch.x[n], patch.y[n], cx, cy, s.r, s.z)
            if !terms.isEmpty && patch.censored[n] {
                // At the floor: its information counts (for the standard error) only while active.
                let f = patch.f[n], iv = patch.iv[n]
                if g > 0 && f > 0 { terms[v].append(.init(b: f / g, a1: f * g * iv, a2: g * g * iv, a0: f * f * iv)) }
                continue
            }
            fg[v] += patch.f[n] * g * patch.iv[n]; gg[v] += g * g * patch.iv[n]
        }
        if !terms.isEmpty {
            // Each view's amplitude and the joint one with the floor (`STEM4DParticleFloor`); the
            // standard error from the pixels that pay at that amplitude.
            var all = terms.flatMap { $0 }
            let c = STEM4DParticleFloor.amplitude(fg: fg.reduce(0, +), gg: gg.reduce(0, +), terms: &all).c
            for v in images.indices {
                let cv = STEM4DParticleFloor.amplitude(fg: fg[v], gg: gg[v], terms: &terms[v]).c
                let information = gg[v] + terms[v].filter { $0.b > cv }.map(\.a2).reduce(0, +)
                guard information > 0 else { continue }
                if cv < 0.5 * c || cv < 2 / information.squareRoot() { return false }
            }
            return c > 0
        }
        let c = fg.reduce(0, +) / max(1e-300, gg.reduce(0, +))
        for v in images.indices where gg[v] > 0 {
            let cv = fg[v] / gg[v], se = 1 / gg[v].squareRoot()
            if cv < 0.5 * c || cv < 2 * se { return false }
        }
        return c > 0
    }

    /// Refits sphere `k` with the others held; returns its significance (√ of the χ² gain).
    @discardableResult func refine(_ k: Int, scanDepth: Bool = true) -> Double {
        var s = spheres[k]
        render(s, sign: -1)
        let rLo = fit.radiusMin, rHi = fit.radiusMax
        let zScale = 1 / tMax  // a unit step in the scaled depth moves the views by ≈ 1 px
        let patch = self.patch(around: s, reach: 2.5)
        func cost(_ u: [Double]) -> Double {
            let z = u[2] * zScale
            guard u[3] >= rLo, u[3] <= rHi, z >= fit.zMin, z <= fit.zMax else { return .infinity }
            return -score(patch, u[0], u[1], z, u[3]).gain
        }
        // Depth is the weakly determined coordinate (a pixel of disparity is 1/|t| px of depth):
        // a coarse scan over the whole range (half a pixel of view shift a step) before the local
        // search, so a crowded neighbourhood does not hold a sphere at a wrong depth.
        var z0 = s.z, best0 = cost([s.x, s.y, s.z / zScale, s.r])
        for z in stride(from: fit.zMin, through: fit.zMax, by: 0.5 * zScale) where scanDepth {
            let c = cost([s.x, s.y, z / zScale, s.r])
            if c < best0 { best0 = c; z0 = z }
        }
        let start = [s.x, s.y, z0 / zScale, s.r]
        let best = Self.nelderMead(cost, start: start, steps: [0.5, 0.5, 0.5, 0.4], iterations: 160)
        let z = best[2] * zScale
        let sc = score(patch, best[0], best[1], z, best[3])
        if sc.gain > 0 && sc.c > 0 {
            s = Sphere(x: best[0], y: best[1], z: z, r: best[3], c: sc.c)
        } else {
            s.c = max(0, score(patch, s.x, s.y, s.z, s.r).c)
        }
        spheres[k] = s
        render(s, sign: 1)
        return max(0, score(patch, s.x, s.y, s.z, s.r).gain).squareRoot()
    }

    func refineAll() { for k in spheres.indices { refine(k) } }

    /// After a move that changed the set of spheres: every sphere refined, the background refitted,
    /// the mismatch measured again, then the insignificant and duplicate spheres pruned.
    func settle() {
        refineAll()
        refitBackground()
        measureMismatch()
        prune()
    }

    /// Significance of sphere `k` in the current model (others held).
    func significance(_ k: Int) -> Double {
        let s = spheres[k]
        render(s, sign: -1)
        let g = max(0, score(patch(around: s, reach: 1), s.x, s.y, s.z, s.r).gain).squareRoot()
        render(s, sign: 1)
        return g
    }

    /// Drops duplicates (two spheres interpenetrating by more than half their radii: the weaker
    /// goes) and spheres under the significance threshold, weakest first.
    func prune() {
        while true {
            var worst: (Int, Double)? = nil
            for k in spheres.indices {
                let g = selectionSignificance(k)
                if g < fit.significance && g < (worst?.1 ?? .infinity) { worst = (k, g) }
            }
            var duplicate: Int? = nil
            outer: for a in spheres.indices {
                for b in spheres.indices where b > a {
                    let p = spheres[a], q = spheres[b]
                    let lat = ((p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y)).squareRoot()
                    if lat < 0.5 * min(p.r, q.r) && abs(p.z - q.z) < 0.5 * (p.r + q.r) {
                        duplicate = p.c * p.r * p.r < q.c * q.r * q.r ? a : b
                        break outer
                    }
                }
            }
            if duplicate == nil && fit.hardSpheres == .refit, let (a, b) = significantlyInterpenetratingPair() {
                resolveInterpenetrating(a, b)
                continue
            }
            if duplicate == nil && (fit.hardSpheres == .overlap || fit.hardSpheres == .centre) {
                duplicate = significantlyInterpenetrating(centreOnly: fit.hardSpheres == .centre)
            }
            guard let k = duplicate ?? worst?.0 else { return }
            render(spheres[k], sign: -1)
            spheres.remove(at: k)
        }
    }

    /// Before any amplitude is known: the plane of the pixels outside every sphere's disk
    /// (1.3 r) in each view, or the 90th percentile when the spheres cover nearly everything.
    func initialBackground() {
        for v in images.indices {
            var free = [Bool](repeating: true, count: w * h)
            for s in spheres {
                guard let b = box(s, v, pad: 0.3 * s.r + 1) else { continue }
                let cx = s.x - s.z * t[v].0, cy = s.y - s.z * t[v].1, R2 = 1.69 * s.r * s.r + 1
                for y in b.2...b.3 { for x in b.0...b.1 where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) < R2 {
                    free[y * w + x] = false
                } }
            }
            guard free.filter({ $0 }).count >= max(16, w * h / 10) else { continue }
            var m = [[Double]](repeating: [0, 0, 0], count: 3), rhs = [0.0, 0.0, 0.0]
            for y in 0..<h {
                for x in 0..<w where free[y * w + x] {
                    let g = [1, Double(x) - Double(w - 1) / 2, Double(y) - Double(h - 1) / 2]
                    for a in 0..<3 { rhs[a] += g[a] * images[v][y * w + x]; for b in 0..<3 { m[a][b] += g[a] * g[b] } }
                }
            }
            if let s = STEM4DParticleStereo.solve3(m, rhs), s[0] > 0 { plane[v] = (s[0], s[1], s[2]) }
        }
    }

    /// Least-squares plane of what the image would be without particles (image + level·model).
    func refitBackground() {
        for v in images.indices {
            var m = [[Double]](repeating: [0, 0, 0], count: 3), rhs = [0.0, 0.0, 0.0]
            // With `heldBackground`, nor does a pixel the model predicts under the floor it is
            // held at: the held model compares it with max(floor, prediction), so image + level ×
            // model there is no sample of the background (64² draw 216: 7–8 % of each view's
            // pixels, 31–36 % above the background, pulling it up; the rest then reads as faint
            // broad absorption). Judged at the model before this refit.
            let heldOut: [Bool]? = heldBackground ? (0..<(w * h)).map { isCensored(v, $0) || predictedUnderFloor(v, $0) } : nil
            for y in 0..<h {
                let gy = Double(y) - Double(h - 1) / 2
                for x in 0..<w {
                    let i = y * w + x
                    // A pixel at the floor does not say what the background is there.
                    if heldOut?[i] ?? isCensored(v, i) { continue }
                    let gx = Double(x) - Double(w - 1) / 2
                    let val = images[v][i] + plane[v].0 * model[v][i]
                    let g = [1, gx, gy]
                    for a in 0..<3 { rhs[a] += g[a] * val; for b in 0..<3 { m[a][b] += g[a] * g[b] } }
                }
            }
            if let s = STEM4DParticleStereo.solve3(m, rhs), s[0] > 0 { plane[v] = (s[0], s[1], s[2]) }
            // What the plane leaves, low-passed at three times the largest radius: a background
            // that is not flat (uneven thickness, a halo) without absorbing any particle.
            var rest = [Float](repeating: 0, count: w * h)
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x
                    let p = plane[v]
                    rest[i] = Float(images[v][i] + p.0 * model[v][i] - p.0 - p.1 * (Double(x) - Double(w - 1) / 2) - p.2 * (Double(y) - Double(h - 1) / 2))
                }
            }
            guard let out = heldOut ?? (censored.isEmpty ? nil : censored[v]), out.contains(true) else {
                smooth[v] = STEM4DImage(rows: h, cols: w, pixels: rest).gaussianBlurred(sigma: 3 * fit.radiusMax).pixels.map(Double.init)
                continue
            }
            // With pixels at the floor left out: the blur of what the others leave over the blur of
            // their mask (normalised convolution).
            var mask = [Float](repeating: 1, count: w * h)
            for i in 0..<(w * h) where out[i] { rest[i] = 0; mask[i] = 0 }
            let num = STEM4DImage(rows: h, cols: w, pixels: rest).gaussianBlurred(sigma: 3 * fit.radiusMax).pixels
            let den = STEM4DImage(rows: h, cols: w, pixels: mask).gaussianBlurred(sigma: 3 * fit.radiusMax).pixels
            smooth[v] = zip(num, den).map { $1 > 1e-3 ? Double($0 / $1) : 0 }
        }
    }

    /// The mismatch terms: the residual variance beyond the pixel noise, regressed on the
    /// squared modelled absorption (one factor per bin of absorption) and on its squared
    /// gradient (one length, ≤ 1 px), alternating twice; all ≥ 0.
    func measureMismatch() {
        var samples: [(b: Int, p: Double, q: Double, e: Double)] = []
        for v in images.indices {
            let level = plane[v].0
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x
                    let gx = level * (model[v][y * w + min(w - 1, x + 1)] - model[v][y * w + max(0, x - 1)]) / 2
                    let gy = level * (model[v][min(h - 1, y + 1) * w + x] - model[v][max(0, y - 1) * w + x]) / 2
                    grad2[v][i] = gx * gx + gy * gy
                    let m = level * model[v][i]
                    // A pixel at the floor has no residual to regress (its cost is one-sided).
                    guard m > 0 || grad2[v][i] > 0, !isCensored(v, i) else { continue }
                    let r = heldInFits ? images[v][i] - max(holdFloor[v], background(v, x, y) - m) : images[v][i] - background(v, x, y) + m
                    samples.append((Self.bin(model[v][i]), m * m, grad2[v][i], r * r - sigma[v] * sigma[v]))
                }
            }
        }
        var perBin = [Double](repeating: 0, count: Self.binEdges.count), e2 = 0.0
        for _ in 0..<2 {
            var num = perBin.map { _ in 0.0 }, den = num
            for s in samples { num[s.b] += s.p * (s.e - e2 * s.q); den[s.b] += s.p * s.p }
            perBin = zip(num, den).map { $1 > 0 ? max(0, min(0.09, $0 / $1)) : 0 }
            var nq = 0.0, dq = 0.0
            for s in samples { nq += s.q * (s.e - perBin[s.b] * s.p); dq += s.q * s.q }
            e2 = dq > 0 ? max(0, min(1, nq / dq)) : 0
        }
        excessPerBin = perBin; kappaEdge = e2.squareRoot()
    }

    /// Searches the residual for spheres the model lacks (a depth sweep of the views' LoG
    /// responses); adds those the fit accepts; returns how many.
    func searchResidual() -> Int {
        let radii = stride(from: fit.radiusMin, through: fit.radiusMax + 1e-9, by: 0.5).map { $0 }
        let V = images.count
        // Unexplained absorption per view, in units of the level, and its noise.
        var residual: [STEM4DImage] = []
        var noise: [Double] = []
        for v in 0..<V {
            var px = [Float](repeating: 0, count: w * h)
            for y in 0..<h { for x in 0..<w { px[y * w + x] = Float(unexplained(v, x, y)) } }
            residual.append(STEM4DImage(rows: h, cols: w, pixels: px))
            noise.append(sigma[v] / plane[v].0)
        }
        let zStep = 0.5 / tMax
        let zs = stride(from: fit.zMin, through: fit.zMax + 1e-9, by: zStep).map { $0 }
        var best = [Double](repeating: 0, count: w * h), bestZ = best, bestR = best
        for rad in radii {
            let (responses, weights, norm) = Self.sweepFilters(residual, noise: noise, radius: rad)
            for z in zs {
                for y in 0..<h {
                    for x in 0..<w {
                        var s = 0.0
                        for v in 0..<V {
                            let sx = Double(x) - z * t[v].0, sy = Double(y) - z * t[v].1
                            s += weights[v] * Self.bilinear(responses[v], w: w, h: h, sx, sy)
                        }
                        let sig = s / norm
                        if sig > best[y * w + x] { best[y * w + x] = sig; bestZ[y * w + x] = z; bestR[y * w + x] = rad }
                    }
                }
            }
        }
        var candidates: [(Int, Double)] = []
        for y in 0..<h {
            for x in 0..<w {
                let v = best[y * w + x]
                guard v >= fit.significance else { continue }
                var isMax = true
                for dy in -1...1 where y + dy >= 0 && y + dy < h {
                    for dx in -1...1 where x + dx >= 0 && x + dx < w && (dx != 0 || dy != 0) {
                        let q = best[(y + dy) * w + x + dx]
                        if q > v || (q == v && (dy, dx) < (0, 0)) { isMax = false }
                    }
                }
                if isMax { candidates.append((y * w + x, v)) }
            }
        }
        candidates.sort { $0.1 > $1.1 }
        var added = 0
        var placed: [Sphere] = []
        for (i, _) in candidates.prefix(400) {
            let r = bestR[i]
            let s = Sphere(x: Double(i % w), y: Double(i / w), z: bestZ[i], r: r, c: 0)
            // One per neighbourhood per round: the next round sees the residual after this one.
            if placed.contains(where: { ($0.x - s.x) * ($0.x - s.x) + ($0.y - s.y) * ($0.y - s.y) < ($0.r + s.r) * ($0.r + s.r) }) { continue }
            spheres.append(s)
            let k = spheres.count - 1
            var g = refine(k)
            if fit.localNoise { g /= localChi2(k).squareRoot() }
            let n = spheres[k]
            let duplicate = spheres.indices.contains { j in
                guard j != k else { return false }
                let q = spheres[j]
                let lat = ((n.x - q.x) * (n.x - q.x) + (n.y - q.y) * (n.y - q.y)).squareRoot()
                return lat < 0.5 * min(n.r, q.r) && abs(n.z - q.z) < 0.5 * (n.r + q.r)
            }
            if g < fit.significance || duplicate || !consistent(n) {
                render(n, sign: -1)
                spheres.removeLast()
                continue
            }
            placed.append(n)
            added += 1
        }
        return added
    }

    /// A depth sweep's filters at radius `r`: each view's LoG response at σ = √(3/8)·r (it peaks on
    /// a chord profile of radius r, `STEM4DBlobDetector`'s 2/√3), each view's weight
    /// 1/(noise·gain)², and the weights' root sum, which puts the weighted sum in units of its noise.
    static func sweepFilters(_ residual: [STEM4DImage], noise: [Double], radius r: Double)
        -> (responses: [[Float]], weights: [Double], norm: Double) {
        let sigmaL = r * (3.0 / 8).squareRoot()
        let gain = STEM4DBlobDetector.filterGain(sigma: sigmaL)
        let weights = noise.map { 1 / ($0 * gain * $0 * gain) }
        return (residual.map { STEM4DBlobDetector.response($0, sigma: sigmaL) }, weights, weights.reduce(0, +).squareRoot())
    }

    @inline(__always) static func bilinear(_ a: [Float], w: Int, h: Int, _ x: Double, _ y: Double) -> Double {
        guard x >= 0, y >= 0, x <= Double(w - 1), y <= Double(h - 1) else { return 0 }
        let x0 = min(w - 2, Int(x)), y0 = min(h - 2, Int(y))
        let fx = x - Double(x0), fy = y - Double(y0)
        let i = y0 * w + x0
        let a0 = Double(a[i]) * (1 - fx) + Double(a[i + 1]) * fx
        let a1 = Double(a[i + w]) * (1 - fx) + Double(a[i + w + 1]) * fx
        return a0 * (1 - fy) + a1 * fy
    }

    /// Nelder–Mead minimisation from `start` with initial simplex `steps`.
    static func nelderMead(_ f: ([Double]) -> Double, start: [Double], steps: [Double], iterations: Int) -> [Double] {
        let n = start.count
        var pts = [start]
        for i in 0..<n { var p = start; p[i] += steps[i]; pts.append(p) }
        var vals = pts.map(f)
        for _ in 0..<iterations {
            let order = vals.indices.sorted { vals[$0] < vals[$1] }
            pts = order.map { pts[$0] }; vals = order.map { vals[$0] }
            if vals[n] - vals[0] < 1e-3 * max(1, abs(vals[0])) * 1e-2 { break }
            var centroid = [Double](repeating: 0, count: n)
            for p in pts.dropLast() { for i in 0..<n { centroid[i] += p[i] / Double(n) } }
            func along(_ a: Double) -> [Double] { (0..<n).map { centroid[$0] + a * (pts[n][$0] - centroid[$0]) } }
            let xr = along(-1), fr = f(xr)
            if fr < vals[0] {
                let xe = along(-2), fe = f(xe)
                if fe < fr { pts[n] = xe; vals[n] = fe } else { pts[n] = xr; vals[n] = fr }
            } else if fr < vals[n - 1] {
                pts[n] = xr; vals[n] = fr
            } else {
                let xc = fr < vals[n] ? along(-0.5) : along(0.5), fc = f(xc)
                if fc < min(fr, vals[n]) {
                    pts[n] = xc; vals[n] = fc
                } else {
                    for k in 1...n { pts[k] = (0..<n).map { pts[0][$0] + 0.5 * (pts[k][$0] - pts[0][$0]) }; vals[k] = f(pts[k]) }
                }
            }
        }
        return pts[vals.indices.min { vals[$0] < vals[$1] }!]
    }
}
