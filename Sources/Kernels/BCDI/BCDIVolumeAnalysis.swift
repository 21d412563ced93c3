#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings of the whole single-volume finder (`BCDIVolumeAnalysis.run`).
public struct BCDIAnalysisSettings: Hashable, Sendable {
    public var alpha: Int = 1
    /// Support from |ρ| ≥ threshold·max when the reconstruction stores none.
    public var amplitudeThreshold: Float = 0.2
    public var removeRamp: Bool = true
    /// Leave out support voxels whose local signal amplitude is below this multiple of the
    /// measured noise σ (`BCDINoiseSupport`); 0 keeps the support as it is.
    public var snr: Double = 2
    /// Phase noise (rad) at the support's median amplitude that the denoising smoothing aims
    /// for (`BCDIDenoising`); 0 takes the phase of the raw field.
    public var phaseNoise: Double = 0.1
    /// Largest smoothing width, voxels.
    public var maxSmoothing: Double = 1.5
    /// Measure the resolution blur from the surface (`BCDIBlurEstimate`) and invert all of it
    /// but `deblurResidual` (`BCDIDeconvolution`) before anything else; false: the finder as
    /// it was before issue 12's fifth session. False here (the bare kernel's settings), true
    /// for jobs and `ctl bench bcdi` (`BCDIJobOptions`, `deblur=` default true since 5 December):
    /// with the surface band (`deblurSurface`) and `deblurMeasuredNoise` it wins `blur`,
    /// `ramp-blur` and `random` on both seed ranges and holds `noise` and `clean` (docs/bcdi.md).
    public var deblur: Bool = false
    /// Blur (voxels) left in the field by the deconvolution.
    public var deblurResidual: Double = 1.0
    /// How `deblur` measures the blur: `direct` fits the blurred body to the amplitude with the
    /// vortex neighbourhoods left out (`BCDIBlurDirectFit`); `variogram` is the surface
    /// variogram of issue 12's fifth session (`BCDIBlurEstimate`); `restored` is the direct fit
    /// with the vortices the deconvolution restores left out as well (`BCDIBlurRestoredFit`).
    public var blurEstimator: BCDIBlurEstimator = .direct
    /// Which field the finder sees near the surface after a deconvolution (`BCDIDeblurSurface`);
    /// `hull` since issue 12's tenth session (blur σ = 2 median recall ≥ 0.985 on three seed
    /// ranges; docs/bcdi.md), `body` in the ninth, `measured` before.
    public var deblurSurface: BCDIDeblurSurface = .hull
    /// Depth (voxels) of the measured-field band of `deblurSurface = .measured`, and of the
    /// blend after it; 0: ⌈σ̂⌉, the measured blur. 1 (the measured support's outer layer kept,
    /// the next one blended): the ringing's zero sheet lies ≈ σ_e outside the sharp surface,
    /// about where the measured support ends (its edge is ≈ 0.84 σ out), and on `blur` (σ = 2)
    /// ⌈σ̂⌉ threw away recall the deconvolution had won near the surface (docs/bcdi.md).
    public var deblurBand: Int = 1
    /// After a deconvolution, take the noise σ (for the SNR trim and the denoising width) from
    /// the measured field instead of measuring it again on the deconvolved one (false here, true
    /// for jobs with `deblur`: `deblur_measured_noise=` default true; docs/bcdi.md).
    public var deblurMeasuredNoise: Bool = false
    /// Extend a stored support by the crystal's body as the amplitude shows it (the half-level
    /// set, `BCDIBlurDirectFit.body`) before it is trimmed by the SNR (only when `snr` > 0): a
    /// reconstruction's support a voxel too tight cuts every line's ends off in the outer
    /// layer, where the field still holds them (`supportCandidate`, `BCDISupportBody`). Issue
    /// 12, tenth session (`body`) and eleventh (`lines`). Off here (the bare kernel's settings),
    /// `crystal` for jobs and `ctl bench bcdi` (`support_body=` default crystal since the
    /// thirteenth session, lines since the eleventh: noise p10 recall up, docs/bcdi.md).
    public var supportBody: BCDISupportBody = .off
    /// Fill the SNR-trimmed support's notches where vortex lines leave the crystal, up to its
    /// convex hull within the candidate (`prepare`; only when `snr` > 0; `BCDISupportNotches`).
    /// Issue 12, tenth session (`hull`) and eleventh (`chains`, `crystal`). Off here (the bare
    /// kernel's settings), `crystal` for jobs and `ctl bench bcdi` since the twelfth session
    /// (`noise` p10 recall up on five seed ranges, docs/bcdi.md).
    public var supportNotches: BCDISupportNotches = .off
    public var lines = BCDILineOptions()

