#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One material's amplitudes with a measured tail (`STEM4DParticleModelFit.amplitudeStudentT`):
/// a Student-t law of the job's amplitudes, charged only where sets of spheres are compared.
///
/// The Gaussian prior of `STEM4DParticleAmplitudeLaw` charges a sphere (c − μ)² / s²: a true
/// sphere the free fit holds at a wrong radius or depth inside a crowd sits 4–14 s off the level
/// and pays 16–200 in χ², enough to rearrange the crowd in every refit it enters (the fifteenth
/// session's recall losses). The amplitudes of a job are a tight core (the material) and a tail
/// (spheres fitted wrong, spurious ones), so the law here is a Student-t whose location μ, scale
/// s and tail ν are all fitted to the job's own amplitudes by maximum likelihood (EM for μ and s,
/// ν by its profile likelihood over a grid): the more off-level amplitudes a job has, the
/// heavier the tail and the less any one of them is charged. A sphere pays
/// (ν + 1) ln(1 + d² / ν), d = (c − μ) / s — d² near the level, only logarithmically far out.
///
/// It is not used to fit any sphere (every refit keeps its free amplitude, so the fit's path is
/// the free fit's); it is added on both sides of the comparisons between sets — the merge test,
/// the satellites and the stack split/merge — where one sphere of the material's strength
/// competes with two weaker ones split in depth, or with a rim of faint ones.
struct STEM4DParticleStudentTLaw: Sendable, Hashable {
    var level: Double
    var scale: Double
    /// Degrees of freedom ν (small: a heavy tail).
    var tail: Double

    /// The tails tried for ν (the profile likelihood's grid, Cauchy to nearly Gaussian).
    static let tails: [Double] = [0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128]

    /// −2 ln of the law's density at `c` relative to its mode: (ν + 1) ln(1 + d² / ν).
    @inline(__always) func penalty(_ c: Double) -> Double {
        let d = (c - level) / scale
        return (tail + 1) * log1p(d * d / tail)
    }

    /// The law fitted to the positive amplitudes `c` by maximum likelihood; nil with fewer than
    /// `minimum` or no spread.
    static func measure(amplitudes c: [Double], minimum: Int = 6) -> Self? {
        let a = c.filter { $0 > 0 && $0.isFinite }
        guard a.count >= minimum else { return nil }
        // Start: median and 1.4826 × MAD (robust; the EM for each ν goes on from it).
        let mu0 = STEM4DParticleAmplitudeLaw.median(a)
        let s0 = 1.4826 * STEM4DParticleAmplitudeLaw.median(a.map { abs($0 - mu0) })
        guard mu0 > 0, s0 > 1e-9 else { return nil }
        var best: (law: Self, logLikelihood: Double)? = nil
        for nu in tails {
            let (mu, s) = locationScale(a, tail: nu, level: mu0, scale: s0)
            guard s > 1e-12 else { continue }
            let law = Self(level: mu, scale: s, tail: nu)
            let l = law.logLikelihood(a)
            if l > (best?.logLikelihood ?? -.infinity) { best = (law, l) }
        }
        return best?.law
    }

    /// EM for the location and scale of a Student-t with `tail` degrees of freedom: weights
    /// (ν + 1) / (ν + d²), the weighted mean, and the weighted mean square over n.
    static func locationScale(_ a: [Double], tail nu: Double, level: Double, scale: Double) -> (Double, Double) {
        var mu = level, s2 = scale * scale
        for _ in 0..<200 {
            var sw = 0.0, swc = 0.0
            var weights = [Double](repeating: 0, count: a.count)
            for (i, c) in a.enumerated() {
                let d2 = (c - mu) * (c - mu) / s2
                weights[i] = (nu + 1) / (nu + d2)
                sw += weights[i]; swc += weights[i] * c
            }
            let m = swc / sw
            var q = 0.0
            for (i, c) in a.enumerated() { q += weights[i] * (c - m) * (c - m) }
            let next = q / Double(a.count)
            let done = abs(m - mu) <= 1e-12 * max(1, abs(mu)) && abs(next - s2) <= 1e-10 * s2
            mu = m; s2 = next
            if done || s2 <= 1e-24 { break }
        }
        return (mu, s2.squareRoot())
    }

    /// The log-likelihood of the amplitudes `a` under the law.
    func logLikelihood(_ a: [Double]) -> Double {
        let nu = tail
        let constant = lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Double.pi) - log(scale)
        var l = 0.0
        for c in a {
            let d = (c - level) / scale
            l += constant - 0.5 * (nu + 1) * log1p(d * d / nu)
        }
        return l
    }
}
