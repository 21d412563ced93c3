#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The nuisance ranges of a randomised synthetic BCDI draw. Every draw takes each value
/// uniformly from its range, so a figure over many draws is a distribution over the range,
/// not a statement about one tuned volume.
public struct BCDIRandomRanges: Hashable, Sendable {
    /// Complex noise σ relative to the maximum amplitude.
    public var noise: ClosedRange<Double> = 0...0.30
    /// Resolution blur σ, voxels.
    public var blur: ClosedRange<Double> = 0.5...2.0
    /// Magnitude of the residual phase ramp, rad/voxel (direction uniform on the sphere).
    public var ramp: ClosedRange<Double> = 0...0.15
    /// Probability that the reconstruction's support is wrong (dilated, eroded or absent).
    public var supportErrorProbability: Double = 0.6

    public init() {}

    /// Named conditions of issue 12: one nuisance pinned at its hard value, the others drawn
    /// from moderate ranges. `random` draws everything from the full ranges.
    public static func preset(_ name: String) -> BCDIRandomRanges? {
        var r = BCDIRandomRanges()
        switch name {
        case "random": return r
        case "noise":
            r.noise = 0.30...0.30
            r.blur = 0.5...1.2
            r.ramp = 0...0.05
        case "ramp-blur":
            r.noise = 0...0.10
            r.blur = 1.5...1.5
            r.ramp = 0.15...0.15
        case "blur":
            r.noise = 0...0.10
            r.blur = 2.0...2.0
            r.ramp = 0...0.05
        case "clean":
            r.noise = 0...0.03
            r.blur = 0.5...1.0
            r.ramp = 0...0.02
            r.supportErrorProbability = 0
        default: return nil
        }
        return r
    }

    /// The names `preset` knows.
    public static let presetNames = ["random", "noise", "ramp-blur", "blur", "clean"]
}

/// How the support handed to the finder differs from the true crystal.
public enum BCDISupportError: Hashable, Sendable, CustomStringConvertible {
    /// The true crystal (a perfect PyNX support).
    case exact
    /// Grown by `voxels` (a loose support: noise-only voxels outside the crystal are unmasked).
    case dilated(Int)
    /// Shrunk by `voxels` (a tight support: the surface layer is lost).
    case eroded(Int)
    /// No support stored: the finder thresholds the amplitude.
    case absent

    public var description: String {
        switch self {
        case .exact: return "exact"
        case let .dilated(k): return "dilated \(k)"
        case let .eroded(k): return "eroded \(k)"
        case .absent: return "absent"
        }
    }

    /// The support a reconstruction with this error would store (nil for `absent`).
    public func apply(to support: [UInt8], shape: BCDIShape) -> [UInt8]? {
        switch self {
        case .exact: return support
        case .absent: return nil
        case let .dilated(k): return BCDISupport.dilate(support, shape: shape, radius: k)
        case let .eroded(k): return BCDISupport.erode(support, shape: shape, radius: k)
        }
    }
}

/// One randomised synthetic reconstruction: its spec and the support error applied to it.
public struct BCDIRandomDraw: Sendable {
    public var spec: BCDISyntheticSpec
    public var supportError: BCDISupportError
    /// The kinds of line drawn (`screw`, `edge`, `mixed`, `curved`, `loop`, `pair`).
    public var lineKinds: [String]

    /// One line of text with the draw's nuisances.
    public var summary: String {
        let s = spec
        return String(
            format: "%@ blur %.2f noise %.3f ramp %.3f core dip %.2f width %.2f support %@ lines %@",
            "\(s.shape)", s.blurSigma, s.noise, BCDIVec.length(s.ramp), s.coreDip, s.coreWidth,
            supportError.description, lineKinds.joined(separator: ","))
    }
}