    public init() {}
}

/// Where the SNR-trimmed support's notches are filled up to its convex hull (`BCDIVolumeAnalysis.prepare`).
public enum BCDISupportNotches: String, CaseIterable, Hashable, Sendable {
    /// The trimmed support as it is.
    case off
    /// Within reach of every vortex line inside the trimmed support (issue 12, tenth session):
    /// gives back the line ends and also surface voxels beside lines that run near the surface.
    case hull
    /// Within reach only of the residues where a line's chain runs on from inside the trimmed
    /// support into the layer the trim cut (`BCDIBodyNotches.filledAlongChains`; eleventh session).
    case chains
    /// `chains`, the fill bounded by the crystal as the amplitude shows it: the half-level body
    /// (`BCDIBlurDirectFit.body`) with its own notches filled, so that a loose candidate (a
    /// dilated stored support, or none) is not grown past the surface (eleventh session, spot check only).
    case crystal

    /// The mode a parameter value names: its raw value, or `false`/`true` for `off`/`hull`
    /// (the parameter was a switch before `chains`).
    public init?(parameter: String) {
        switch parameter.lowercased() {
        case "false": self = .off
        case "true": self = .hull
        default: self.init(rawValue: parameter.lowercased())
        }
    }
}

/// How much of the crystal's body a stored support is extended by (`BCDIVolumeAnalysis.supportCandidate`).
public enum BCDISupportBody: String, CaseIterable, Hashable, Sendable {
    /// The stored support as it is.
    case off
    /// Joined with the whole half-level body (issue 12, tenth session): recovers the line ends
    /// a support a voxel too tight cuts off, and admits the body's whole outer layer, where a
    /// ramp or the deconvolution can leave a surface vortex that the support had kept out.
    case body
    /// Joined with the body only within reach of a vortex line that runs inside the stored
    /// support: the layer is added where a line continues into it, not over the whole surface
    /// (issue 12, eleventh session).
    case lines
    /// `lines` with the body's own notches filled first (`BCDIBodyNotches.filled`): the line's
    /// amplitude hole notches the half-level set exactly where the line leaves the crystal, so
    /// `lines` gave back the layer beside a line's end but not the end's own voxels (issue 12,
    /// thirteenth session: the `outside` loss of the `noise` draws with an eroded support).
    case crystal

    /// The mode a parameter value names: its raw value, or `false`/`true` for `off`/`body`
    /// (the parameter was a switch before `lines`).
    public init?(parameter: String) {
        switch parameter.lowercased() {
        case "false": self = .off
        case "true": self = .body
        default: self.init(rawValue: parameter.lowercased())
        }
    }
}

