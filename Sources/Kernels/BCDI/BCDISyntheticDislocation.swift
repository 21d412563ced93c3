#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One dislocation of a synthetic crystal and its phase field Q·u.
///
/// Straight lines use the isotropic-elasticity displacement of a mixed line (screw part
/// (b/2π)θ along the line; edge part with the Hirth–Lothe θ, sin 2θ and ln r terms).
/// Curved lines and loops use the Burgers solid-angle term u = b·Ω/4π alone, which carries
/// the exact topology (the phase winds by Q·b around the line) but not the full elastic field.
/// Open curves are closed far outside the crystal so that Ω is defined.
public struct BCDIDislocation: Hashable, Sendable {
    /// Where the line runs.
    public enum Geometry: Hashable, Sendable {
        /// An infinite straight line through `point` along `direction`.
        case straight(point: SIMD3<Double>, direction: SIMD3<Double>)
        /// A polyline `[x, y, z]`; when not closed, its ends should lie outside the crystal.
        case polyline([SIMD3<Double>], closed: Bool)
    }

    public var geometry: Geometry
    /// Burgers vector in voxels (tiny in practice: what matters is Q·b, normally ±2π).
    public var burgers: SIMD3<Double>

    public init(_ geometry: Geometry, burgers: SIMD3<Double>) {
        self.geometry = geometry
        self.burgers = burgers
    }

    /// The same line moved by `offset`.
    public func translated(by offset: SIMD3<Double>) -> BCDIDislocation {
        switch geometry {
        case let .straight(p, d): return BCDIDislocation(.straight(point: p + offset, direction: d), burgers: burgers)
        case let .polyline(pts, closed): return BCDIDislocation(.polyline(pts.map { $0 + offset }, closed: closed), burgers: burgers)
        }
    }

    /// Points of the line at spacing ≤ `step`, with the far-away closure excluded
    /// (straight lines are sampled over ±`extent` about their point).
    public func samples(step: Double, extent: Double) -> [SIMD3<Double>] {
        switch geometry {
        case let .straight(p, d):
            let t = BCDIVec.normalized(d)
            let n = Int((2 * extent / step).rounded(.up))
            return (0...n).map { p + t * (-extent + Double($0) * step) }
        case let .polyline(pts, closed):
            var out: [SIMD3<Double>] = []
            let m = closed ? pts.count : pts.count - 1
            for i in 0..<max(0, m) {
                let a = pts[i], b = pts[(i + 1) % pts.count]
                let n = max(1, Int((BCDIVec.length(b - a) / step).rounded(.up)))
                for k in 0..<n { out.append(a + (b - a) * (Double(k) / Double(n))) }
            }
            if !closed, let last = pts.last { out.append(last) }
            return out
        }
    }

    /// The closed polygon used for the solid angle: the polyline itself, or for an open one,
    /// the polyline plus a detour through `center + R·(direction)` far outside.
    func closedPolygon(center: SIMD3<Double>, farRadius r: Double) -> [SIMD3<Double>] {
        guard case let .polyline(pts, closed) = geometry else { return [] }
        if closed || pts.count < 2 { return pts }
        let a = BCDIVec.normalized(pts[0] - center), b = BCDIVec.normalized(pts[pts.count - 1] - center)
        var out = pts
        // From the last point out to the far sphere, along it back towards the first, and in.
        for k in 0...8 {
            let s = Double(k) / 8
            var d = b * (1 - s) + a * s
            if BCDIVec.length(d) < 1e-6 { d = SIMD3(a.y - a.z, a.z - a.x, a.x - a.y) }
            out.append(center + BCDIVec.normalized(d) * r)
        }
        return out
    }

    /// Phase Q·u at `x`.
    func phase(at x: SIMD3<Double>, bragg q: SIMD3<Double>, poisson nu: Double, polygon: [SIMD3<Double>]) -> Double {
        switch geometry {
        case let .straight(p, d):
            let t = BCDIVec.normalized(d)
            let bs = t * BCDIVec.dot(burgers, t), be = burgers - bs
            var e1 = BCDIVec.length(be) > 1e-12 ? BCDIVec.normalized(be) : BCDIVec.anyPerpendicular(t)
            e1 = BCDIVec.normalized(e1 - t * BCDIVec.dot(e1, t))
            let e2 = BCDIVec.cross(t, e1)
            let r = x - p
            let u = BCDIVec.dot(r, e1), v = BCDIVec.dot(r, e2)
            let theta = atan2(v, u)
            let r2 = max(u * u + v * v, 1e-12)
            var disp = bs * (theta / (2 * Double.pi))
            let b = BCDIVec.length(be)
            if b > 0 {
                let k = 1 / (4 * (1 - nu))
                let c2 = (u * u - v * v) / r2, s2 = 2 * u * v / r2
                let scale: Double = b / (2 * Double.pi)
                let along: Double = theta + k * s2
                let normal: Double = (1 - 2 * nu) * k * log(r2) + k * c2
                disp += e1 * (scale * along)
                disp -= e2 * (scale * normal)
            }
            return BCDIVec.dot(q, disp)
        case .polyline:
            return BCDIVec.dot(q, burgers) * BCDIDislocation.solidAngle(of: polygon, from: x) / (4 * Double.pi)
        }
    }
}

extension BCDIDislocation {
    /// Signed solid angle of a closed polygon seen from `x` (fan of Van Oosterom–Strackee
    /// triangles from the first vertex; correct modulo 4π, which the phase does not see).
    /// A right-handed circuit about the polygon's direction increases it by 4π.
    static func solidAngle(of poly: [SIMD3<Double>], from x: SIMD3<Double>) -> Double {
        guard poly.count >= 3 else { return 0 }
        let a = poly[0] - x
        let la = BCDIVec.length(a)
        var total = 0.0
        for i in 1..<(poly.count - 1) {
            let b = poly[i] - x, c = poly[i + 1] - x
            let lb = BCDIVec.length(b), lc = BCDIVec.length(c)
            let num = BCDIVec.dot(a, BCDIVec.cross(b, c))
            let den = la * lb * lc + BCDIVec.dot(a, b) * lc + BCDIVec.dot(a, c) * lb + BCDIVec.dot(b, c) * la
            total += 2 * atan2(num, den)
        }
        return total
    }
}

/// Small 3-vector helpers (namespaced so they cannot clash with other kernels).
enum BCDIVec {
    @inline(__always) static func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
    @inline(__always) static func length(_ a: SIMD3<Double>) -> Double { BCDIVec.dot(a, a).squareRoot() }
    @inline(__always) static func normalized(_ a: SIMD3<Double>) -> SIMD3<Double> {
        let l = BCDIVec.length(a)
        return l > 0 ? a / l : a
    }
    @inline(__always) static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }
    static func anyPerpendicular(_ t: SIMD3<Double>) -> SIMD3<Double> {
        let trial: SIMD3<Double> = abs(t.x) < 0.9 ? SIMD3(1, 0, 0) : SIMD3(0, 1, 0)
        return BCDIVec.normalized(BCDIVec.cross(t, BCDIVec.cross(trial, t)))
    }
}
