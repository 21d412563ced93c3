#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A closed traced line moved back out, as a whole, by what the blur left in the field pulled
/// it in (`BCDILineSmoothing.residueNoiseBlurLoop`; issue 12, seventeenth session).
///
/// `BCDILineSmoothing.unshrink` moves each point by the curvature of the circle through its
/// neighbours πσ either side. On a traced loop that curvature varies with the line's own
/// waviness, so the inverse flow pushes convex stretches out and concave ones in: the points
/// spread about the truth (`ramp-blur` 301 draw 14: beyond 1.5 voxels 0.23 → 0.53 of an
/// eighth). Here the loop's radius R' is taken from the area it encloses in its own plane — a
/// wiggle of the traced line hardly changes it — and every point is moved out from the
/// centroid in that plane by the one shift √(R'² + kσ²) − R', k = 1 + ln(8R'/σ) (the rate of
/// `unshrink`), so the loop keeps its traced shape. A closed line that is not a loop's round
/// (or elliptical) shape — two lines of a dipole joined at the surface — is left as it is: its
/// radii about the fitted ellipse scatter by more than its noise allows, measured across its
/// plane (`roundness`).
public enum BCDILoopUnshrink {
    /// A closed line's plane: the centroid of its points, the unit normal along its vector area
    /// Σ (p_i − c) × (p_{i+1} − c) / 2, and the area enclosed in that plane.
    public struct Frame: Equatable, Sendable {
        public var centroid: SIMD3<Double>
        public var normal: SIMD3<Double>
        public var area: Double
    }

    /// A closed line's radial scatter about its best ellipse against its scatter across its
    /// plane, with the upper 0.1 % point of that ratio for a round loop (`roundness`).
    public struct Roundness: Equatable, Sendable {
        /// Variance of the in-plane radii about the fitted ellipse (per degree of freedom).
        public var radial: Double
        /// Variance of the offsets from the plane (per degree of freedom).
        public var across: Double
        /// The points' correlation length along the line (integrated autocorrelation time of
        /// the offsets from the plane, in points).
        public var correlation: Double
        /// The upper 0.1 % point of F on the two variances' effective degrees of freedom.
        public var limit: Double
        /// Whether the radial scatter is within what the line's noise allows: radial / across
        /// at most `limit`, so a round loop is left uncorrected once in a thousand.
        public var isRound: Bool { across > 0 && radial <= limit * across }
    }

    /// The plane of the closed line through `points` (nil when it encloses no area).
    public static func frame(_ points: [SIMD3<Double>]) -> Frame? {
        let n = points.count
        guard n >= 3 else { return nil }
        let c = points.reduce(SIMD3<Double>.zero, +) / Double(n)
        var vector = SIMD3<Double>.zero
        for i in 0..<n { vector += BCDIVec.cross(points[i] - c, points[(i + 1) % n] - c) }
        let twice = BCDIVec.length(vector)
        guard twice > 0 else { return nil }
        return Frame(centroid: c, normal: vector / twice, area: twice / 2)
    }

    /// The radius, in-plane unit direction and azimuth of `p` about `frame`'s centroid.
    static func polar(_ p: SIMD3<Double>, in frame: Frame, axis: SIMD3<Double>) -> (r: Double, direction: SIMD3<Double>, phi: Double)? {
        let w = p - frame.centroid
        let inPlane = w - frame.normal * BCDIVec.dot(w, frame.normal)
        let r = BCDIVec.length(inPlane)
        guard r > 0 else { return nil }
        let other = BCDIVec.cross(frame.normal, axis)
        return (r, inPlane / r, atan2(BCDIVec.dot(inPlane, other), BCDIVec.dot(inPlane, axis)))
    }

    /// How far the closed line through `points` lies from a round or elliptical loop in
    /// `frame`. Its noise moves each point across the line, as much in the loop's plane as out
    /// of it; so the scatter of its in-plane radii about r(φ) = a₀ + a₁cos φ + b₁sin φ +
    /// a₂cos 2φ + b₂sin 2φ (an ellipse to first order in its eccentricity, and the centroid's
    /// own error) is set against the scatter of its offsets from the plane, by an F test at the
    /// 0.1 % level. Neighbouring points of a smoothed line share their noise: the degrees of
    /// freedom are counted per correlation length, measured from the offsets from the plane.
    /// Two lines of a dipole joined at the surface make a long, thin closed line, flat across
    /// its plane, whose radius jumps from its half-width to its half-length.
    public static func roundness(_ points: [SIMD3<Double>], frame: Frame) -> Roundness {
        let n = points.count
        let axis = BCDIVec.anyPerpendicular(frame.normal)
        var ata = [Double](repeating: 0, count: 25), atb = [Double](repeating: 0, count: 5)
        var rows: [(basis: [Double], r: Double)] = []
        var across: [Double] = []
        for p in points {
            across.append(BCDIVec.dot(p - frame.centroid, frame.normal))
            guard let q = polar(p, in: frame, axis: axis) else { continue }
            let basis = [1, cos(q.phi), sin(q.phi), cos(2 * q.phi), sin(2 * q.phi)]
            for i in 0..<5 {
                atb[i] += basis[i] * q.r
                for j in 0..<5 { ata[i * 5 + j] += basis[i] * basis[j] }
            }
            rows.append((basis, q.r))
        }
        guard rows.count > 5, n > 3, let a = solve(ata, atb, size: 5) else {
            return Roundness(radial: .infinity, across: 0, correlation: 1, limit: .infinity)
        }
        let radialSum = rows.reduce(0.0) { sum, row in
            let e = row.r - zip(row.basis, a).reduce(0.0) { $0 + $1.0 * $1.1 }
            return sum + e * e
        }
        let mean = across.reduce(0, +) / Double(n)
        let offsets = across.map { $0 - mean }
        let acrossSum = offsets.reduce(0) { $0 + $1 * $1 }
        let tau = correlationLength(offsets)
        let (nu1, nu2) = (Double(rows.count - 5) / tau, Double(n - 3) / tau)
        return Roundness(radial: radialSum / Double(rows.count - 5), across: acrossSum / Double(n - 3), correlation: tau,
                         limit: fQuantile999(nu1, nu2))
    }