/// Which field the finder sees near the crystal's surface after a deconvolution
/// (`BCDIVolumeAnalysis.deblur`).
public enum BCDIDeblurSurface: String, CaseIterable, Hashable, Sendable {
    /// Issue 12's sixth session: the deconvolved field everywhere.
    case deconvolved
    /// The measured field within `deblurBand` voxels of the measured support's edge, blended
    /// linearly into the deconvolved field over as many more, the deconvolved field deeper in
    /// (the default from issue 12's seventh session to the ninth).
    case measured
    /// As `measured`, but in that outer shell the deconvolved field x is kept wherever it is
    /// at least as strong as the measured field y in y's own direction (Re(x·ȳ) ≥ |y|²): the
    /// crystal side of the sharp surface, which the blur weakened and the deconvolution
    /// restored. The blur tails outside the sharp surface (weaker after deconvolution) and the
    /// ringing's sign change (against y) keep the measured band. Experiment (issue 12, eighth
    /// session; docs/bcdi.md).
    case aligned
    /// As `measured`, but inside the crystal's body as the measured field shows it (the
    /// half-level set of its amplitude, `BCDIBlurDirectFit.body`: the sharp surface) the
    /// deconvolved field is kept up to the surface; the band's measured field stays only outside
    /// it, where the ringing's zero sheet lies (≈ σ_e out). Issue 12's eighth session; the
    /// default in the ninth.
    case body
    /// As `body`, with the body's notches filled where vortex lines leave it
    /// (`BCDIBodyNotches`: within 3σ̂ + 1 voxels of a line, the body's convex hull): the blurred
    /// vortex's amplitude hole cuts the half-level set up to ≈ σ deep exactly where a line
    /// ends, so `body` left the measured field there. Without a stored support the fill also
    /// joins the support candidate. Issue 12, tenth session; the default since.
    case hull
}

/// The finder for one whole volume in one call — support, ramp removal, Ψα, lines — the same
/// steps, in the same order, as the `bcdi` tasks and merge run them across slabs. Used where
/// no database or files are wanted (the accuracy harness, tests).
public enum BCDIVolumeAnalysis {
    public struct Result: Sendable {
        public var lines: [BCDILine]
        public var support: [UInt8]
        public var phase: [Float]
        public var psi: [Float]
        public var ramp: SIMD3<Double>
        /// The measured noise σ (per component, amplitude units).
        public var sigma: Double
        /// Width (voxels) of the smoothing the phase was taken after; 0 for none.
        public var smoothing: Double
        /// The blur σ measured from the surface (0 when `deblur` is off).
        public var blur: Double = 0
        /// The blur width the deconvolution inverted (0 for none).
        public var inverted: Double = 0
        /// The `companion` field given to `run`, after the same deconvolution.
        public var companion: (re: [Float], im: [Float])? = nil
        /// The support's voxels that the notch fill added (nil when `supportNotches` is off).
        public var filled: [UInt8]? = nil
        /// The precision map the lines were smoothed with (nil when `lineSmoothing` is off).
        public var precision: [Float]? = nil
        /// The blur still in the field the lines were traced in (`fieldBlur`).
        public var fieldBlur: Double = 0
        /// The ramp's blur pull the lines were corrected with (`BCDIRampShift.pull`).
        public var rampPull: SIMD3<Double> = .zero
    }

    /// Gaussian width (voxels) of the blur still in the field whose phase the finder takes: the
    /// measured blur `blur`, less the width `inverted` the deconvolution undid (√(blur² −
    /// inverted²), the residual it leaves), with the denoising width `smoothing` in quadrature.
    /// What moves a curved vortex line in that field (`BCDILineSmoothing.unshrink`).
    public static func fieldBlur(blur: Double, inverted: Double, smoothing: Double) -> Double {
        let left = max(0, blur * blur - inverted * inverted)
        return (left + smoothing * smoothing).squareRoot()
    }

