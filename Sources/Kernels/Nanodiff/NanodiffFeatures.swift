import Foundation

/// What one scan position's 3D diffraction signal says about the lattice under the beam, from
/// its per-angle frame moments mapped into reciprocal space.
///
/// Each frame's weighted centroid (ū, v̄) is mapped exactly to q; the frame's pixel covariance
/// is carried through the local Jacobian of the mapping. Between frames, the centroids'
/// scatter adds the rocking direction. q̄ is the intensity-weighted mean, Σ the covariance of
/// the cloud; d = 2π/|q̄|.
public struct NanodiffFeatures: Sendable, Equatable, Codable {
    /// Σ of background-subtracted counts above threshold.
    public var intensity = 0.0
    /// Voxels (angle × pixel) kept.
    public var voxels = 0
    /// Centroid q̄, Å⁻¹, sample frame (`NanodiffGeometry`).
    public var q = SIMD3<Double>.zero
    /// Cloud covariance [xx, xy, xz, yy, yz, zz], Å⁻².
    public var covariance = [Double](repeating: 0, count: 6)
    /// Standard deviations along the principal axes, largest first, Å⁻¹ (peak widths).
    public var widths = SIMD3<Double>.zero
    /// Principal axis of the largest width.
    public var axis = SIMD3<Double>.zero
    /// Eigenvalue shape descriptors of the cloud: (λ1−λ2)/λ1, (λ2−λ3)/λ1, λ3/λ1.
    public var linearity = 0.0, planarity = 0.0, sphericity = 0.0
    /// Rocking curve (intensity against angle): centre and standard deviation (degrees),
    /// skewness and excess kurtosis (a split peak has negative kurtosis).
    public var rockingCentreDeg = 0.0, rockingWidthDeg = 0.0, rockingSkew = 0.0, rockingKurtosis = 0.0

    public init() {}

    /// Lattice spacing 2π/|q̄|, Å (0 when nothing diffracted).
    public var dSpacing: Double {
        let m = (q * q).sum().squareRoot()
        return m > 0 ? 2 * Double.pi / m : 0
    }

    /// Whether the position diffracted at all.
    public var isValid: Bool { intensity > 0 && (q * q).sum() > 0 }

    /// Features from the frames of one position: `frames[k]` at rocking offset `anglesDeg[k]`.
    public static func compute(frames: [NanodiffFrameMoments], anglesDeg: [Double], geometry: NanodiffGeometry) -> NanodiffFeatures {
        var f = NanodiffFeatures()
        var perAngle: [(w: Double, q: SIMD3<Double>, c: [Double], deg: Double)] = []
        for (k, m) in frames.enumerated() {
            guard let (u, v) = m.centroid, m.w > 0 else { continue }
            let omega = anglesDeg[k] * .pi / 180
            let q = geometry.q(u: u, v: v, omega: omega)
            let (ju, jv) = geometry.jacobian(u: u, v: v, omega: omega)
            let cov = m.covariance  // uu, uv, vv
            var c = [Double](repeating: 0, count: 6)
            let idx = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
            for (n, (i, j)) in idx.enumerated() {
                c[n] = ju[i] * ju[j] * cov.x + (ju[i] * jv[j] + jv[i] * ju[j]) * cov.y + jv[i] * jv[j] * cov.z
            }
            perAngle.append((m.w, q, c, anglesDeg[k]))
            f.voxels += m.count
        }
        let total = perAngle.reduce(0) { $0 + $1.w }
        guard total > 0 else { return f }
        f.intensity = total
        f.q = perAngle.reduce(SIMD3<Double>.zero) { $0 + $1.q * $1.w } / total
        var cov = [Double](repeating: 0, count: 6)
        let idx = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
        for a in perAngle {
            let d = a.q - f.q
            for (n, (i, j)) in idx.enumerated() { cov[n] += a.w * (a.c[n] + d[i] * d[j]) }
        }
        f.covariance = cov.map { $0 / total }
        let m = f.covariance
        let (values, vectors) = NanodiffSymmetricEigen.decompose([m[0], m[1], m[2], m[1], m[3], m[4], m[2], m[4], m[5]], n: 3)
        let l = values.map { max(0, $0) }
        f.widths = SIMD3(l[0].squareRoot(), l[1].squareRoot(), l[2].squareRoot())
        f.axis = SIMD3(vectors[0][0], vectors[0][1], vectors[0][2])
        if l[0] > 0 {
            f.linearity = (l[0] - l[1]) / l[0]
            f.planarity = (l[1] - l[2]) / l[0]
            f.sphericity = l[2] / l[0]
        }
        let centre = perAngle.reduce(0) { $0 + $1.w * $1.deg } / total
        let variance = perAngle.reduce(0) { $0 + $1.w * ($1.deg - centre) * ($1.deg - centre) } / total
        f.rockingCentreDeg = centre
        f.rockingWidthDeg = variance.squareRoot()
        if variance > 0 {
            let m3 = perAngle.reduce(0) { $0 + $1.w * pow($1.deg - centre, 3) } / total
            let m4 = perAngle.reduce(0) { $0 + $1.w * pow($1.deg - centre, 4) } / total
            f.rockingSkew = m3 / pow(variance, 1.5)
            f.rockingKurtosis = m4 / (variance * variance) - 3
        }
        return f
    }
}