/// Randomised synthetic crystals (issue 12): crystal size, shape and facets, the number and
/// kind of lines (screw, edge, mixed and curved lines, loops, close pairs), their Burgers
/// vectors and positions, noise, blur, phase ramp, core dip, amplitude inhomogeneity and
/// support errors are all drawn from `BCDIRandomRanges`.
public enum BCDIRandomCrystal {
    /// The draw of `seed` under `ranges`.
    public static func draw(seed: UInt64, ranges: BCDIRandomRanges = BCDIRandomRanges()) -> BCDIRandomDraw {
        var rng = SeededRandom(seed: seed)
        let n = SIMD3(Int(rng.uniform(48...72)), Int(rng.uniform(48...72)), Int(rng.uniform(40...64)))
        let shape = BCDIShape(nz: n.z, ny: n.y, nx: n.x)
        let half = Double(min(n.x, n.y, n.z)) / 2
        let radius = half * rng.uniform(0.62...0.8)
        let crystal = randomCrystal(radius: radius, rng: &rng)
        let center = SIMD3(Double(n.x - 1), Double(n.y - 1), Double(n.z - 1)) / 2 + unitVector(&rng) * rng.uniform(0...1.5)
        let q = unitVector(&rng) * 40
        var lines: [BCDIDislocation] = []
        var kinds: [String] = []
        var occupied: [[SIMD3<Double>]] = []
        let wanted = Int(rng.uniform(1...4.999))
        var attempts = 0
        while kinds.count < wanted && attempts < 60 {
            attempts += 1
            let (kind, candidates) = randomLines(center: center, radius: radius, q: q, rng: &rng)
            // Keep distinct lines at least 3 voxels apart inside the crystal (closer ones
            // only as a deliberate pair): unrelated lines that touch are not the question here.
            let samples = candidates.map { inCrystal($0.samples(step: 1, extent: 4 * radius), crystal: crystal, center: center) }
            guard samples.allSatisfy({ $0.count >= 4 }),
                  samples.allSatisfy({ s in occupied.allSatisfy { minimumDistance(s, $0) >= 3 } }) else { continue }
            lines += candidates
            occupied += samples
            kinds.append(kind)
        }
        var spec = BCDISyntheticSpec(
            shape: shape, crystal: crystal, center: center, dislocations: lines, bragg: q,
            poisson: rng.uniform(0.2...0.4), blurSigma: rng.uniform(ranges.blur), noise: rng.uniform(ranges.noise),
            ramp: unitVector(&rng) * rng.uniform(ranges.ramp), coreDip: rng.uniform(0.6...0.95),
            coreWidth: rng.uniform(0.7...1.5), seed: rng.next())
        spec.amplitudeGradient = unitVector(&rng) * (rng.uniform(0...0.3) / radius)
        var error = BCDISupportError.exact
        if rng.unit() < ranges.supportErrorProbability {
            let k = rng.unit()
            error = k < 0.35 ? .dilated(Int(rng.uniform(1...2.999))) : k < 0.6 ? .eroded(1) : .absent
        }
        return BCDIRandomDraw(spec: spec, supportError: error, lineKinds: kinds)
    }

    /// An ellipsoid (semi-axes within ±15 % of `radius`) cut by 0–14 random facets at 75–100 %
    /// of the radius.
    static func randomCrystal(radius: Double, rng: inout SeededRandom) -> BCDICrystalShape {
        let radii = SIMD3(rng.uniform(0.85...1.15), rng.uniform(0.85...1.15), rng.uniform(0.85...1.0)) * radius
        let count = Int(rng.uniform(0...14.999))
        let facets = (0..<count).map { _ -> SIMD4<Double> in
            let nrm = unitVector(&rng)
            return SIMD4(nrm.x, nrm.y, nrm.z, radius * rng.uniform(0.75...1.0))
        }
        return .polyhedron(radii: radii, facets: facets)
    }

