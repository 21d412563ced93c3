#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension STEM4DParticleModelFit {
    /// The detection threshold (standard deviations of the measured noise) at which the joint
    /// fit's residual search over the whole cube expects `falseAlarms` spurious spheres from
    /// noise alone: Φ⁻¹(1 − falseAlarms / N), N the number of independent trials of the search
    /// (`searchResidual`): per radius tried, the LoG at σ_L = √(3/8)·r is correlated over about
    /// 2σ_L in x and y and in the views' relative shift (2·tMax·z), so one trial per (2σ_L)² of the
    /// scan times one per 2σ_L of relative shift over the depth range; radii count once per half
    /// octave (neighbouring radii's responses are nearly the same). The noise is each view's
    /// own (neighbour differences at the measured dose), so the threshold follows the cube's
    /// size and stereo angle instead of being one level for every cube: ≈ 4.7 on a 64² scan at
    /// φ = 8°, lower at small angles (fewer depth cells), higher on large scans.
    public static func lookElsewhereSignificance(rows: Int, cols: Int, views: [View], radiusMin: Double, radiusMax: Double,
                                                 zMin: Double, zMax: Double, falseAlarms: Double = 0.05) -> Double {
        let tMax = views.map { ($0.tx * $0.tx + $0.ty * $0.ty).squareRoot() }.max() ?? 0
        var trials = 0.0
        var r = radiusMin
        while r <= radiusMax + 1e-9 {
            let cell = 2 * r * (3.0 / 8).squareRoot()
            let positions = Double(rows * cols) / (cell * cell)
            let depths = max(1, (zMax - zMin) * 2 * tMax / cell)
            trials += positions * depths
            r *= 2.0.squareRoot()
        }
        guard trials > 1 else { return 0 }
        return NanodiffStatistics.normalQuantile(1 - falseAlarms / trials)
    }
}
