#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Radial distribution function g(r) of 3D points in a box, with edge correction.
///
/// ĝ(r) = V² / (N(N−1)) · #{ordered pairs with |xᵢ − xⱼ| in the shell} / (shell volume · γ̄(r)),
/// where γ̄(r) is the isotropised set covariance of the box — the mean, over directions u,
/// of the volume of box ∩ (box + r·u), i.e. ∏(Lᵢ − r|uᵢ|)₊ — computed by quadrature over
/// the sphere, so the correction is exact for thin slabs and r beyond the slab thickness.
public enum STEM4DRadialDistribution {
    /// One g(r) sample at the shell's mid radius.
    public struct Bin: Sendable, Hashable, Codable {
        public var r: Double
        public var g: Double
    }

    /// g(r) of `points` ([x, y, z]) in the box `lo`…`hi` (per axis), bins of `binWidth` up to `rMax`.
    public static func compute(points: [[Double]], lo: [Double], hi: [Double], rMax: Double, binWidth: Double) -> [Bin] {
        let L = (0..<3).map { hi[$0] - lo[$0] }
        let V = L[0] * L[1] * L[2]
        let nb = max(1, Int((rMax / binWidth).rounded(.up)))
        var counts = [Double](repeating: 0, count: nb)
        let n = points.count
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) {
                let dx = points[i][0] - points[j][0], dy = points[i][1] - points[j][1], dz = points[i][2] - points[j][2]
                let d = (dx * dx + dy * dy + dz * dz).squareRoot()
                let b = Int(d / binWidth)
                if b < nb { counts[b] += 2 }
            }
        }
        guard n > 1, V > 0 else { return (0..<nb).map { Bin(r: (Double($0) + 0.5) * binWidth, g: 0) } }
        let dirs = sphereDirections(2000)
        return (0..<nb).map { b in
            let r0 = Double(b) * binWidth, r1 = r0 + binWidth, rm = (r0 + r1) / 2
            let shell = 4.0 / 3.0 * .pi * (r1 * r1 * r1 - r0 * r0 * r0)
            let gamma = dirs.reduce(0.0) { acc, u in
                acc + max(0, L[0] - rm * abs(u.0)) * max(0, L[1] - rm * abs(u.1)) * max(0, L[2] - rm * abs(u.2))
            } / Double(dirs.count)
            let g = gamma > 0 ? V * V / (Double(n) * Double(n - 1)) * counts[b] / (shell * gamma) : 0
            return Bin(r: rm, g: g)
        }
    }

    /// Isotropised set covariance γ̄(r) of a box with edges `L` (exposed for tests).
    public static func setCovariance(edges L: [Double], r: Double) -> Double {
        let dirs = sphereDirections(2000)
        return dirs.reduce(0.0) { acc, u in
            acc + max(0, L[0] - r * abs(u.0)) * max(0, L[1] - r * abs(u.1)) * max(0, L[2] - r * abs(u.2))
        } / Double(dirs.count)
    }

    /// Quasi-uniform unit vectors (Fibonacci sphere).
    static func sphereDirections(_ n: Int) -> [(Double, Double, Double)] {
        let golden = Double.pi * (3 - 5.0.squareRoot())
        return (0..<n).map { i in
            let z = 1 - (Double(i) + 0.5) * 2 / Double(n)
            let rr = (1 - z * z).squareRoot()
            let a = golden * Double(i)
            return (rr * cos(a), rr * sin(a), z)
        }
    }
}
