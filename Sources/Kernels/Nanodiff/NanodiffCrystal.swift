import Foundation

/// The synthetic crystal's local Bragg vector g(r) = Q − ∇(Q·u(r)) in the scan plane (r in Å,
/// x along scan columns = lab x, y along scan rows = lab y), for the defects of
/// `NanodiffSynthParams`: isotropic-elasticity edge dislocations along the beam (Hirth & Lothe),
/// a tilt boundary (a kink in the lattice phase: g turns about the beam axis across it) and a
/// Gaussian dilatation centre. Every field is a phase gradient, so the model is compatible.
public struct NanodiffCrystal: Sendable {
    public let q: SIMD3<Double>
    let params: NanodiffSynthParams
    /// Poisson's ratio.
    let nu = 0.3
    /// Core regularisation radius, Å.
    let core = 5.0

    public init(_ params: NanodiffSynthParams) {
        self.params = params
        q = params.geometry.nominalQ
    }

    /// ∇(Q·u) at r (Å), in-plane components.
    public func phaseGradient(_ r: SIMD2<Double>) -> SIMD2<Double> {
        let step = params.stepAngstrom
        let qn = (q * q).sum().squareRoot()
        var g = SIMD2<Double>.zero
        for d in params.dislocations {
            // b = sign·d₀·Q̂: an edge part along x, a screw part along z; Q·b = sign·2π.
            let bx = d.sign * params.d0 * q.x / qn, bz = d.sign * params.d0 * q.z / qn
            let x = r.x - d.x * step, y = r.y - d.y * step
            let r2 = x * x + y * y + core * core, r4 = r2 * r2
            let k = 1 / (2 * (1 - nu))
            let ex: Double = -y / r2 + k * y * (y * y - x * x) / r4
            let ey: Double = x / r2 + k * x * (x * x - y * y) / r4
            let edgeScale: Double = q.x * bx / (2 * Double.pi), screwScale: Double = q.z * bz / (2 * Double.pi)
            g.x += edgeScale * ex - screwScale * y / r2
            g.y += edgeScale * ey + screwScale * x / r2
        }
        if let b = params.boundary {
            let a = (b.angleDeg + 90) * .pi / 180
            let n = SIMD2(cos(a), sin(a))
            let s = ((r - SIMD2(b.x, b.y) * step) * n).sum()
            if s > 0 { g -= b.misorientationRad * q.x * n }
        }
        if let s = params.region {
            let R = s.radius * step
            let x = r.x - s.x * step, y = r.y - s.y * step
            let e = exp(-(x * x + y * y) / (2 * R * R))
            // u = ε·(r − c)·exp(−ρ²/2R²) along x (Q's in-plane direction).
            let amplitude: Double = q.x * s.strain * e
            g.x += amplitude * (1 - x * x / (R * R))
            g.y -= amplitude * x * y / (R * R)
        }
        return g
    }

    /// The local Bragg vector at r (Å).
    public func bragg(_ r: SIMD2<Double>) -> SIMD3<Double> {
        let grad = phaseGradient(r)
        return SIMD3(q.x - grad.x, -grad.y, q.z)
    }

    /// Sub-beam sample points around scan position (x, y): offsets on a 5×5 grid over ±2σ of
    /// the Gaussian beam, with normalised weights.
    public func beamSamples(x: Double, y: Double) -> [(r: SIMD2<Double>, w: Double)] {
        let step = params.stepAngstrom
        let sigma = params.beamFWHM / 2.354_820_045 * step
        var out: [(SIMD2<Double>, Double)] = []
        for i in -2...2 {
            for j in -2...2 {
                let dx = Double(j) * sigma, dy = Double(i) * sigma
                out.append((SIMD2(x * step + dx, y * step + dy), exp(-Double(i * i + j * j) / 2)))
            }
        }
        let total = out.reduce(0) { $0 + $1.1 }
        return out.map { ($0.0, $0.1 / total) }
    }
}
