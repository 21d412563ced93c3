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
    /// it was before issue 12's fifth session. Off by default: on the accuracy harness it
    /// helped one seed range and hurt another (docs/bcdi.md), so it is not yet a win.
    public var deblur: Bool = false
    /// Blur (voxels) left in the field by the deconvolution.
    public var deblurResidual: Double = 1.0
    /// How `deblur` measures the blur: `direct` fits the blurred body to the amplitude with the
    /// vortex neighbourhoods left out (`BCDIBlurDirectFit`); `variogram` is the surface
    /// variogram of issue 12's fifth session (`BCDIBlurEstimate`).
    public var blurEstimator: BCDIBlurEstimator = .direct
    /// Which support the steps after a deconvolution start from (`BCDIDeblurSupport`).
    public var deblurSupport: BCDIDeblurSupport = .measured
    public var lines = BCDILineOptions()

    public init() {}
}

/// The finder for one whole volume in one call — support, ramp removal, Ψα, lines — the same
/// steps, in the same order, as the `bcdi` tasks and merge run them across slabs. Used where
/// no database or files are wanted (the accuracy harness, tests).
/// Which support the finder starts from after a deconvolution (`BCDIVolumeAnalysis.deblur`).
public enum BCDIDeblurSupport: String, CaseIterable, Hashable, Sendable {
    /// Issue 12's sixth session: the stored support as it is (the measured one when none is
    /// stored); the deconvolution within either grown by the blur's reach.
    case stored
    /// The support found on the measured (not deconvolved) field: the stored one trimmed by
    /// the measured field's SNR; the deconvolution region as for `stored`.
    case measured
    /// The deconvolution bounded by the support the measured amplitude sets without the stored
    /// one, and the stored support (if any) restricted to it.
    case amplitude
}

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
    }

    /// The field with its measured blur, less `settings.deblurResidual`, inverted
    /// (`BCDIDeconvolution`), and the blur measured; the field unchanged when the blur is
    /// within the residual or `deblur` is off. `support` is the support candidate for the
    /// steps after it: the stored one, or — after a deconvolution — the one found on the
    /// measured field.
    public static func deblur(re: [Float], im: [Float], storedSupport: [UInt8]?, shape: BCDIShape,
                              settings: BCDIAnalysisSettings) -> (re: [Float], im: [Float], blur: Double, inverted: Double, support: [UInt8]?) {
        guard settings.deblur else { return (re, im, 0, 0, storedSupport) }
        var plain = settings
        plain.deblur = false
        let (support, _, sigma, _) = prepare(re: re, im: im, storedSupport: storedSupport, shape: shape, settings: plain)
        let blur = settings.blurEstimator == .direct
            ? BCDIBlurDirectFit.estimate(re: re, im: im, shape: shape).sigma
            : BCDIBlurEstimate.estimate(re: re, im: im, support: support, shape: shape).sigma
        let width = BCDIDeconvolution.invertedWidth(blur: blur, residual: settings.deblurResidual)
        guard width > 0 else { return (re, im, blur, 0, storedSupport) }
        let amplitude = BCDIDenoising.medianAmplitude(re: re, im: im, support: support)
        let lambda = amplitude > 0 ? min(1, (sigma / amplitude) * (sigma / amplitude)) : 1
        switch settings.deblurSupport {
        case .stored:
            // The crystal lies within the support grown by the blur's reach.
            let region = BCDISupport.dilate(storedSupport.map { zip($0, support).map { $0 | $1 } } ?? support, shape: shape,
                                            radius: Int(blur.rounded(.up)) + 1)
            let d = BCDIDeconvolution.deconvolve(re: re, im: im, support: region, shape: shape, width: width, lambda: lambda)
            return (d.re, d.im, blur, width, storedSupport ?? support)
        case .measured:
            // Deconvolution sharpens the field but tells nothing new about where the crystal is,
            // and it amplifies the noise and rings outside it. The steps after it start from the
            // support found on the measured field (the stored one trimmed by the measured
            // field's SNR): a loose stored support — unmasked noise around the crystal — would
            // otherwise let the ringing there pass the SNR trim and make surface vortices.
            let region = BCDISupport.dilate(storedSupport.map { zip($0, support).map { $0 | $1 } } ?? support, shape: shape,
                                            radius: Int(blur.rounded(.up)) + 1)
            let d = BCDIDeconvolution.deconvolve(re: re, im: im, support: region, shape: shape, width: width, lambda: lambda)
            return (d.re, d.im, blur, width, support)
        case .amplitude:
            // As `measured`, and the deconvolution itself is bounded by the support the measured
            // amplitude sets on its own (the blur widens the body, never narrows it, so the sharp
            // crystal lies within it whatever the stored support's error): the ringing has no
            // loose shell to live in. A stored support only narrows what follows.
            var amplitudeOnly = plain
            amplitudeOnly.phaseNoise = 0
            let bound = prepare(re: re, im: im, storedSupport: nil, shape: shape, settings: amplitudeOnly).support
            let d = BCDIDeconvolution.deconvolve(re: re, im: im, support: bound, shape: shape, width: width, lambda: lambda)
            return (d.re, d.im, blur, width, storedSupport.map { zip($0, bound).map { $0 & $1 } } ?? bound)
        }
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
    public static func prepare(re: [Float], im: [Float], storedSupport: [UInt8]?, shape: BCDIShape,
                               settings: BCDIAnalysisSettings) -> (support: [UInt8], ramp: SIMD3<Double>, sigma: Double, smoothing: Double) {
        var support: [UInt8], sigma: Double
        let threshold = settings.snr > 0 ? settings.amplitudeThreshold : 0
        if let stored = storedSupport {
            sigma = settings.snr > 0 ? BCDINoiseSupport.sigma(re: re, im: im, support: stored, shape: shape) : 0
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
        var ramp = SIMD3<Double>.zero
        if settings.removeRamp {
            let initial = BCDIPhaseRamp.estimate(re: re, im: im, support: support, shape: shape)
            ramp = BCDIPhaseRamp.refine(re: re, im: im, support: support, shape: shape, initial: initial)
        }
        return (support, ramp, sigma, smoothing)
    }

    /// Lines of `re + i·im`; `storedSupport` is the reconstruction's own support, if any.
    public static func run(re: [Float], im: [Float], storedSupport: [UInt8]?, shape: BCDIShape,
                           settings: BCDIAnalysisSettings = BCDIAnalysisSettings()) -> Result {
        let (re, im, blur, inverted, candidate) = deblur(re: re, im: im, storedSupport: storedSupport, shape: shape, settings: settings)
        let (support, ramp, sigma, smoothing) = prepare(re: re, im: im, storedSupport: candidate, shape: shape, settings: settings)
        let phase = smoothing > 0
            ? BCDIDenoising.phase(re: re, im: im, support: support, shape: shape, firstPlane: 0, ramp: ramp,
                                  centroid: BCDIPhaseRamp.supportCentroid(support, shape: shape), sigma: smoothing)
            : BCDIPhaseRamp.phase(re: re, im: im, shape: shape, removing: ramp, support: support)
        let psi = BCDIPsi.compute(phase: phase, support: support, shape: shape, alpha: settings.alpha)
        let lines = BCDILines.detect(psi: psi, support: support, phase: phase, shape: shape, options: settings.lines)
        return Result(lines: lines, support: support, phase: phase, psi: psi, ramp: ramp, sigma: sigma, smoothing: smoothing,
                      blur: blur, inverted: inverted)
    }
}