    /// One random line, or two for a close pair, with Burgers vectors such that Q·b = ±2π
    /// and b within 60° of ±Q (|Q|·|b| ≤ 4π, as for low-index reflections).
    static func randomLines(center: SIMD3<Double>, radius: Double, q: SIMD3<Double>, rng: inout SeededRandom) -> (String, [BCDIDislocation]) {
        let qh = BCDIVec.normalized(q)
        func burgers() -> SIMD3<Double> {
            var b = qh
            while true {
                b = unitVector(&rng)
                if abs(BCDIVec.dot(b, qh)) >= 0.5 { break }
            }
            let sign: Double = rng.unit() < 0.5 ? -1 : 1
            return b * (sign * 2 * Double.pi / BCDIVec.dot(q, b))
        }
        let point = center + unitVector(&rng) * (radius * rng.uniform(0...0.6))
        let u = rng.unit()
        if u < 0.5 {
            let b = burgers()
            let bh = BCDIVec.normalized(b)
            let v = rng.unit()
            let kind = v < 0.3 ? "screw" : v < 0.6 ? "edge" : "mixed"
            var t = kind == "screw" ? bh : kind == "edge" ? perpendicular(to: bh, rng: &rng) : unitVector(&rng)
            if kind == "screw" { t = BCDIVec.normalized(t + unitVector(&rng) * 0.05) }
            return (kind, [BCDIDislocation(.straight(point: point, direction: t), burgers: b)])
        } else if u < 0.65 {
            // A bowed line: a parabola through the crystal, ends far outside.
            let t = unitVector(&rng), bow = perpendicular(to: t, rng: &rng)
            let curvature = rng.uniform(0.2...1.0) / radius
            let pts = (-30...30).map { k -> SIMD3<Double> in
                let s = Double(k) / 30 * 3 * radius
                return point + t * s + bow * (curvature * s * s / 2)
            }
            return ("curved", [BCDIDislocation(.polyline(pts, closed: false), burgers: burgers())])
        } else if u < 0.85 {
            let normal = unitVector(&rng)
            let a = perpendicular(to: normal, rng: &rng), c = BCDIVec.cross(normal, a)
            let r = rng.uniform(4...max(4.5, 0.45 * radius)), e = rng.uniform(0.7...1.0)
            let loopCentre = center + unitVector(&rng) * (radius * rng.uniform(0...0.4))
            let count = 32
            let pts = (0..<count).map { k -> SIMD3<Double> in
                let phi = 2 * Double.pi * Double(k) / Double(count)
                return loopCentre + a * (r * cos(phi)) + c * (r * e * sin(phi))
            }
            return ("loop", [BCDIDislocation(.polyline(pts, closed: true), burgers: burgers())])
        } else {
            // A close pair: two parallel lines 3.5–7 voxels apart, as a dipole (opposite
            // Burgers vectors) or two like lines of a pile-up.
            let t = unitVector(&rng), offset = perpendicular(to: t, rng: &rng) * rng.uniform(3.5...7)
            let b = burgers()
            let dipole = rng.unit() < 0.5
            return (dipole ? "pair(dipole)" : "pair(like)", [
                BCDIDislocation(.straight(point: point - offset / 2, direction: t), burgers: b),
                BCDIDislocation(.straight(point: point + offset / 2, direction: t), burgers: dipole ? -b : b),
            ])
        }
    }

    static func unitVector(_ rng: inout SeededRandom) -> SIMD3<Double> {
        while true {
            let v = SIMD3(rng.uniform(-1...1), rng.uniform(-1...1), rng.uniform(-1...1))
            let l = BCDIVec.length(v)
            if l > 0.05 && l <= 1 { return v / l }
        }
    }

    static func perpendicular(to t: SIMD3<Double>, rng: inout SeededRandom) -> SIMD3<Double> {
        while true {
            let v = unitVector(&rng)
            let p = v - t * BCDIVec.dot(v, t)
            if BCDIVec.length(p) > 0.2 { return BCDIVec.normalized(p) }
        }
    }

    static func inCrystal(_ points: [SIMD3<Double>], crystal: BCDICrystalShape, center: SIMD3<Double>) -> [SIMD3<Double>] {
        points.filter { crystal.contains($0 - center) }
    }

    static func minimumDistance(_ a: [SIMD3<Double>], _ b: [SIMD3<Double>]) -> Double {
        var best = Double.infinity
        for p in a {
            for q in b { best = min(best, BCDIVec.length(p - q)) }
        }
        return best
    }
}
