import Foundation
import Shared
import Kernels

/// The `--param` options of a stem4d job, parsed and checked once by the planner (a bad value
/// fails the job at submission) and again by the workers.
public struct STEM4DJobOptions: Sendable, Equatable {
    /// The virtual detectors one can ask for with `detectors=` (comma-separated).
    public static let detectorKinds = ["bf", "adf", "stereo", "quadrants"]

    /// `dataset=/path`: the HDF5 dataset (default: the only 4D dataset).
    public var dataset: String?
    /// `scan=WxH`: scan shape of a `.mib` file whose `.hdr` does not give it.
    public var scan: String?
    /// `mode=images|particles|dislocations` (default images: virtual images only).
    public var mode: String
    /// `detectors=bf,adf,stereo,quadrants` (default all four; particles and dislocations
    /// always add the stereo pair).
    public var detectors: [String]
    /// `circles=cx:cy:r;…`: extra circular detectors anywhere (detector px), named circle0, circle1, …
    public var circles: [[Double]]
    /// `mask=PATH`: an arbitrary detector mask, a 2D `.npy` (float32/float64/uint8/…) of the
    /// detector's shape whose values are per-pixel weights, named `mask`.
    public var mask: String?
    /// `convergence_mrad=` (default 100): the probe's convergence semi-angle α.
    public var convergenceMrad: Double
    /// `vacuum=PATH`: calibrate the bright-field disk from this dataset instead of the cube.
    public var vacuum: String?
    /// `stereo_azimuth_deg=` (default 0): the baseline direction of the stereo pair.
    public var stereoAzimuthDeg: Double
    /// `scan_rotation_deg=` (default 0): rotation of the scan axes against the detector axes
    /// (a detector offset along azimuth a tilts the beam along a + this angle in the scan), as
    /// calibrated for the microscope; it turns the stereo baselines in the views.
    public var scanRotationDeg: Double
    /// `detector_radius_px=` (default `auto` in the 3D modes, 2 for images): radius of each
    /// stereo detector; nil = `auto`, the radius that balances counts against stereo angle
    /// (`STEM4DStereoGeometry.balancedDetectorRadius`).
    public var detectorRadiusPx: Double?
    /// `stereo_angle_deg=` (default 8; `max` = the largest that fits): one angle or several
    /// separated by `;` or `/` (several pairs, e.g. `6/8/max`). The first is used for 3D.
    public var stereoAnglesDeg: [Double?]
    /// Whether `stereo_angle_deg=` was given (then an angle that does not fit is an error, not
    /// replaced by the largest that does).
    public var stereoAngleExplicit: Bool
    /// Whether stereo was asked for explicitly (`detectors=` naming `stereo`,
    /// `stereo_angle_deg=` or `detector_radius_px=`): then a stereo geometry that does not fit
    /// the disk fails the job; otherwise the pairs (and the 3D mode) are skipped with a note.
    public var stereoExplicit: Bool
    /// `views=2|4`: stereo views for the 3D modes. 4 adds a second pair on the perpendicular
    /// azimuth: each particle is triangulated from two baselines (median depth error 0.30 vs
    /// 0.44 px at equal recall on the synthetic preset), and lines nearly parallel to the first
    /// baseline (ill-posed there) are matched along the second (default 4 in the 3D modes, 2
    /// for images; `views=2` keeps both line views on one Kikuchi band).
    public var views: Int
    /// `adf_inner=`/`adf_outer=`: ADF annulus radii in units of the BF radius (default 1.2, 2.5).
    public var adfInner: Double
    public var adfOuter: Double
    /// `rows_per_task=`: scan rows per shard (default: about 256 MiB of data per shard).
    public var rowsPerTask: Int?
    /// `strategy=auto|sparse|dense` (default auto: the cost model chooses).
    public var strategy: String
    /// `particle_radius_min=`/`particle_radius_max=` (scan px, defaults 1.5 and 8: the radii of issue 12).
    public var particleRadiusMin: Double
    public var particleRadiusMax: Double
    /// `z_range=` (default 60): the largest |z| (scan px) accepted for particles and lines.
    public var zRange: Double
    /// `line_min_length=` (px): shortest line kept; nil (default, `auto`) keeps a line at least
    /// two full widths at half maximum of the scale it was found at (4.7 σ, and ≥ 4 px) long.
    public var lineMinLength: Double?
    /// `particle_alignment=` (default true): refine each particle's shifts between views by
    /// image alignment (`STEM4DParticleAlignment`); false keeps the blob centres.
    public var particleAlignment: Bool
    /// `particle_model=` (default true): refit the matched particles as one model of all views
    /// and search its residual for the particles blob matching missed (`STEM4DParticleModelFit`);
    /// false keeps the blob-matched particles (the method before).
    public var particleModel: Bool
    /// `particle_merge=` (default true): after the joint fit, drop a sphere lying on a
    /// neighbour in every view when the neighbour, refitted alone, explains the views as well
    /// (information criterion; `STEM4DParticleModelSelection`).
    public var particleMerge: Bool
    /// `particle_local_noise=` (default false): a sphere's significance in units of the local
    /// noise (the gain over the reduced χ² of the model around it, when above one).
    public var particleLocalNoise: Bool
    /// `particle_hard_spheres=` (default off): `overlap` drops the less significant of two
    /// spheres interpenetrating by more than three standard errors of their overlap; `centre`
    /// only when one's centre lies that far inside the other; `refit` as `overlap`, the one to
    /// drop chosen by χ² with the other refitted alone.
    public var particleHardSpheres: String
    /// `particle_depth_outlier=` (default 2; 0 off): drop a sphere of the joint fit whose depth
    /// standard error exceeds this many times the median over the job's spheres — its depth is
    /// not determined as its peers' are (`STEM4DParticleModelFit.depthOutlierFactor`).
    public var particleDepthOutlier: Double
    /// `particle_depth_outlier_scope=` (default `overlapping`; `all` every sphere): `overlapping` applies
    /// `particle_depth_outlier` only to spheres lying on another in every view — a sphere alone
    /// has nothing else that could explain its pixels, so a large depth error there is a faint or
    /// small real sphere (`STEM4DParticleModelFit.depthOutlierOverlappingOnly`).
    public var particleDepthOutlierScope: String
    /// `particle_depth_outlier_joint=` (default false): before `particle_depth_outlier` judges,
    /// every sphere it would drop gets its depth profile with its neighbours refitted and moves
    /// with them to its minimum when that lowers χ²; the rule then judges it there
    /// (`STEM4DParticleModelFit.depthOutlierJoint`).
    public var particleDepthOutlierJoint: Bool
    /// `particle_depth_outlier_reference=` (default `kept` since the twenty-sixth session; `all`
    /// the median of every sphere, before): the σz median the depth-outlier rule
    /// scales by — `all` spheres of the fit, or `kept`: those whose depth the rule finds
    /// determined, the rule applied again with their median until that set stops changing
    /// (`STEM4DParticleModelFit.depthOutlierReference`).
    public var particleDepthOutlierReference: STEM4DParticleModelFit.DepthOutlierReference
    /// `line_depth_smoothing=` (default `fixed`): `ici` smooths each line's depth at the scale
    /// the data allow (LPA-ICI, `STEM4DLineDepthSmoothing`); `fixed` over ±6 points.
    public var lineDepthSmoothing: String
    /// `line_depth_window=` (default 6): half-length in points of `fixed` depth smoothing (and
    /// the fallback of `ici`); docs/stem4d.md measured 1, 3 and 6.
    public var lineDepthWindow: Int
    /// `line_depth_fit=` (default `points`): `spline` fits each line's depth as one smooth
    /// curve against all views at once (`STEM4DLineDepthSpline`, REML smoothness) after the
    /// per-point fit; `points` keeps the per-point depths smoothed along the line.
    public var lineDepthFit: String
    /// `line_own_evidence=` (default false): keep a line only if every view shows it where no
    /// stronger line explains that view (`STEM4DLineSweepStereo.ownEvidence`).
    public var lineOwnEvidence: Bool
    /// `line_depth_breaks=` (default true): cut a trace where its depth jumps — it ran into
    /// another line meeting it in projection (`STEM4DTraceDepthBreaks`); false: never cut.
    public var lineDepthBreaks: Bool
    /// `line_depth_background=` (default false): measure each view's displacement across a
    /// line with its own background level and slope as nuisance terms
    /// (`STEM4DLineDepthFit.backgroundSlope`) — `true` on every line, `auto` on a line only where
    /// the bias they remove outweighs the variance they add (`STEM4DLineDepthBackgroundTest`).
    public var lineDepthBackground: STEM4DLineSweepStereo.DepthBackground
    /// `line_depth_weights=` (default `local`): `pooled` weighs each point's cross-sections by
    /// the mean profile's derivative averaged over the depth fit's window
    /// (`STEM4DLineDepthFit.pooledWeights`).
    public var lineDepthWeights: String
    /// `line_neighbours=` (default `off`): fit each line's depth again with the other lines
    /// found near it modelled in each view — `subtract`: drawn and taken out, `joint`: their
    /// displacements measured with its own (`STEM4DLineSweepStereo.modelNeighbours`).
    public var lineNeighbours: STEM4DLineSweepStereo.NeighbourModel
    /// `particle_significance=` (default 6): the joint fit's detection and acceptance threshold,
    /// standard deviations; `auto`: the look-elsewhere level for this cube
    /// (`STEM4DParticleModelFit.lookElsewhereSignificance`, nil here).
    public var particleSignificance: Double?
    /// `particle_fit_views=` (default `quadrants`): the views the joint particle fit models —
    /// `stereo`, the stereo detectors' images; `quadrants`, the four quadrants of the
    /// bright-field disk (every bright-field count in four disjoint views; added to
    /// `detectors` in particles mode; the stereo views when the disk is too small to split).
    /// Blob matching runs on the stereo views either way. The default since 7 December, with
    /// the rest of the particle stack below (docs/stem4d.md, "The particle stack the default").
    public var particleFitViews: String
    /// `particle_spread_cell=` (default 0, off): when > 0, the joint particle fit pools each
    /// view's tilt spread per depth into cells that smear a sphere by at most this many scan px
    /// (0.5: the chord's own 2 × 2 sampling step), instead of 3 × 3 cells at every depth
    /// (`STEM4DParticleModelFit.spreadCellPx`).
    public var particleSpreadCell: Double
    /// `particle_chord_sampling=` (default `point`; `pixel` the average over the pixel): `point` models each scan pixel as a
    /// sample at its centre (a probe much smaller than the scan step) instead of the chord's
    /// average over the pixel (`STEM4DParticleModelFit.pointSampling`); `measured` fits one box
    /// width for the whole job (the probe and the pixel) on its strongest isolated spheres and
    /// uses it for every sphere (`STEM4DParticleModelFit.measureBlur`; `stem4d/particle_blur.json`).
    public var particleChordSampling: String
    /// `particle_satellites=` (default true): after the joint fit's rounds, remove the smaller
    /// spheres hung together on a larger one when it, grown and refitted, explains the views
    /// within the information criterion (`STEM4DParticleModelFit.satellites`).
    public var particleSatellites: Bool
    /// `particle_split_merge=` (default true): after the satellites, refit each stack of
    /// spheres overlapping in every view as a whole, with as many spheres as the information
    /// criterion pays for (`STEM4DParticleModelFit.splitMerge`).
    public var particleSplitMerge: Bool
    /// `particle_split_lateral=` (default true since the twenty-fifth session; `false` off): after
    /// the split/merge move, try each sphere as two side by side in projection, fitted jointly
    /// against every view, kept when the information criterion prefers two
    /// (`STEM4DParticleModelFit.splitLateral`).
    public var particleSplitLateral: Bool
    /// `particle_split_lateral_rival=` (default `both`; `false` off): with `particle_split_lateral`,
    /// the pair must beat the strongest one-sphere alternative, the neighbours refitted alike in
    /// both (`true`, `STEM4DParticleModelFit.splitLateralRival`); `both`: and the old sphere held,
    /// the neighbours held, as without it (`splitLateralRivalAndHeld`).
    public var particleLateralRival: LateralRival
    /// The values of `particle_split_lateral_rival`, read once: `false` (or any false spelling
    /// `JobParams.bool` takes), `true` (any true spelling) and `both`.
    public enum LateralRival: Sendable, Equatable, CaseIterable {
        /// `false`: the pair against the old sphere only.
        case off
        /// `true`: against the strongest one-sphere alternative, the neighbours refitted.
        case refitted
        /// `both`: and against the old sphere with its neighbours held.
        case both
    }
    /// `particle_split_lateral_rival` is `true` or `both` (`STEM4DParticleModelFit.splitLateralRival`).
    public var particleSplitLateralRival: Bool { particleLateralRival != .off }
    /// `particle_split_lateral_rival=both` (`STEM4DParticleModelFit.splitLateralRivalAndHeld`).
    public var particleSplitLateralRivalAndHeld: Bool { particleLateralRival == .both }
    /// `particle_split_lateral_rival_merge=` (default `merge`; `off`, also spelt `false`): with
    /// `particle_split_lateral_rival`, one more one-sphere arm for each sphere lying on the old
    /// one in every view — one sphere in place of both
    /// (`STEM4DParticleModelFit.splitLateralRivalMerge`); `refuse`: it only refuses a pair;
    /// `merge`: where it is the lowest, the two become the one.
    public var particleSplitLateralRivalMerge: STEM4DParticleModelFit.RivalMerge
    /// `particle_split_lateral_rival_joint=` (default false): with `particle_split_lateral_rival`,
    /// every arm's spheres and their neighbours refitted in turn until the χ² over their pixels
    /// stops falling (`STEM4DParticleModelFit.splitLateralRivalJoint`).
    public var particleSplitLateralRivalJoint: Bool
    /// `particle_stack_max=` (default 10): the largest stack of spheres `particle_split_merge`
    /// refits (`STEM4DParticleModelFit.stackMax`).
    public var particleStackMax: Int
    /// `particle_stack_starts=` (default `old`): where `particle_split_merge` starts the spheres
    /// of a rebuilt stack — `old`, the stack's old positions; `residual`, those and the peaks of
    /// the stack's residual along depth (`STEM4DParticleModelFit.stackResidualStarts`).
    public var particleStackStarts: String
    /// `particle_shared_amplitude=` (default false): after the joint fit's rounds, measure the
    /// law of the spheres' amplitudes against their radii (one material) and hold every later
    /// fit and model comparison to it (`STEM4DParticleModelFit.sharedAmplitude`).
    /// `per_sphere`: the same, each sphere's prior variance widened by its own amplitude variance
    /// from the fit (`STEM4DParticleModelFit.sharedAmplitudePerSphere`).
    public var particleSharedAmplitude: Bool
    /// `particle_shared_amplitude=per_sphere`.
    public var particleSharedAmplitudePerSphere: Bool
    /// `particle_amplitude_prior=` (default `off`): `student_t` measures a Student-t law of the
    /// spheres' amplitudes after the joint fit's rounds (location, scale and tail fitted to them)
    /// and charges it only in the comparisons between sets of spheres — merge test, satellites,
    /// stack split/merge — not in any refit (`STEM4DParticleModelFit.amplitudeStudentT`).
    public var particleAmplitudePrior: String
    /// `particle_floor=` (default `censored`; `off` a linear model everywhere): `censored` measures each view's floor (the detector's
    /// clip) from its lowest pixels and treats a pixel there as saying only that the model is at
    /// or below it, in every fit and comparison of the joint particle fit
    /// (`STEM4DParticleModelFit.floorCensored`).
    public var particleFloor: String
    /// `particle_floor_held=` (default `all` since the twenty-fifth session; `off` the linear
    /// prediction): the pixels not censored (with `particle_floor=off` too: none are)
    /// are compared with the prediction held at the floor, max(floor, prediction) —
    /// `rival`: in the lateral split's rival only; `all`: in every comparison and amplitude fit
    /// of the joint particle fit (`STEM4DParticleModelFit.floorHeld`).
    public var particleFloorHeld: STEM4DParticleModelFit.FloorHeld
    /// `particle_floor_held_background=` (default false): with `particle_floor_held=all`, the
    /// background refit leaves out the pixels the model predicts under the floor they are held
    /// at (`STEM4DParticleModelFit.floorHeldBackground`).
    public var particleFloorHeldBackground: Bool
    /// `particle_depth_choice=` (default false): after the joint fit's rounds, try each
    /// sphere's other depth minimum with its neighbours refitted and keep the lower χ²
    /// (`STEM4DParticleModelFit.depthChoice`).
    public var particleDepthChoice: Bool

