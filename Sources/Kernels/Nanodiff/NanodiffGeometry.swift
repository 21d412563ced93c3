import Foundation

/// The diffraction geometry of a scanning nanodiffraction rocking scan: where each detector
/// pixel sits and which scattering vector q it records at each rocking offset.
///
/// Lab frame: the incident beam along +z, x horizontal, y vertical (detector rows). The
/// detector arm is rotated by 2θ about y, so the pixel at (`centerX`, `centerY`) lies at 2θ in
/// the x–z plane; detector columns run along the arm's horizontal axis, rows along +y. The
/// sample is rocked by Δω (radians, offset from the nominal Bragg angle) about `rockingAxis`;
/// q is expressed in the sample frame at Δω = 0: q = R_axis(−Δω)·(k_f − k_i), so the Bragg peak
/// of an unstrained, untilted crystal is the same q at every angle. Units: Å⁻¹.
public struct NanodiffGeometry: Sendable, Equatable, Codable {
    /// Rotation axis of the rocking motion.
    public enum Axis: String, Sendable, Codable, CaseIterable { case x, y }

    /// Photon energy, keV.
    public var energyKeV: Double
    /// Sample-to-detector distance, m.
    public var distanceM: Double
    /// Detector pixel size, µm.
    public var pixelUm: Double
    /// Detector arm angle 2θ, degrees.
    public var twoThetaDeg: Double
    /// Pixel (column, row) hit by the ray at 2θ; origin the centre of pixel (0, 0).
    public var centerX: Double
    public var centerY: Double
    public var rockingAxis: Axis

    public init(energyKeV: Double, distanceM: Double, pixelUm: Double, twoThetaDeg: Double,
                centerX: Double, centerY: Double, rockingAxis: Axis = .y) {
        self.energyKeV = energyKeV
        self.distanceM = distanceM
        self.pixelUm = pixelUm
        self.twoThetaDeg = twoThetaDeg
        self.centerX = centerX
        self.centerY = centerY
        self.rockingAxis = rockingAxis
    }

    /// λ = hc / E, Å.
    public var wavelength: Double { 12.398_419_843_320_026 / energyKeV }
    /// |k| = 2π / λ, Å⁻¹.
    public var wavenumber: Double { 2 * Double.pi / wavelength }
    /// The incident wave vector.
    public var incident: SIMD3<Double> { SIMD3(0, 0, wavenumber) }

    /// The scattered wave vector towards pixel (`u` column, `v` row).
    public func scattered(u: Double, v: Double) -> SIMD3<Double> {
        let t = twoThetaDeg * .pi / 180
        let d = distanceM * 1e6 / pixelUm  // distance in pixels
        let du = u - centerX, dv = v - centerY
        // Arm direction (sin 2θ, 0, cos 2θ); its horizontal axis (cos 2θ, 0, −sin 2θ); rows along y.
        let p = SIMD3(d * sin(t) + du * cos(t), dv, d * cos(t) - du * sin(t))
        return p * (wavenumber / (p * p).sum().squareRoot())
    }

    /// R_axis(angle) applied to `v` (right-handed rotation by `angle` radians).
    public func rotate(_ v: SIMD3<Double>, by angle: Double) -> SIMD3<Double> {
        let c = cos(angle), s = sin(angle)
        switch rockingAxis {
        case .y: return SIMD3(c * v.x + s * v.z, v.y, -s * v.x + c * v.z)
        case .x: return SIMD3(v.x, c * v.y - s * v.z, s * v.y + c * v.z)
        }
    }

    /// q of pixel (`u`, `v`) at rocking offset `omega` (radians), sample frame.
    public func q(u: Double, v: Double, omega: Double) -> SIMD3<Double> {
        rotate(scattered(u: u, v: v) - incident, by: -omega)
    }

    /// The nominal Bragg vector: q of the centre pixel at Δω = 0.
    public var nominalQ: SIMD3<Double> { q(u: centerX, v: centerY, omega: 0) }

    /// ∂q/∂u and ∂q/∂v at (`u`, `v`, `omega`) (central differences; q is smooth on the pixel scale).
    public func jacobian(u: Double, v: Double, omega: Double) -> (du: SIMD3<Double>, dv: SIMD3<Double>) {
        let du = (q(u: u + 0.5, v: v, omega: omega) - q(u: u - 0.5, v: v, omega: omega))
        let dv = (q(u: u, v: v + 0.5, omega: omega) - q(u: u, v: v - 0.5, omega: omega))
        return (du, dv)
    }

    /// A problem with the numbers, or nil: what a job checks before reading data.
    public var problem: String? {
        if !(energyKeV > 0.1 && energyKeV < 1000) { return "energy_kev=\(energyKeV) is outside 0.1…1000 keV" }
        if !(distanceM > 1e-3 && distanceM < 100) { return "distance_m=\(distanceM) is outside 0.001…100 m" }
        if !(pixelUm > 0.1 && pixelUm < 10_000) { return "pixel_um=\(pixelUm) is outside 0.1…10000 µm" }
        if !(twoThetaDeg > 0.1 && twoThetaDeg < 179) { return "two_theta_deg=\(twoThetaDeg) is outside 0.1…179°" }
        if !centerX.isFinite || !centerY.isFinite { return "the detector centre is not finite" }
        return nil
    }
}
