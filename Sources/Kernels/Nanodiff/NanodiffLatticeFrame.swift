import Foundation

/// The reference lattice a scan's strain and tilts are measured against: the reference
/// spacing d₀ and the reference Bragg-vector direction n₀ with two perpendicular axes.
///
/// tilt_x is the rotation of q̄ towards e_a = ŷ × n₀ (in the scattering plane), tilt_y towards
/// e_b = n₀ × e_a (≈ ŷ, out of the scattering plane); radians. strain = d/d₀ − 1.
public struct NanodiffLatticeFrame: Sendable, Equatable, Codable {
    public var q0: SIMD3<Double>
    public var d0: Double

    public init(q0: SIMD3<Double>, d0: Double? = nil) {
        self.q0 = q0
        self.d0 = d0 ?? 2 * Double.pi / (q0 * q0).sum().squareRoot()
    }

    /// The component-wise median of the valid centroids: robust to defects and to the few
    /// positions where the Bragg condition is lost.
    public static func median(of qs: [SIMD3<Double>], d0: Double? = nil) -> NanodiffLatticeFrame? {
        let valid = qs.filter { ($0 * $0).sum() > 0 && $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }
        guard !valid.isEmpty else { return nil }
        let m = SIMD3(NanodiffLPAICI.median(valid.map(\.x)), NanodiffLPAICI.median(valid.map(\.y)), NanodiffLPAICI.median(valid.map(\.z)))
        let dMedian = NanodiffLPAICI.median(valid.map { 2 * Double.pi / ($0 * $0).sum().squareRoot() })
        return NanodiffLatticeFrame(q0: m, d0: d0 ?? dMedian)
    }

    var n0: SIMD3<Double> { q0 / (q0 * q0).sum().squareRoot() }
    var ea: SIMD3<Double> {
        let y = SIMD3<Double>(0, 1, 0)
        let c = SIMD3(y.y * n0.z - y.z * n0.y, y.z * n0.x - y.x * n0.z, y.x * n0.y - y.y * n0.x)
        return c / max(1e-300, (c * c).sum().squareRoot())
    }
    var eb: SIMD3<Double> {
        let a = ea, n = n0
        return SIMD3(n.y * a.z - n.z * a.y, n.z * a.x - n.x * a.z, n.x * a.y - n.y * a.x)
    }

    /// d/d₀ − 1 for centroid `q`.
    public func strain(_ q: SIMD3<Double>) -> Double {
        2 * Double.pi / (q * q).sum().squareRoot() / d0 - 1
    }

    /// (tilt_x, tilt_y) of `q`, radians.
    public func tilts(_ q: SIMD3<Double>) -> (x: Double, y: Double) {
        let along = (q * n0).sum()
        return (atan2((q * ea).sum(), along), atan2((q * eb).sum(), along))
    }

    /// The measurement errors (1σ, radians) of (tilt_x, tilt_y) at a position: the Poisson
    /// error of its intensity-weighted centroid, √(eᵀΣe / N) / |q̄| with Σ the cloud covariance
    /// and N the counts (each count is one independent sample of the peak). NaN when nothing
    /// diffracted.
    public func tiltSigmas(_ f: NanodiffFeatures) -> (x: Double, y: Double) {
        guard f.isValid, f.covariance.count == 6 else { return (.nan, .nan) }
        let c = f.covariance
        func variance(_ e: SIMD3<Double>) -> Double {
            e.x * e.x * c[0] + 2 * e.x * e.y * c[1] + 2 * e.x * e.z * c[2] + e.y * e.y * c[3] + 2 * e.y * e.z * c[4] + e.z * e.z * c[5]
        }
        let q = (f.q * f.q).sum().squareRoot()
        return ((max(0, variance(ea)) / f.intensity).squareRoot() / q, (max(0, variance(eb)) / f.intensity).squareRoot() / q)
    }
}