    /// The field with its measured blur, less `settings.deblurResidual`, inverted
    /// (`BCDIDeconvolution`), and the blur measured; the field unchanged when the blur is
    /// within the residual or `deblur` is off. `support` is the support candidate for the
    /// steps after it: the stored one, or — after a deconvolution — the one found on the
    /// measured field. With `deblurSurface = .measured` the measured field is kept near the
    /// surface (`surfaceWeights`).
    ///
    /// `companion`: a second field of the same shape (the harness's noise-free volume) put
    /// through the very same operator — the blur, regulariser, region and surface handling
    /// measured on `re + i·im` — and returned beside it (as it is when nothing is inverted).
    public static func deblur(re: [Float], im: [Float], storedSupport: [UInt8]?, shape: BCDIShape,
                              settings: BCDIAnalysisSettings, companion: (re: [Float], im: [Float])? = nil)
        -> (re: [Float], im: [Float], blur: Double, inverted: Double, support: [UInt8]?, sigma: Double?, companion: (re: [Float], im: [Float])?) {
        guard settings.deblur else { return (re, im, 0, 0, storedSupport, nil, companion) }
        var plain = settings
        plain.deblur = false
        let (support, _, sigma, _) = prepare(re: re, im: im, storedSupport: storedSupport, shape: shape, settings: plain)
        let amplitude = BCDIDenoising.medianAmplitude(re: re, im: im, support: support)
        let lambda = amplitude > 0 ? min(1, (sigma / amplitude) * (sigma / amplitude)) : 1
        // The crystal lies within the support grown by the blur's reach.
        func grown(_ blur: Double) -> [UInt8] {
            BCDISupport.dilate(storedSupport.map { zip($0, support).map { $0 | $1 } } ?? support, shape: shape,
                               radius: Int(blur.rounded(.up)) + 1)
        }
        // The field with a measured blur undone down to the residual (nil: nothing to invert).
        func deconvolved(_ blur: Double) -> (re: [Float], im: [Float])? {
            let width = BCDIDeconvolution.invertedWidth(blur: blur, residual: settings.deblurResidual)
            guard width > 0 else { return nil }
            let d = BCDIDeconvolution.deconvolve(re: re, im: im, support: grown(blur), shape: shape, width: width, lambda: lambda)
            return (d.re, d.im)
        }
        let blur: Double
        var field: (re: [Float], im: [Float])? = nil
        switch settings.blurEstimator {
        case .direct: blur = BCDIBlurDirectFit.estimate(re: re, im: im, shape: shape).sigma
        case .variogram: blur = BCDIBlurEstimate.estimate(re: re, im: im, support: support, shape: shape).sigma
        case .restored:
            let fit = BCDIBlurRestoredFit.estimate(re: re, im: im, shape: shape, deconvolve: deconvolved)
            blur = fit.sigma
            // The iteration's last deconvolution, when it was made with the final estimate.
            if fit.deconvolvedSigma == fit.sigma { field = fit.deconvolved }
        }
        let width = BCDIDeconvolution.invertedWidth(blur: blur, residual: settings.deblurResidual)
        guard width > 0 else { return (re, im, blur, 0, storedSupport, nil, companion) }
        let region = grown(blur)
        // The support is grown once for the field and its companion (not again inside `deconvolved`).
        let d = field ?? {
            let r = BCDIDeconvolution.deconvolve(re: re, im: im, support: region, shape: shape, width: width, lambda: lambda)
            return (re: r.re, im: r.im)
        }()
        var out = (re: d.re, im: d.im)
        let dc = companion.map { BCDIDeconvolution.deconvolve(re: $0.re, im: $0.im, support: region, shape: shape, width: width, lambda: lambda) }
        var outCompanion = dc.map { (re: $0.re, im: $0.im) }
        var candidate = support
        if settings.deblurSurface != .deconvolved {
            // Near the surface the deconvolution is ill-posed: the support constraint there is
            // only as good as the support (a loose one leaves a shell of noise), and inverting
            // the blur of a step rings — the field overshoots, then changes sign just outside
            // the surface, a zero sheet that the phase ramp turns into rows of vortices (issue
            // 12, sixth session: up to 44 spurious surface lines per draw). The measured field
            // has no such sheet, and deconvolution gains nothing there that Ψ can use (the
            // pairs the blur annihilated and the loops it shrank are inside). So the finder
            // sees the measured field within the blur's reach of the edge of the support found
            // on it, the deconvolved field from twice that depth, and a linear blend between
            // (`deblurBand`).
            let reach = settings.deblurBand > 0 ? settings.deblurBand : max(1, Int(blur.rounded(.up)))
            let w = surfaceWeights(support: support, shape: shape, inner: reach, width: reach)
            // `aligned`: the ringing's zero sheet lies outside the sharp surface, where the
            // deconvolution takes the blur's tail away (x weaker than y) or turns the field
            // against y; inside it x is y restored (stronger, same direction). Only the
            // inside keeps x, with what it restored near the surface. (Re(x·ȳ) > 0 alone was
            // tried first: it kept the sheet's quarter-turned voxels, 41 spurious lines in one
            // ramp-blur draw.)
            let aligned = settings.deblurSurface == .aligned
            // `body`: the sheet lies ≈ σ_e outside the sharp surface, the body inside it.
            // `hull`: and where a line leaves it, the surface its convex hull spans.
            var body: [UInt8]? = nil
            if settings.deblurSurface == .body || settings.deblurSurface == .hull {
                body = BCDIBlurDirectFit.body(re: re, im: im, shape: shape)
            }
            if settings.deblurSurface == .hull, let b = body {
                let filled = BCDIBodyNotches.filled(body: b, re: re, im: im, shape: shape, reach: Int((3 * max(blur, 1) + 1).rounded(.up)))
                if storedSupport == nil {
                    for i in 0..<shape.count where filled[i] != 0 && b[i] == 0 { candidate[i] = 1 }
                }
                body = filled
            }
            for i in 0..<shape.count where w[i] < 1 {
                if let body, body[i] != 0 { continue }
                if !(aligned && d.re[i] * re[i] + d.im[i] * im[i] >= re[i] * re[i] + im[i] * im[i]) {
                    out.re[i] = w[i] * d.re[i] + (1 - w[i]) * re[i]
                    out.im[i] = w[i] * d.im[i] + (1 - w[i]) * im[i]
                }
                if let c = companion, let e = dc, !(aligned && e.re[i] * c.re[i] + e.im[i] * c.im[i] >= c.re[i] * c.re[i] + c.im[i] * c.im[i]) {
                    outCompanion!.re[i] = w[i] * e.re[i] + (1 - w[i]) * c.re[i]
                    outCompanion!.im[i] = w[i] * e.im[i] + (1 - w[i]) * c.im[i]
                }
            }
        }
        // Deconvolution sharpens the field but tells nothing new about where the crystal is,
        // and it amplifies the noise outside it: the support found on the measured field is
        // the candidate from here on (a stored one is kept as it is).
        return (out.re, out.im, blur, width, storedSupport ?? candidate, settings.deblurMeasuredNoise ? sigma : nil, outCompanion)
    }