    public init(_ params: JobParams) throws {
        dataset = params.values["dataset"].flatMap { $0.isEmpty ? nil : $0 }
        scan = params.values["scan"].flatMap { $0.isEmpty ? nil : $0 }
        mode = params.string("mode", default: "images")
        guard ["images", "particles", "dislocations"].contains(mode) else {
            throw ParamError(message: "--param mode=\(mode): expected images, particles or dislocations")
        }
        let list = params.string("detectors", default: Self.detectorKinds.joined(separator: ","))
        detectors = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && $0 != "none" }
        for d in detectors where !Self.detectorKinds.contains(d) {
            throw ParamError(message: "--param detectors=\(list): unknown detector \(d) (expected a comma-separated list of \(Self.detectorKinds.joined(separator: ", ")))")
        }
        if mode != "images" && !detectors.contains("stereo") { detectors.append("stereo") }
        particleFitViews = params.string("particle_fit_views", default: "quadrants")
        guard ["stereo", "quadrants"].contains(particleFitViews) else {
            throw ParamError(message: "--param particle_fit_views=\(particleFitViews): expected stereo or quadrants")
        }
        // The joint particle fit models the quadrants' images: form them.
        if mode == "particles" && particleFitViews == "quadrants" && !detectors.contains("quadrants") { detectors.append("quadrants") }
        let circleText = params.string("circles", default: "")
        circles = try circleText.split(separator: ";").map { part -> [Double] in
            let v = part.split(separator: ":").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == 3, v.allSatisfy(\.isFinite), v[2] > 0 else {
                throw ParamError(message: "--param circles=\(circleText): expected cx:cy:r in detector px, several separated by ; (e.g. circles=31.5:30.2:4;40:30:3)")
            }
            return v
        }
        mask = params.values["mask"].flatMap { $0.isEmpty ? nil : $0 }
        guard !detectors.isEmpty || !circles.isEmpty || mask != nil else {
            throw ParamError(message: "--param detectors= is empty: name at least one of \(Self.detectorKinds.joined(separator: ", ")), or pass circles= or mask=")
        }
        convergenceMrad = try params.double("convergence_mrad", default: 100, range: 0.01...1000)
        vacuum = params.values["vacuum"].flatMap { $0.isEmpty ? nil : $0 }
        stereoAzimuthDeg = try params.double("stereo_azimuth_deg", default: 0, range: -360...360)
        scanRotationDeg = try params.double("scan_rotation_deg", default: 0, range: -360...360)
        if params.string("detector_radius_px", default: mode == "images" ? "2" : "auto") == "auto" {
            detectorRadiusPx = nil
        } else {
            detectorRadiusPx = try params.double("detector_radius_px", default: 2, range: 0.5...1000)
        }
        stereoAngleExplicit = params.values["stereo_angle_deg"] != nil
        stereoExplicit = stereoAngleExplicit || params.values["detector_radius_px"] != nil
            || (params.values["detectors"].map { list.contains("stereo") && !$0.isEmpty } ?? false)
        let angles = params.string("stereo_angle_deg", default: "8")
        stereoAnglesDeg = try angles.split(whereSeparator: { $0 == ";" || $0 == "/" }).map { part -> Double? in
            let text = part.trimmingCharacters(in: .whitespaces)
            if text == "max" { return nil }
            guard let v = Double(text), v > 0, v < 90 else {
                throw ParamError(message: "--param stereo_angle_deg=\(angles): expected angles in degrees (0…90) or max, separated by /")
            }
            return v
        }
        guard !stereoAnglesDeg.isEmpty else { throw ParamError(message: "--param stereo_angle_deg= is empty (e.g. 8, max, or 6/8/max)") }
        views = try params.int("views", default: mode == "images" ? 2 : 4, range: 2...4)
        guard views == 2 || views == 4 else { throw ParamError(message: "--param views=\(views): expected 2 (one stereo pair) or 4 (a second pair across it)") }
        adfInner = try params.double("adf_inner", default: 1.2, range: 0...100)
        adfOuter = try params.double("adf_outer", default: 2.5, range: 0...100)
        guard adfOuter > adfInner else { throw ParamError(message: "--param adf_outer must exceed adf_inner (in units of the BF radius)") }
        rowsPerTask = params.values["rows_per_task"] == nil ? nil : try params.int("rows_per_task", default: 1, range: 1...65536)
        strategy = params.string("strategy", default: "auto")
        guard ["auto", "sparse", "dense"].contains(strategy) else {
            throw ParamError(message: "--param strategy=\(strategy): expected auto, sparse or dense")
        }
        particleRadiusMin = try params.double("particle_radius_min", default: 1.5, range: 0.5...1000)
        particleRadiusMax = try params.double("particle_radius_max", default: 8, range: 0.5...1000)
        guard particleRadiusMax >= particleRadiusMin else {
            throw ParamError(message: "--param particle_radius_max must be at least particle_radius_min")
        }
        zRange = try params.double("z_range", default: 60, range: 1...100_000)
        if let text = params.values["line_min_length"], text != "auto" {
            lineMinLength = try params.double("line_min_length", default: 12, range: 2...100_000)
        } else {
            lineMinLength = nil
        }
        particleAlignment = try params.bool("particle_alignment", default: true)
        particleModel = try params.bool("particle_model", default: true)
        particleMerge = try params.bool("particle_merge", default: true)
        particleLocalNoise = try params.bool("particle_local_noise", default: false)
        particleHardSpheres = params.string("particle_hard_spheres", default: "off")
        particleDepthOutlier = try params.double("particle_depth_outlier", default: 2, range: 0...1_000)
        particleDepthOutlierScope = params.string("particle_depth_outlier_scope", default: "overlapping")
        guard ["all", "overlapping"].contains(particleDepthOutlierScope) else {
            throw ParamError(message: "--param particle_depth_outlier_scope=\(particleDepthOutlierScope): expected all or overlapping")
        }
        particleDepthOutlierJoint = try params.bool("particle_depth_outlier_joint", default: false)
        // The kept spheres' median is the default since the twenty-sixth session: it ties every
        // recall and precision median and ties or wins every p10 on six ranges against the median
        // of all (docs/stem4d.md, "The depth-outlier rule's median over the kept spheres").
        let reference = params.string("particle_depth_outlier_reference", default: "kept").lowercased()
        guard let outlierReference = STEM4DParticleModelFit.DepthOutlierReference(rawValue: reference) else {
            throw ParamError(message: "--param particle_depth_outlier_reference=\(reference): expected all or kept")
        }
        particleDepthOutlierReference = outlierReference
        particleSpreadCell = try params.double("particle_spread_cell", default: 0, range: 0...100)
        particleChordSampling = params.string("particle_chord_sampling", default: "point")
        particleDepthChoice = try params.bool("particle_depth_choice", default: false)
        particleSatellites = try params.bool("particle_satellites", default: true)
        particleSplitMerge = try params.bool("particle_split_merge", default: true)
        // The lateral split with both rivals, the three-against-one arm merging and the
        // prediction held at the floor are the default since the twenty-fifth session: they tie
        // every recall and precision median and win every p10 on six ranges against the stack
        // without them (docs/stem4d.md, "The lateral split with the held floor the default").
        particleSplitLateral = try params.bool("particle_split_lateral", default: true)
        let rival = params.string("particle_split_lateral_rival", default: "both").lowercased()
        if rival == "both" {
            particleLateralRival = .both
        } else {
            do {
                particleLateralRival = try params.bool("particle_split_lateral_rival", default: true) ? .refitted : .off
            } catch {
                throw ParamError(message: "--param particle_split_lateral_rival=\(rival): expected both, true or false")
            }
        }
        let rivalMerge = params.string("particle_split_lateral_rival_merge", default: "merge").lowercased()
        // `false` was the off spelling before the option became an enum; it stays accepted.
        guard let merge = STEM4DParticleModelFit.RivalMerge(rawValue: rivalMerge == "false" ? "off" : rivalMerge) else {
            throw ParamError(message: "--param particle_split_lateral_rival_merge=\(rivalMerge): expected off (or false), refuse or merge")
        }
        particleSplitLateralRivalMerge = merge
        particleSplitLateralRivalJoint = try params.bool("particle_split_lateral_rival_joint", default: false)
        particleStackMax = try params.int("particle_stack_max", default: 10, range: 1...64)
        if params.values["particle_shared_amplitude"]?.lowercased() == "per_sphere" {
            particleSharedAmplitude = true
            particleSharedAmplitudePerSphere = true
        } else {
            do {
                particleSharedAmplitude = try params.bool("particle_shared_amplitude", default: false)
            } catch {
                throw ParamError(message: "--param particle_shared_amplitude=\(params.values["particle_shared_amplitude"] ?? ""): expected true, false or per_sphere")
            }
            particleSharedAmplitudePerSphere = false
        }
        particleAmplitudePrior = params.string("particle_amplitude_prior", default: "off")
        guard ["off", "student_t"].contains(particleAmplitudePrior) else {
            throw ParamError(message: "--param particle_amplitude_prior=\(particleAmplitudePrior): expected off or student_t")
        }
        particleFloor = params.string("particle_floor", default: "censored")
        guard ["off", "censored"].contains(particleFloor) else {
            throw ParamError(message: "--param particle_floor=\(particleFloor): expected off or censored")
        }
        let floorHeld = params.string("particle_floor_held", default: "all").lowercased()
        guard let held = STEM4DParticleModelFit.FloorHeld(rawValue: floorHeld) else {
            throw ParamError(message: "--param particle_floor_held=\(floorHeld): expected off, rival or all")
        }
        particleFloorHeld = held
        particleFloorHeldBackground = try params.bool("particle_floor_held_background", default: false)
        particleStackStarts = params.string("particle_stack_starts", default: "old")
        guard ["old", "residual"].contains(particleStackStarts) else {
            throw ParamError(message: "--param particle_stack_starts=\(particleStackStarts): expected old or residual")
        }
        guard ["pixel", "point", "measured"].contains(particleChordSampling) else {
            throw ParamError(message: "--param particle_chord_sampling=\(particleChordSampling): expected pixel, point or measured")
        }
        lineDepthSmoothing = params.string("line_depth_smoothing", default: "fixed")
        lineDepthWindow = try params.int("line_depth_window", default: 6, range: 0...100)
        lineDepthFit = params.string("line_depth_fit", default: "points")
        lineOwnEvidence = try params.bool("line_own_evidence", default: false)
        lineDepthBreaks = try params.bool("line_depth_breaks", default: true)
        if params.values["line_depth_background"]?.lowercased() == "auto" {
            lineDepthBackground = .auto
        } else {
            do {
                lineDepthBackground = try params.bool("line_depth_background", default: false) ? .on : .off
            } catch {
                throw ParamError(message: "--param line_depth_background=\(params.string("line_depth_background", default: "")): expected false, true or auto")
            }
        }
        lineDepthWeights = params.string("line_depth_weights", default: "local")
        guard let neighbourModel = STEM4DLineSweepStereo.NeighbourModel(rawValue: params.string("line_neighbours", default: "off").lowercased()) else {
            throw ParamError(message: "--param line_neighbours=\(params.string("line_neighbours", default: "")): expected off, subtract or joint")
        }
        lineNeighbours = neighbourModel
        guard ["local", "pooled"].contains(lineDepthWeights) else {
            throw ParamError(message: "--param line_depth_weights=\(lineDepthWeights): expected local or pooled")
        }
        particleSignificance = params.values["particle_significance"] == "auto"
            ? nil : try params.double("particle_significance", default: 6, range: 1...1_000)
        guard ["points", "spline"].contains(lineDepthFit) else {
            throw ParamError(message: "--param line_depth_fit=\(lineDepthFit): expected points or spline")
        }
        guard ["fixed", "ici"].contains(lineDepthSmoothing) else {
            throw ParamError(message: "--param line_depth_smoothing=\(lineDepthSmoothing): expected fixed or ici")
        }
        guard ["off", "overlap", "centre", "refit"].contains(particleHardSpheres) else {
            throw ParamError(message: "--param particle_hard_spheres=\(particleHardSpheres): expected off, overlap, centre or refit")
        }
    }
}

