#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TEMSynthParams {
    /// Draws every parameter of a video of the given difficulty from `seed`.
    public static func preset(_ difficulty: TEMDifficulty, seed: UInt64, frames: Int) -> TEMSynthParams {
        var rng = SeededRandom(seed: seed)
        let size = difficulty == .easy ? 256 : 512
        let background = Background(
            lambda1: rng.uniform(10...100), lambda2: rng.uniform(10...100),
            wPerlin: rng.uniform(0.2...0.4), wWhite: rng.uniform(0.5...0.7),
            s1: 1, s2: rng.uniform(0.6...0.8), floor: 0.25)
        struct Spec {
            var count: ClosedRange<Int>, spacing: ClosedRange<Double>, contrast: ClosedRange<Double>
            var width: ClosedRange<Double>, slipWidth: ClosedRange<Double>, step: ClosedRange<Double>
            var pClosePair: Double, noise: Double
        }
        let spec: Spec
        switch difficulty {
        case .easy:
            spec = Spec(count: 1...3, spacing: 20...35, contrast: 0.30...0.45, width: 2.0...3.0,
                        slipWidth: 80...140, step: 0.5...3.0, pClosePair: 0, noise: 0.02)
        case .medium:
            spec = Spec(count: 2...5, spacing: 12...30, contrast: 0.22...0.38, width: 1.8...3.0,
                        slipWidth: 100...170, step: 0.5...2.5, pClosePair: 0, noise: 0.03)
        case .hard:
            spec = Spec(count: 4...8, spacing: 8...25, contrast: 0.22...0.35, width: 1.5...2.8,
                        slipWidth: 120...190, step: 0.5...2.0, pClosePair: 0.7, noise: 0.03)
        }
        // Band layout: medium has two parallel bands side by side; hard adds a third band on a
        // second slip system at 50–90° that crosses both.
        let alpha = rng.uniform(0...180)
        var bands: [(angle: Double, offset: Double, width: Double)] = []
        switch difficulty {
        case .easy:
            bands = [(alpha, rng.uniform(-15...15), rng.uniform(spec.slipWidth))]
        case .medium, .hard:
            let w1 = rng.uniform(spec.slipWidth), w2 = rng.uniform(spec.slipWidth)
            let gap = rng.uniform(10...30)
            let shift = rng.uniform(-10...10)
            bands = [(alpha, shift - (w1 + gap) / 2, w1), (alpha, shift + (w2 + gap) / 2, w2)]
            if difficulty == .hard {
                let beta = alpha + (rng.unit() < 0.5 ? -1 : 1) * rng.uniform(50...90)
                bands.append((beta, rng.uniform(-20...20), rng.uniform(spec.slipWidth)))
            }
        }
        var nextID = 0
        var pileups: [Pileup] = []
        let c = TEMPoint(Double(size - 1) / 2, Double(size - 1) / 2)
        for band in bands {
            let a = band.angle * .pi / 180
            let u = TEMPoint(cos(a), sin(a)), n = TEMPoint(-sin(a), cos(a))
            let centre = c + band.offset * n + rng.uniform(-20...20) * u
            let k = 5
            let bow = rng.uniform(-0.25...0.25) * band.width
            var offsets = (0..<k).map { i -> Double in
                let v = -1 + 2 * Double(i) / Double(k - 1)
                return bow * (1 - v * v) + rng.uniform(-0.06...0.06) * band.width
            }
            let count = Int(rng.uniform(Double(spec.count.lowerBound)...(Double(spec.count.upperBound) + 0.999)))
            let meanContrast = rng.uniform(spec.contrast)
            var dislocations: [Dislocation] = []
            var position = 0.0
            var closePairUsed = false
            for i in 0..<count {
                var gap = rng.uniform(spec.spacing)
                var paired = false
                var width = rng.uniform(spec.width)
                if i > 0 && !closePairUsed && rng.unit() < spec.pClosePair / Double(max(1, count - 1)) * 2 {
                    // A close pair: 3–5 px centre to centre, thin enough to stay two lines.
                    gap = rng.uniform(3.0...5.0)
                    paired = true
                    closePairUsed = true
                    width = rng.uniform(1.4...1.8)
                    dislocations[i - 1].width = min(dislocations[i - 1].width, rng.uniform(1.4...1.8))
                }
                if i > 0 {
                    // The next one is the previous shape shifted back along the slip direction,
                    // plus a random variation of its support points.
                    position -= gap
                    if !paired { offsets = offsets.map { $0 + rng.uniform(-3...3) } }
                }
                let contrast = min(spec.contrast.upperBound, max(spec.contrast.lowerBound,
                                    meanContrast + rng.uniform(-0.04...0.04)))
                dislocations.append(Dislocation(
                    id: nextID, supportOffsets: offsets, start: position, minGap: i == 0 ? 0 : gap,
                    pairedWithPrevious: paired, contrast: contrast, width: width))
                nextID += 1
            }
            let (lower, upper) = allowedRange(centre: centre, u: u, n: n, slipWidth: band.width,
                                              dislocations: dislocations, width: size, height: size)
            // Place the pile-up at a random position inside the allowed range; drop dislocations
            // from the back while it does not fit.
            while dislocations.count > 1 && -dislocations.last!.start > (upper - lower) * 0.7 {
                dislocations.removeLast()
            }
            let extent = -dislocations.last!.start
            let lead = lower + extent + rng.unit() * max(0, upper - lower - extent)
            for i in dislocations.indices { dislocations[i].start += lead }
            let motion = Motion(pDepin: 0.2, pPin: 0.25, stepMin: spec.step.lowerBound,
                                stepMax: spec.step.upperBound, lower: lower, upper: upper)
            pileups.append(Pileup(
                angleDegrees: band.angle, slipWidth: band.width, centre: centre,
                traceContrast: meanContrast * rng.uniform(0.3...0.45), traceWidth: rng.uniform(1.0...1.5),
                dislocations: dislocations, motion: motion))
        }
        return TEMSynthParams(seed: seed, difficulty: difficulty, width: size, height: size, frames: frames,
                              background: background, postNoise: spec.noise, pileups: pileups)
    }

    /// The positions along the slip direction at which every dislocation of the pile-up lies
    /// wholly inside the frame with a `margin` (px).
    static func allowedRange(centre: TEMPoint, u: TEMPoint, n: TEMPoint, slipWidth: Double,
                             dislocations: [Dislocation], width: Int, height: Int, margin: Double = 8) -> (Double, Double) {
        var lo = -Double.infinity, hi = Double.infinity
        for d in dislocations {
            for q in TEMSynthesizer.shape(d, centre: centre, u: u, n: n, slipWidth: slipWidth, position: 0, step: 4) {
                for (coord, dir, limit) in [(q.x, u.x, Double(width - 1)), (q.y, u.y, Double(height - 1))] {
                    // margin ≤ coord + s·dir ≤ limit − margin
                    if abs(dir) < 1e-9 {
                        if coord < margin || coord > limit - margin { return (0, 0) }
                        continue
                    }
                    let s1 = (margin - coord) / dir, s2 = (limit - margin - coord) / dir
                    lo = max(lo, min(s1, s2))
                    hi = min(hi, max(s1, s2))
                }
            }
        }
        return (lo, max(lo, hi))
    }
}