    /// Weight of the deconvolved field per voxel: 0 within `inner` voxels (Chebyshev) of the
    /// edge of `support` and outside it, rising linearly to 1 at `inner + width + 1` voxels deep.
    public static func surfaceWeights(support: [UInt8], shape: BCDIShape, inner: Int, width: Int) -> [Float] {
        var depth = [UInt8](repeating: 0, count: shape.count)
        var layer = support
        for k in 1...(inner + width + 1) {
            for i in 0..<shape.count where layer[i] != 0 { depth[i] = UInt8(k) }
            guard k < inner + width + 1 else { break }
            layer = BCDISupport.erode(layer, shape: shape, radius: 1)
        }
        return depth.map { Float(min(1, max(0, Double(Int($0) - inner) / Double(width + 1)))) }
    }

    /// The denoising width for a volume whose noise σ was measured on `support`.
    public static func smoothingWidth(re: [Float], im: [Float], support: [UInt8], sigma: Double, settings: BCDIAnalysisSettings) -> Double {
        guard settings.phaseNoise > 0, sigma > 0 else { return 0 }
        let amplitude = BCDIDenoising.medianAmplitude(re: re, im: im, support: support)
        return BCDIDenoising.smoothingSigma(noise: sigma, amplitude: amplitude, target: settings.phaseNoise, maximum: settings.maxSmoothing)
    }

