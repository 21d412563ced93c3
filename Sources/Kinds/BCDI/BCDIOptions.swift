import Foundation
import Kernels
import Shared

/// The `--param` options of a bcdi job, parsed and checked once (by the planner, so that a bad
/// value fails the job at submission, and again by the workers).
public struct BCDIJobOptions: Sendable, Equatable {
    /// `dataset=/path`: the HDF5 dataset to read (default: the CXI paths).
    public var dataset: String?
    /// `alpha=` (default 1): the neighbourhood half-width of Ψα.
    public var alpha: Int
    /// `psi_cutoff=` (default 4.0 rad): Ψ above this marks a core voxel.
    public var psiCutoff: Double
    /// `amplitude_threshold=` (default 0.2, relative to the maximum): the support when the
    /// file stores none.
    public var amplitudeThreshold: Double
    /// `remove_ramp=` (default true): remove a residual linear phase ramp first.
    public var removeRamp: Bool
    /// `method=minmax|derivative` (default minmax).
    public var method: String
    /// `voxel_size_nm=`: adds lengths in nm.
    public var voxelSizeNm: Double?
    /// `slab_planes=`: planes per slab task (0: never slab; default: automatic by size).
    public var slabPlanes: Int?
    /// `track_gate=` (default 5 voxels): the largest distance at which lines of consecutive
    /// volumes are matched.
    public var trackGate: Double
    /// `min_voxels=` (default 3): smallest core component kept as a line.
    public var minVoxels: Int
    /// `snr=` (default 2): support voxels whose local signal amplitude is below this many
    /// times the noise σ measured in the volume are left out (0: keep the support as it is).
    public var snr: Double
    /// `phase_noise=` (default 0.1 rad): the field is smoothed before its phase is taken, just
    /// enough to bring the phase noise at the median amplitude to this (0: no smoothing).
    public var phaseNoise: Double
    /// `tracing=residues|split|skeleton` (default residues): how a core region becomes lines
    /// (`BCDILineTracing`).
    public var tracing: BCDILineTracing
    /// `deblur=` (default true since 5 December: with the surface band and the measured noise it
    /// wins blur, ramp-blur and random on both seed ranges and holds noise and clean, docs/bcdi.md;
    /// it costs ≈ 1 CPU-s more per 60³ volume): measure the resolution blur from the crystal's surface and
    /// invert it down to `deblur_residual` before the vortices are found (`BCDIDeconvolution`).
    public var deblur: Bool
    /// `deblur_residual=` (default 1 voxel): the blur left in the field.
    public var deblurResidual: Double
    /// `deblur_estimate=direct|direct_restored|variogram` (default direct_restored since the
    /// nineteenth session, direct before): how `deblur` measures the blur (`BCDIBlurEstimator`;
    /// `direct_restored`: the vortices the deconvolution restores — loops and pairs the blur
    /// merged — left out of the fit too, `BCDIBlurRestoredFit`; docs/bcdi.md).
    public var blurEstimator: BCDIBlurEstimator
    /// `deblur_surface=hull|body|measured|aligned|deconvolved` (default hull since 6 December;
    /// body from 5 December, night; measured before): which field the finder sees near the surface after a deconvolution
    /// (`BCDIDeblurSurface`).
    public var deblurSurface: BCDIDeblurSurface
    /// `deblur_band=` (default 1; 0: the measured blur, rounded up): depth in voxels of the band
    /// where `deblur_surface=measured` (and `body`, outside the body) keeps the measured field,
    /// and of the blend after it.
    public var deblurBand: Int
    /// `deblur_measured_noise=` (default true): after a deconvolution the noise σ
    /// for the SNR trim and the denoising comes from the measured field.
    public var deblurMeasuredNoise: Bool
    /// `support_body=off|body|lines|crystal` (default crystal since 6 December, thirteenth
    /// session: the body's notches filled first; lines from the eleventh session; off
    /// before; `false` = off, `true` = body): a stored support is first joined with the crystal's
    /// body as the amplitude shows it (its half-level set) — all of it, or only near the lines
    /// inside the support — then trimmed by the SNR (`BCDISupportBody`; docs/bcdi.md).
    public var supportBody: BCDISupportBody
    /// `support_notches=off|hull|chains|crystal` (default crystal since 6 December, twelfth session;
    /// off before; `false` = off, `true` = hull): the
    /// SNR-trimmed support is filled up to its convex hull near the vortex lines (`hull`) or only
    /// where a line's residue chain runs on into the trimmed layer (`chains`; `crystal` also
    /// bounds the fill by the amplitude's own body), where the lines' amplitude holes notch it
    /// at the surface (`BCDISupportNotches`).
    public var supportNotches: BCDISupportNotches
    /// `fill_ends=off|ray|clip` (default off): an open line's end in the voxels the notch fill
    /// added is put on the ray the line had before it (`ray`) or cut where it enters them
    /// (`clip`) (`BCDIFillEnds`; issue 12, thirteenth session).
    public var fillEnds: BCDIFillEnds
    /// `line_smoothing=off|residue_noise|residue_noise_blur|residue_noise_blur_ramp|residue_noise_blur_loop` (default
    /// `residue_noise_blur_loop` since the seventeenth session — it ties or wins all thirteen rows of
    /// the accuracy table against `off`, docs/bcdi.md —; `off` is the old finder): a residue-traced line smoothed along its length by its cells' position noise
    /// measured from the field (`BCDILineSmoothing`; issue 12, fourteenth session), instead of
    /// two 1-2-1 passes; `residue_noise_blur` also undoes the pull of the blur left in the field
    /// on curved lines (fifteenth session); `residue_noise_blur_ramp` also the sideways move the
    /// blur gave the lines under the phase ramp (`BCDIRampShift`); `residue_noise_blur_loop`
    /// with that, a closed line unshrunk as a whole and left alone when it is not round
    /// (`BCDILoopUnshrink`; seventeenth session).
    public var lineSmoothing: BCDILineSmoothing

