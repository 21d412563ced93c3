#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One material, one contrast (`STEM4DParticleModelFit.sharedAmplitude`): every sphere of a job
/// has the same amplitude within a spread, both measured on the job's own spheres.
///
/// The joint fit gives each sphere a free amplitude. In a crowd (spheres overlapping in every
/// view, a small stereo angle) that freedom lets the fit settle on spheres of the wrong
/// strength: one sphere explained as two weaker ones bracketing it in depth, a weak large
/// sphere spread over a stack, faint ones on the rims — each set lowering χ² against the
/// fit's own earlier state, though the true spheres explain the views better with fewer.
/// (Seed 250 at 64²: true spheres fitted at amplitude 0.36–0.39, the spurious ones of its
/// stack at 0.12–0.31; the true set scores χ² 200 lower on the stack's pixels with five
/// spheres fewer, and the model form follows the generator's own expectation to χ²/N = 1.01
/// — a search that fails, not a term the model lacks.)
///
/// The level μ is the median of the amplitudes, the spread s 1.4826 × their median absolute
/// deviation: robust, so that the spurious spheres of a few crowds do not move them. (A law in
/// the radius was tried first: the fitted amplitude and radius of a faint sphere trade against
/// each other, so a robust slope over a narrow radius range follows the noise.) Each sphere then
/// carries a Gaussian prior (c − μ)² / s² in the χ² it is fitted and selected by: a sphere of
/// the wrong strength pays for it, a real one of the material's strength pays nothing. A job of
/// several materials spreads the amplitudes and the prior weakens by itself.
///
/// `perSphere` (`particle_shared_amplitude=per_sphere`): the prior's variance for a sphere is
/// s² plus that sphere's own amplitude variance from the fit, 1 / I (I = Σ g² / σ² over its
/// pixels, the others held). s is the spread of amplitudes measured mostly on well-determined
/// spheres — a few thousandths at high dose — so a small sphere, one cut by the scan edge or one
/// whose amplitude a neighbour's overlap leaves poorly fixed would pay (c − μ)² / s² for a
/// deviation its own data cannot resolve; with 1 / I added it pays only what its measurement
/// error does not explain.
struct STEM4DParticleAmplitudeLaw: Sendable, Hashable {
    var level: Double
    var spread: Double
    var perSphere = false

    /// The law's amplitude at radius `r` (one level for every radius).
    @inline(__always) func mean(_ r: Double) -> Double { level }
    /// The prior's weight 1 / s².
    var precision: Double { 1 / (spread * spread) }
    /// The prior's weight for a sphere whose amplitude has Fisher information `information`
    /// (Σ g² / σ²): 1 / (s² + 1 / I) with `perSphere`, else 1 / s².
    @inline(__always) func precision(information: Double) -> Double {
        guard perSphere else { return precision }
        guard information > 0 else { return 0 }
        return 1 / (spread * spread + 1 / information)
    }

    /// The law of the positive amplitudes `c`; nil with fewer than `minimum` or no spread.
    static func measure(amplitudes c: [Double], minimum: Int = 6) -> Self? {
        let a = c.filter { $0 > 0 && $0.isFinite }
        guard a.count >= minimum else { return nil }
        let mu = median(a)
        let s = 1.4826 * median(a.map { abs($0 - mu) })
        guard mu > 0, s > 1e-9 else { return nil }
        return Self(level: mu, spread: s)
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

extension STEM4DParticleModelState {
    /// Measures the amplitude law on the current spheres and holds every later fit to it;
    /// returns whether a law was measured.
    func measureAmplitudeLaw(perSphere: Bool = false) -> Bool {
        amplitudeLaw = STEM4DParticleAmplitudeLaw.measure(amplitudes: spheres.map(\.c))
        amplitudeLaw?.perSphere = perSphere
        return amplitudeLaw != nil
    }

    /// The Fisher information of sphere `s`'s amplitude in the current model, Σ g² / σ² over
    /// the pixels it touches in every view (the variances as `patch` takes them).
    func amplitudeInformation(_ s: Sphere) -> Double {
        var gg = 0.0
        for v in images.indices {
            guard let b = box(s, v, pad: 1) else { continue }
            let cx = s.x - s.z * t[v].0, cy = s.y - s.z * t[v].1
            for y in b.2...b.3 {
                for x in b.0...b.1 {
                    let g = plane[v].0 * chord(v, x, y, cx, cy, s.r, s.z)
                    if g > 0 { gg += g * g / variance(v, y * w + x) }
                }
            }
        }
        return gg
    }

    /// The prior's χ² over `set`: Σ (c − μ(r))² / s² (0 without a law). Added to the weighted χ²
    /// on both sides of every model comparison (merge, satellites, stacks).
    /// With a Student-t law (`comparisonLaw`), its penalty is added for every sphere.
    func amplitudePenalty(_ set: [Sphere]) -> Double {
        var sum = 0.0
        if let t = comparisonLaw { for s in set where s.c > 0 { sum += t.penalty(s.c) } }
        guard let law = amplitudeLaw else { return sum }
        for s in set where s.c > 0 {
            let d = s.c - law.mean(s.r)
            sum += d * d * (law.perSphere ? law.precision(information: amplitudeInformation(s)) : law.precision)
        }
        return sum
    }
}