    /// What Ψ needs from the whole volume: the support (stored or from the amplitude, less
    /// the voxels at the noise level of the field Ψ will see), the phase ramp (Bragg-peak
    /// centring refined by an iterated plane fit on that support), the noise σ of the raw
    /// field and the denoising width.
    ///
    /// When the data call for denoising (width s > 0), the support is trimmed twice: first by
    /// the raw field's SNR (that support's median amplitude sets s), then again by the SNR of
    /// the *smoothed* field — the one whose phase Ψ takes, with noise σ / noiseReduction(s) —
    /// from the untrimmed candidate. The surface layer that the raw noise hid but the
    /// smoothed field resolves (phase noise ≲ 1/snr rad there too) is kept, with the lines
    /// that reach it.
    /// `noiseSigma`: the noise σ measured elsewhere (`deblurMeasuredNoise`), used instead of
    /// measuring it on this field.
    public static func prepare(re: [Float], im: [Float], storedSupport: [UInt8]?, shape: BCDIShape,
                               settings: BCDIAnalysisSettings, noiseSigma: Double? = nil) -> (support: [UInt8], ramp: SIMD3<Double>, sigma: Double, smoothing: Double) {
        let p = prepareFilled(re: re, im: im, storedSupport: storedSupport, shape: shape, settings: settings, noiseSigma: noiseSigma)
        return (p.support, p.ramp, p.sigma, p.smoothing)
    }