    public init(_ params: JobParams) throws {
        dataset = params.values["dataset"].flatMap { $0.isEmpty ? nil : $0 }
        alpha = try params.int("alpha", default: 1, range: 0...8)
        psiCutoff = try params.double("psi_cutoff", default: 4.0, range: 0...7)
        amplitudeThreshold = try params.double("amplitude_threshold", default: 0.2, range: 0...1)
        removeRamp = try params.bool("remove_ramp", default: true)
        method = params.string("method", default: "minmax")
        guard ["minmax", "derivative"].contains(method) else {
            throw ParamError(message: "--param method=\(method): expected minmax or derivative")
        }
        voxelSizeNm = params.values["voxel_size_nm"] == nil ? nil : try params.double("voxel_size_nm", default: 1, range: 1e-6...1e6)
        slabPlanes = params.values["slab_planes"] == nil ? nil : try params.int("slab_planes", default: 0, range: 0...1_000_000)
        trackGate = try params.double("track_gate", default: 5, range: 0...10_000)
        minVoxels = try params.int("min_voxels", default: 3, range: 1...1_000_000)
        snr = try params.double("snr", default: 2, range: 0...100)
        phaseNoise = try params.double("phase_noise", default: 0.1, range: 0...3)
        let tracingName = params.string("tracing", default: BCDILineTracing.residues.rawValue)
        guard let tracing = BCDILineTracing(rawValue: tracingName) else {
            throw ParamError(message: "--param tracing=\(tracingName): expected residues, split or skeleton")
        }
        self.tracing = tracing
        deblur = try params.bool("deblur", default: true)
        deblurResidual = try params.double("deblur_residual", default: 1.0, range: 0.3...10)
        let estimatorName = params.string("deblur_estimate", default: BCDIBlurEstimator.restored.rawValue)
        guard let estimator = BCDIBlurEstimator(rawValue: estimatorName) else {
            throw ParamError(message: "--param deblur_estimate=\(estimatorName): expected direct, direct_restored or variogram")
        }
        blurEstimator = estimator
        let surfaceName = params.string("deblur_surface", default: BCDIDeblurSurface.hull.rawValue)
        guard let deblurSurface = BCDIDeblurSurface(rawValue: surfaceName) else {
            throw ParamError(message: "--param deblur_surface=\(surfaceName): expected hull, body, measured, aligned or deconvolved")
        }
        self.deblurSurface = deblurSurface
        deblurBand = try params.int("deblur_band", default: 1, range: 0...20)
        deblurMeasuredNoise = try params.bool("deblur_measured_noise", default: true)
        let bodyName = params.string("support_body", default: BCDISupportBody.crystal.rawValue)
        guard let supportBody = BCDISupportBody(parameter: bodyName) else {
            throw ParamError(message: "--param support_body=\(bodyName): expected off (false), body (true), lines or crystal")
        }
        self.supportBody = supportBody
        let notchesName = params.string("support_notches", default: BCDISupportNotches.crystal.rawValue)
        guard let supportNotches = BCDISupportNotches(parameter: notchesName) else {
            throw ParamError(message: "--param support_notches=\(notchesName): expected off (false), hull (true), chains or crystal")
        }
        self.supportNotches = supportNotches
        let endsName = params.string("fill_ends", default: BCDIFillEnds.off.rawValue)
        guard let fillEnds = BCDIFillEnds(rawValue: endsName.lowercased()) else {
            throw ParamError(message: "--param fill_ends=\(endsName): expected off, ray or clip")
        }
        self.fillEnds = fillEnds
        let smoothingName = params.string("line_smoothing", default: BCDILineSmoothing.residueNoiseBlurLoop.rawValue)
        guard let lineSmoothing = BCDILineSmoothing(rawValue: smoothingName.lowercased()) else {
            throw ParamError(message: "--param line_smoothing=\(smoothingName): expected off, residue_noise, residue_noise_blur, residue_noise_blur_ramp or residue_noise_blur_loop")
        }
        self.lineSmoothing = lineSmoothing
    }

    /// The kernel settings these options stand for.
    public var analysisSettings: BCDIAnalysisSettings {
        var s = BCDIAnalysisSettings()
        s.alpha = alpha
        s.amplitudeThreshold = Float(amplitudeThreshold)
        s.removeRamp = removeRamp
        s.snr = snr
        s.phaseNoise = phaseNoise
        s.deblur = deblur
        s.deblurResidual = deblurResidual
        s.blurEstimator = blurEstimator
        s.deblurSurface = deblurSurface
        s.deblurBand = deblurBand
        s.deblurMeasuredNoise = deblurMeasuredNoise
        s.supportBody = supportBody
        s.supportNotches = supportNotches
        s.lines = BCDILineOptions(psiCutoff: Float(psiCutoff), minVoxels: minVoxels, tracing: tracing)
        s.lines.fillEnds = fillEnds
        s.lines.lineSmoothing = lineSmoothing
        return s
    }
}