    /// The integrated autocorrelation time 1 + 2Σρ_k of the closed series `x` (mean zero), the
    /// sum stopped at the first lag whose correlation is not positive.
    static func correlationLength(_ x: [Double]) -> Double {
        let n = x.count
        let v = x.reduce(0) { $0 + $1 * $1 }
        guard v > 0 else { return 1 }
        var tau = 1.0
        for k in 1..<max(1, n / 2) {
            var c = 0.0
            for i in 0..<n { c += x[i] * x[(i + k) % n] }
            let rho = c / v
            guard rho > 0 else { break }
            tau += 2 * rho
        }
        return tau
    }

    /// The upper 0.1 % point of F on (`nu1`, `nu2`) degrees of freedom (Paulson's cube-root
    /// normal approximation; infinite where it fails, below about two degrees of freedom).
    public static func fQuantile999(_ nu1: Double, _ nu2: Double) -> Double {
        guard nu1 > 0, nu2 > 0 else { return .infinity }
        let z = 3.090_232
        let (b1, b2) = (2 / (9 * nu1), 2 / (9 * nu2))
        // ((1 − b2)x − (1 − b1))² = z²(b1 + b2x²), x = F^(1/3): the larger root.
        let qa = (1 - b2) * (1 - b2) - z * z * b2
        let qb = -2 * (1 - b1) * (1 - b2)
        let qc = (1 - b1) * (1 - b1) - z * z * b1
        let disc = qb * qb - 4 * qa * qc
        guard qa > 0, disc >= 0 else { return .infinity }
        let x = (-qb + disc.squareRoot()) / (2 * qa)
        return x * x * x
    }

    /// `smoothed` (a closed smoothed line) moved out from its centroid in its plane by the
    /// one shift √(R'² + kσ²) − R', R' = √(area / π), k = 1 + ln(8R'/σ), σ = `blur`; returned as
    /// it is when there is no blur, no enclosed area, or it is not round (`roundness`).
    public static func apply(_ smoothed: [SIMD3<Double>], blur: Double) -> [SIMD3<Double>] {
        guard blur > 0, smoothed.count >= 3, let frame = frame(smoothed) else { return smoothed }
        guard roundness(smoothed, frame: frame).isRound else { return smoothed }
        let radius = (frame.area / Double.pi).squareRoot()
        let s2 = blur * blur
        let rate = 1 + max(0, log(8 * radius / blur))
        let shift = (radius * radius + rate * s2).squareRoot() - radius
        let axis = BCDIVec.anyPerpendicular(frame.normal)
        return smoothed.map { p in
            guard let q = polar(p, in: frame, axis: axis) else { return p }
            return p + q.direction * shift
        }
    }

    /// The solution of the `size`×`size` system `a`·x = `b` (row-major), by elimination with
    /// partial pivoting; nil when singular.
    static func solve(_ a: [Double], _ b: [Double], size n: Int) -> [Double]? {
        var m = a, y = b
        let scale = a.map(abs).max() ?? 0
        guard scale > 0 else { return nil }
        for col in 0..<n {
            guard let pivot = (col..<n).max(by: { abs(m[$0 * n + col]) < abs(m[$1 * n + col]) }),
                  abs(m[pivot * n + col]) > 1e-12 * scale else { return nil }
            if pivot != col {
                for j in 0..<n { m.swapAt(col * n + j, pivot * n + j) }
                y.swapAt(col, pivot)
            }
            for row in (col + 1)..<n {
                let f = m[row * n + col] / m[col * n + col]
                guard f != 0 else { continue }
                for j in col..<n { m[row * n + j] -= f * m[col * n + j] }
                y[row] -= f * y[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = y[row]
            for j in (row + 1)..<n { s -= m[row * n + j] * x[j] }
            x[row] = s / m[row * n + row]
        }
        return x
    }
}