    /// `prepare`, and the support's voxels that the notch fill added (`supportNotches`; nil
    /// when it is off): the layer the SNR trim cut where a line runs on into it, whose phase is
    /// too noisy to place the line (`BCDIFillEnds`).
    public static func prepareFilled(re: [Float], im: [Float], storedSupport: [UInt8]?, shape: BCDIShape,
                                     settings: BCDIAnalysisSettings, noiseSigma: Double? = nil)
        -> (support: [UInt8], ramp: SIMD3<Double>, sigma: Double, smoothing: Double, filled: [UInt8]?) {
        var support: [UInt8], sigma: Double
        var added: [UInt8]? = nil
        let threshold = settings.snr > 0 ? settings.amplitudeThreshold : 0
        if let stored = storedSupport {
            sigma = settings.snr > 0 ? (noiseSigma ?? BCDINoiseSupport.sigma(re: re, im: im, support: stored, shape: shape)) : 0
            // The same amplitude threshold as for a missing support trims a loose one.
            support = BCDINoiseSupport.reliable(re: re, im: im, support: stored, shape: shape, sigma: sigma, snr: settings.snr,
                                                threshold: threshold)
        } else if settings.snr > 0 {
            (support, sigma) = BCDINoiseSupport.fromAmplitude(re: re, im: im, shape: shape, threshold: settings.amplitudeThreshold, snr: settings.snr)
        } else {
            support = BCDISupport.fromAmplitude(re: re, im: im, shape: shape, threshold: settings.amplitudeThreshold)
            sigma = 0
        }
        let smoothing = smoothingWidth(re: re, im: im, support: support, sigma: sigma, settings: settings)
        if smoothing > 0 && settings.snr > 0 {
            // Without a stored support the candidate reaches the blur tails the raw SNR cut off.
            let candidate = storedSupport ?? BCDISupport.dilate(support, shape: shape, radius: 2)
            let smoothed = BCDIComplexSmoothing.smooth(re: re, im: im, support: candidate, shape: shape, sigma: smoothing)
            support = BCDINoiseSupport.reliable(re: smoothed.re, im: smoothed.im, support: candidate, shape: shape,
                                                sigma: sigma / BCDIComplexSmoothing.noiseReduction(sigma: smoothing),
                                                snr: settings.snr, threshold: threshold, averaged: true)
        }
        if settings.supportNotches != .off && settings.snr > 0 {
            // A vortex core has no amplitude by nature: inside the crystal the hole-filling puts
            // its voxels back, but where a line leaves the crystal its low-amplitude hole is open
            // to the outside and the SNR trim notches the support there, cutting the line's end.
            // Near the lines the support is therefore taken up to its convex hull, within the
            // candidate (`BCDIBodyNotches`; the hole's reach ≈ 3 × the field's width + 1).
            var candidate = storedSupport ?? BCDISupport.dilate(support, shape: shape, radius: 2)
            let reach = Int((3 * max(1, smoothing) + 1).rounded(.up))
            if settings.supportNotches == .crystal {
                if let body = BCDIBlurDirectFit.body(re: re, im: im, shape: shape) {
                    let crystal = BCDIBodyNotches.filled(body: body, re: re, im: im, shape: shape, reach: reach)
                    for i in 0..<shape.count where crystal[i] == 0 { candidate[i] = 0 }
                } else {
                    candidate = support
                }
            }
            // `chains`: only where a line's residue chain runs on from inside the trimmed support
            // into the cut layer — its end, not a line that merely passes near the surface.
            let filled = settings.supportNotches != .hull
                ? BCDIBodyNotches.filledAlongChains(body: support, within: candidate, re: re, im: im, shape: shape, reach: reach)
                : BCDIBodyNotches.filled(body: support, re: re, im: im, shape: shape, reach: reach)
            var fill = [UInt8](repeating: 0, count: shape.count)
            for i in 0..<shape.count where filled[i] != 0 && candidate[i] != 0 && support[i] == 0 {
                support[i] = 1
                fill[i] = 1
            }
            added = fill
        }
        var ramp = SIMD3<Double>.zero
        if settings.removeRamp {
            let initial = BCDIPhaseRamp.estimate(re: re, im: im, support: support, shape: shape)
            ramp = BCDIPhaseRamp.refine(re: re, im: im, support: support, shape: shape, initial: initial)
        }
        return (support, ramp, sigma, smoothing, added)
    }

    /// The stored support the steps start from: `stored` as it is, or — with
    /// `settings.supportBody` and SNR trimming on — `stored` joined with the half-level body of
    /// the measured amplitude (`BCDIBlurDirectFit.body`). A stored support is a prior from the
    /// phase retrieval; where the amplitude shows the crystal beyond it (the 50 % contour of a
    /// blurred edge is the edge), the support was too tight: in the randomised draws whose
    /// support is eroded by a voxel, that outer layer held 4–12 % of the true line points, the
    /// lines' ends (docs/bcdi.md, tenth session). A loose support is left as it is: the SNR
    /// trim that follows takes its shell away.
    ///
    /// `.lines` adds the body only within `lineReach` voxels of a vortex line found inside the
    /// stored support eroded by one voxel (`BCDIBodyNotches.nearLines`): a line that the support
    /// cuts short continues into the layer from the interior, while a vortex that lives only in
    /// the added layer (a surface vortex of a ramp or of the deconvolution's edge, which the
    /// whole body admitted: one spurious line on `random` seed 301) has no line inside to be
    /// near.
    public static func supportCandidate(stored: [UInt8]?, re: [Float], im: [Float], shape: BCDIShape,
                                        settings: BCDIAnalysisSettings) -> [UInt8]? {
        guard var support = stored, settings.supportBody != .off, settings.snr > 0,
              let body = BCDIBlurDirectFit.body(re: re, im: im, shape: shape) else { return stored }
        if settings.supportBody == .lines || settings.supportBody == .crystal {
            // Residues at least a voxel inside the stored support: the line there, not its end.
            guard let near = BCDIBodyNotches.nearLines(re: re, im: im, inside: BCDISupport.erode(support, shape: shape, radius: 1),
                                                       shape: shape, reach: lineReach) else { return stored }
            // `crystal`: the notch a line's hole cuts where it leaves the body spanned by the
            // body's hull, over the reach of `near` and one voxel more.
            let crystal = settings.supportBody == .crystal
                ? BCDIBodyNotches.filled(body: body, re: re, im: im, shape: shape, reach: lineReach + 1) : body
            for i in 0..<shape.count where crystal[i] != 0 && near[i] != 0 { support[i] = 1 }
            return support
        }
        for i in 0..<shape.count where body[i] != 0 { support[i] = 1 }
        return support
    }

