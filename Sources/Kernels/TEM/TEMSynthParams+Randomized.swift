#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TEMSynthParams {
    /// A randomised video (`ctl synth tem --randomize`): the preset's layout of slip bands
    /// (easy one band, medium two side by side, hard adds a band on a second slip system crossing
    /// them), with every nuisance drawn per video from wide, physically plausible ranges: line
    /// contrast, width 1–5 px and style, pile-up counts and spacings, close pairs 3–6 px apart,
    /// glide in bursts and stops, a band fed by a source whose dislocations leave the field, and
    /// the `TEMNuisance` (background clutter, stage drift, dropped/repeated frames, camera noise).
    public static func randomized(_ difficulty: TEMDifficulty, seed: UInt64, frames: Int) -> TEMSynthParams {
        var rng = SeededRandom(seed: seed).derived(77)
        let size = difficulty == .easy ? 256 : 512
        let nuisance = TEMNuisance.draw(width: size, height: size, rng: &rng)
        let background = Background(
            lambda1: rng.uniform(10...100), lambda2: rng.uniform(10...100),
            wPerlin: rng.uniform(0.2...0.4), wWhite: rng.uniform(0.5...0.7),
            s1: 1, s2: rng.uniform(0.6...0.8), floor: rng.uniform(0.2...0.5))
        let count: ClosedRange<Double> = difficulty == .easy ? 1...3 : difficulty == .medium ? 2...6 : 4...9
        let pClosePair = difficulty == .easy ? 0 : difficulty == .medium ? 0.3 : 0.8
        let slipWidth: ClosedRange<Double> = difficulty == .easy ? 70...140 : 90...190
        let alpha = rng.uniform(0...180)
        var bands: [(angle: Double, offset: Double, width: Double)] = []
        if difficulty == .easy {
            bands = [(alpha, rng.uniform(-15...15), rng.uniform(slipWidth))]
        } else {
            let w1 = rng.uniform(slipWidth), w2 = rng.uniform(slipWidth), gap = rng.uniform(10...30)
            let shift = rng.uniform(-10...10)
            bands = [(alpha, shift - (w1 + gap) / 2, w1), (alpha, shift + (w2 + gap) / 2, w2)]
            if difficulty == .hard {
                let beta = alpha + (rng.unit() < 0.5 ? -1 : 1) * rng.uniform(40...90)
                bands.append((beta, rng.uniform(-20...20), rng.uniform(slipWidth)))
            }
        }
        // The last band is fed by a source in about half the videos.
        let fedBand = rng.unit() < 0.5 ? bands.count - 1 : -1
        let contrast = rng.uniform(0.15...0.5), width = rng.uniform(1...5)
        let margin = 8 + nuisance.driftBound
        var nextID = 0
        var pileups: [Pileup] = []
        let c = TEMPoint(Double(size - 1) / 2, Double(size - 1) / 2)
        for (b, band) in bands.enumerated() {
            let a = band.angle * .pi / 180
            let u = TEMPoint(cos(a), sin(a)), n = TEMPoint(-sin(a), cos(a))
            let centre = c + band.offset * n + rng.uniform(-20...20) * u
            var lines = Lines(count: Int(rng.uniform(count.lowerBound...(count.upperBound + 0.999))),
                              contrast: contrast, width: width, pClosePair: pClosePair, fed: b == fedBand)
            var dislocations = lines.draw(bandWidth: band.width, frames: frames, firstID: nextID, rng: &rng)
            var (lower, upper) = allowedRange(centre: centre, u: u, n: n, slipWidth: band.width,
                                              dislocations: dislocations, width: size, height: size, margin: margin)
            if b == fedBand {
                // The source sits inside the field, up to 60 % of the way along the band; its
                // dislocations glide out past `exit`.
                let exit = exitPosition(centre: centre, u: u, n: n, slipWidth: band.width,
                                        dislocation: dislocations[0], width: size, height: size, margin: margin) + 10
                lower += rng.uniform(0...0.6) * max(0, upper - lower)
                for i in dislocations.indices { dislocations[i].start = lower }
                upper = exit
            } else {
                while dislocations.count > 1 && -dislocations.last!.start > (upper - lower) * 0.7 {
                    dislocations.removeLast()
                }
                let extent = -dislocations.last!.start
                let lead = lower + extent + rng.unit() * max(0, upper - lower - extent)
                for i in dislocations.indices { dislocations[i].start += lead }
            }
            nextID = (dislocations.map(\.id).max() ?? nextID - 1) + 1
            let stepMax = rng.uniform(0.8...4)
            let motion = Motion(pDepin: rng.uniform(0.05...0.5), pPin: rng.uniform(0.05...0.5),
                                stepMin: rng.uniform(0.1...0.5) * stepMax, stepMax: stepMax,
                                lower: lower, upper: upper, exit: b == fedBand ? upper : nil)
            pileups.append(Pileup(
                angleDegrees: band.angle, slipWidth: band.width, centre: centre,
                traceContrast: contrast * rng.uniform(0.2...0.5), traceWidth: rng.uniform(1.0...2.0),
                dislocations: dislocations, motion: motion))
        }
        var noisy = nuisance
        setNoise(&noisy, contrast: contrast, width: width, background: background, seed: seed, rng: &rng)
        return TEMSynthParams(seed: seed, difficulty: difficulty, width: size, height: size, frames: frames,
                              background: background, postNoise: 0, pileups: pileups, nuisance: noisy)
    }

    /// The noise of a randomised video from the lines' visibility, drawn per video (1.5–12,
    /// log-uniform: from barely visible to clean; the presets measure ≈ 4): visibility is the
    /// lines' depth over the σ of *everything else* at the line scale — the specimen's mottle and
    /// the camera noise together, as `TEMLineVisibility` measures it on the frame. A drawn share
    /// (10–90 %) of that structure's variance is the mottle: the paper's background is scaled
    /// about its mean to supply it (its line-scale σ measured on a noise-free render of the same
    /// background through the same optics); the rest is camera noise, split between shot noise
    /// (when the video is low-dose) and read noise. Setting the camera noise alone (as before)
    /// left the mottle at full amplitude and most draws fainter than anything recorded.
    private static func setNoise(_ n: inout TEMNuisance, contrast: Double, width: Double, background: Background,
                                 seed: UInt64, rng: inout SeededRandom) {
        let meanIntensity = (background.floor + 1) / 2
        // Peak of a line of width w after the optics' Gaussian blur: erf(w / (2√2 σ)).
        let attenuation = n.blurSigma > 0.05 ? erf(width / (2 * 2.0.squareRoot() * n.blurSigma)) : 1
        let style: Double
        switch n.lineStyle {
        case .dark: style = 1
        case .bright: style = 0.85                      // the inversion's gain
        case .double: style = 0.8                       // each image's contrast
        case .dotted: style = 1 - n.dotDepth / 2        // the modulation's mean
        }
        let depth = contrast * meanIntensity * attenuation * style
        let visibility = exp(rng.uniform(log(1.5)...log(12)))
        let share = rng.uniform(0.1...0.9)
        let total = depth / visibility
        let unit = mottleSigma(background, blur: n.blurSigma, seed: seed)
        // The mottle never exceeds the paper's full range; what it cannot supply the camera does.
        let amplitude = unit > 0 ? min(1, max(0.02, share.squareRoot() * total / unit)) : 1
        let mottle = amplitude * unit
        let sigma = max(0.1 * total, (max(0, total * total - mottle * mottle)).squareRoot())
        n.visibility = visibility
        n.backgroundShare = share
        n.backgroundAmplitude = amplitude
        let shot = n.dose > 0 ? rng.uniform(0.3...1) : 0
        n.dose = shot > 0 ? meanIntensity / (shot * sigma * sigma) : 0
        n.readNoise = sigma * (1 - shot).squareRoot()
    }

    /// Line-scale σ (`TEMLineVisibility.structureSigma`) of the paper's background with these
    /// parameters at full amplitude, after the optics' blur: a noise-free 192² render.
    static func mottleSigma(_ background: Background, blur: Double, seed: UInt64) -> Double {
        let size = 192
        let patch = TEMSynthParams(seed: seed, difficulty: .medium, width: size, height: size, frames: 1,
                                   background: background, postNoise: 0, pileups: [], nuisance: nil)
        var img = TEMSynthesizer(params: patch).frame(0)
        if blur > 0.05 { img = GaussianFilter.blur(img, width: size, height: size, sigma: blur) }
        return TEMLineVisibility.structureSigma(img, width: size, height: size)
    }

    /// The contrast-to-noise ratio per pixel of a randomised video's lines, as `setNoise` drew
    /// it (mean line contrast × mean intensity × blur attenuation / camera noise σ); nil for the
    /// presets. The background's own texture is not counted as noise here (`nuisance.visibility`
    /// counts it).
    public var cameraCNR: Double? {
        guard let n = nuisance else { return nil }
        let lines = pileups.flatMap(\.dislocations)
        guard !lines.isEmpty else { return nil }
        let contrast = lines.map(\.contrast).reduce(0, +) / Double(lines.count)
        let width = lines.map(\.width).reduce(0, +) / Double(lines.count)
        let meanIntensity = (background.floor + 1) / 2
        let attenuation = n.blurSigma > 0.05 ? erf(width / (2 * 2.0.squareRoot() * n.blurSigma)) : 1
        let variance = n.readNoise * n.readNoise + (n.dose > 0 ? meanIntensity / n.dose : 0)
        guard variance > 0 else { return .infinity }
        return contrast * meanIntensity * attenuation / variance.squareRoot()
    }

    /// How the dislocations of one randomised band are drawn.
    private struct Lines {
        var count: Int
        var contrast: Double
        var width: Double
        var pClosePair: Double
        var fed: Bool

        /// The pile-up's dislocations (shapes, spacings, contrasts, widths, close pairs); a fed
        /// band's get emission times instead of spacings in space.
        mutating func draw(bandWidth: Double, frames: Int, firstID: Int, rng: inout SeededRandom) -> [Dislocation] {
            let k = 5
            let bow = rng.uniform(-0.25...0.25) * bandWidth
            let base = (0..<k).map { i -> Double in
                let v = -1 + 2 * Double(i) / Double(k - 1)
                return bow * (1 - v * v) + rng.uniform(-0.06...0.06) * bandWidth
            }
            var offsets = base
            let spacing = rng.uniform(8...20)...rng.uniform(22...40)
            let interval = rng.uniform(8...40)
            var emit = rng.uniform(0...interval)
            let total = fed ? min(2000, Int(Double(frames) / interval) + 1) : count
            var out: [Dislocation] = []
            var position = 0.0, pairUsed = false
            for i in 0..<total {
                var gap = rng.uniform(spacing)
                var w = min(5, max(1, width + rng.uniform(-0.4...0.4)))
                var paired = false
                if !fed && i > 0 && !pairUsed && rng.unit() < pClosePair / Double(max(1, count - 1)) * 2 {
                    // A close pair 3–6 px apart, each line thin enough to be told apart.
                    gap = rng.uniform(3...6)
                    paired = true
                    pairUsed = true
                    w = min(w, rng.uniform(1...max(1, gap - 2)))
                    out[i - 1].width = min(out[i - 1].width, w)
                }
                if i > 0 {
                    position -= gap
                    // A pile-up's next line is the previous shape varied; a source emits the
                    // same shape varied each time.
                    if fed { offsets = base.map { $0 + rng.uniform(-3...3) } }
                    else if !paired { offsets = offsets.map { $0 + rng.uniform(-3...3) } }
                }
                let c = min(0.6, max(0.08, contrast + rng.uniform(-0.05...0.05)))
                out.append(Dislocation(id: firstID + i, supportOffsets: offsets, start: fed ? 0 : position,
                                       minGap: i == 0 ? 0 : gap, pairedWithPrevious: paired, contrast: c, width: w,
                                       emitFrame: fed ? Int(emit) : nil))
                emit += interval * rng.uniform(0.5...1.5)
            }
            return out
        }
    }

    /// The position along the slip direction past which every point of `dislocation` lies
    /// outside the frame by more than `margin` px.
    static func exitPosition(centre: TEMPoint, u: TEMPoint, n: TEMPoint, slipWidth: Double,
                             dislocation: Dislocation, width: Int, height: Int, margin: Double) -> Double {
        var exit = -Double.infinity
        for q in TEMSynthesizer.shape(dislocation, centre: centre, u: u, n: n, slipWidth: slipWidth, position: 0, step: 4) {
            var leave = Double.infinity
            for (coord, dir, limit) in [(q.x, u.x, Double(width - 1)), (q.y, u.y, Double(height - 1))] where abs(dir) > 1e-9 {
                leave = min(leave, dir > 0 ? (limit + margin - coord) / dir : (-margin - coord) / dir)
            }
            exit = max(exit, leave)
        }
        return exit
    }
}