    /// How far (Chebyshev voxels) from a line inside the stored support `.lines` admits the
    /// body: the residues lie ≥ 1 voxel inside the support's edge, the layer it cut is 1–2 voxels
    /// beyond it, and a line that meets the surface obliquely reaches it a voxel or two aside.
    public static let lineReach = 3

    /// Lines of `re + i·im`; `storedSupport` is the reconstruction's own support, if any.
    /// `companion`: a second field put through the same deconvolution (`deblur`), returned in
    /// the result (the accuracy harness's yardstick); it changes nothing else.
    public static func run(re: [Float], im: [Float], storedSupport: [UInt8]?, shape: BCDIShape,
                           settings: BCDIAnalysisSettings = BCDIAnalysisSettings(), companion: (re: [Float], im: [Float])? = nil) -> Result {
        let storedSupport = supportCandidate(stored: storedSupport, re: re, im: im, shape: shape, settings: settings)
        let (re, im, blur, inverted, candidate, measuredSigma, deconvolvedCompanion) = deblur(re: re, im: im, storedSupport: storedSupport, shape: shape,
                                                                                            settings: settings, companion: companion)
        let (support, ramp, sigma, smoothing, filled) = prepareFilled(re: re, im: im, storedSupport: candidate, shape: shape, settings: settings,
                                                                      noiseSigma: measuredSigma)
        let phase: [Float]
        var precision: [Float]? = nil
        if smoothing > 0 {
            let f = BCDIDenoising.field(re: re, im: im, support: support, shape: shape, firstPlane: 0, ramp: ramp,
                                        centroid: BCDIPhaseRamp.supportCentroid(support, shape: shape), sigma: smoothing)
            phase = zip(f.re, f.im).map { atan2f($1, $0) }
            if settings.lines.lineSmoothing != .off && sigma > 0 {
                precision = BCDILineSmoothing.precisionMap(re: f.re, im: f.im, shape: shape,
                                                           noise: sigma / BCDIComplexSmoothing.noiseReduction(sigma: smoothing))
            }
        } else {
            phase = BCDIPhaseRamp.phase(re: re, im: im, shape: shape, removing: ramp, support: support)
            if settings.lines.lineSmoothing != .off && sigma > 0 {
                precision = BCDILineSmoothing.precisionMap(re: re, im: im, shape: shape, noise: sigma)
            }
        }
        let psi = BCDIPsi.compute(phase: phase, support: support, shape: shape, alpha: settings.alpha)
        var options = settings.lines
        options.fieldBlur = fieldBlur(blur: blur, inverted: inverted, smoothing: smoothing)
        options.rampPull = BCDIRampShift.pull(ramp: ramp, blur: blur, inverted: inverted)
        let lines = BCDILines.detect(psi: psi, support: support, phase: phase, shape: shape, options: options, filled: filled,
                                     precision: precision)
        return Result(lines: lines, support: support, phase: phase, psi: psi, ramp: ramp, sigma: sigma, smoothing: smoothing,
                      blur: blur, inverted: inverted, companion: deconvolvedCompanion, filled: filled, precision: precision,
                      fieldBlur: options.fieldBlur, rampPull: options.rampPull)
    }
}
