#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The crystal's outer shape.
public enum BCDICrystalShape: Hashable, Sendable {
    /// A ball of `radius` voxels.
    case sphere(radius: Double)
    /// A truncated octahedron: a cube of half-width `radius` cut by the eight {111} planes
    /// at |x| + |y| + |z| ≤ 1.5·radius.
    case faceted(radius: Double)
    /// An ellipsoid of semi-axes `radii` (along x, y, z) cut by facet planes: each facet
    /// `(n, d)` keeps the half-space n·r ≤ d (n a unit normal, r relative to the centre).
    case polyhedron(radii: SIMD3<Double>, facets: [SIMD4<Double>])

    func contains(_ r: SIMD3<Double>) -> Bool {
        switch self {
        case let .sphere(radius): return BCDIVec.dot(r, r) <= radius * radius
        case let .faceted(radius):
            let a = SIMD3(abs(r.x), abs(r.y), abs(r.z))
            return a.max() <= radius && a.sum() <= 1.5 * radius
        case let .polyhedron(radii, facets):
            let e = r / radii
            guard BCDIVec.dot(e, e) <= 1 else { return false }
            return facets.allSatisfy { BCDIVec.dot(SIMD3($0.x, $0.y, $0.z), r) <= $0.w }
        }
    }

    /// The same shape grown outwards by about `margin` voxels.
    func grown(by margin: Double) -> BCDICrystalShape {
        switch self {
        case let .sphere(r): return .sphere(radius: r + margin)
        case let .faceted(r): return .faceted(radius: r + margin * 1.5)
        case let .polyhedron(radii, facets):
            return .polyhedron(radii: radii + margin, facets: facets.map { SIMD4($0.x, $0.y, $0.z, $0.w + margin) })
        }
    }
}

/// Everything that defines a synthetic BCDI reconstruction; the same spec always gives the
/// same volume.
public struct BCDISyntheticSpec: Hashable, Sendable {
    public var shape: BCDIShape
    public var crystal: BCDICrystalShape
    /// Crystal centre `[x, y, z]`; nil is the array centre.
    public var center: SIMD3<Double>?
    public var dislocations: [BCDIDislocation]
    /// Bragg vector Q in rad per voxel of displacement; phase = Q·u.
    public var bragg: SIMD3<Double>
    public var poisson: Double
    /// Gaussian blur σ in voxels (finite resolution); 0 for none.
    public var blurSigma: Double
    /// Standard deviation of complex Gaussian noise, relative to the maximum amplitude.
    public var noise: Double
    /// Linear phase ramp added, rad/voxel.
    public var ramp: SIMD3<Double>
    /// Relative amplitude dip at a core (0.9 leaves 0.1) and its Gaussian width in voxels.
    public var coreDip: Double
    public var coreWidth: Double
    /// Relative amplitude change per voxel along this direction (a smooth density or
    /// illumination inhomogeneity); zero for a uniform crystal.
    public var amplitudeGradient: SIMD3<Double> = .zero
    public var seed: UInt64

    public init(
        shape: BCDIShape, crystal: BCDICrystalShape, center: SIMD3<Double>? = nil, dislocations: [BCDIDislocation],
        bragg: SIMD3<Double> = SIMD3(0, 0, 40), poisson: Double = 0.3, blurSigma: Double = 0.8, noise: Double = 0.01,
        ramp: SIMD3<Double> = .zero, coreDip: Double = 0.9, coreWidth: Double = 1.0, seed: UInt64 = 1
    ) {
        self.shape = shape
        self.crystal = crystal
        self.center = center
        self.dislocations = dislocations
        self.bragg = bragg
        self.poisson = poisson
        self.blurSigma = blurSigma
        self.noise = noise
        self.ramp = ramp
        self.coreDip = coreDip
        self.coreWidth = coreWidth
        self.seed = seed
    }

    var resolvedCenter: SIMD3<Double> {
        center ?? SIMD3(Double(shape.nx - 1), Double(shape.ny - 1), Double(shape.nz - 1)) / 2
    }
}

/// A synthetic reconstruction with its ground truth.
public struct BCDISyntheticVolume: Sendable {
    public var shape: BCDIShape
    /// Complex field ρ = re + i·im, C order.
    public var re: [Float]
    public var im: [Float]
    /// The true crystal shape (1 inside): what a PyNX support would hold.
    public var support: [UInt8]
    /// The true lines inside the crystal, each a polyline `[x, y, z]` (split where a line leaves
    /// the crystal), sampled every ≤ 0.25 voxel.
    public var truth: [[SIMD3<Double>]]
    public var spec: BCDISyntheticSpec
}

/// Synthetic BCDI reconstructions with ground truth.
public enum BCDISynthetic {
    /// Builds the volume of `spec`.
    public static func make(_ spec: BCDISyntheticSpec) -> BCDISyntheticVolume {
        let shape = spec.shape
        let c = spec.resolvedCenter
        let far = 20 * Double(max(shape.nx, shape.ny, shape.nz) + 1)
        let polygons = spec.dislocations.map { $0.closedPolygon(center: c, farRadius: far) }
        let extent = Double(shape.nx + shape.ny + shape.nz)
        let samples = spec.dislocations.map { $0.samples(step: 0.25, extent: extent) }
        var support = [UInt8](repeating: 0, count: shape.count)
        var re = [Float](repeating: 0, count: shape.count), im = re
        // Fields are only needed where blurring can carry amplitude: inside the crystal grown
        // by the blur kernel's reach.
        let reach = 3 * spec.blurSigma + 1.5
        let grow = spec.crystal.grown(by: reach)
        // Squared distance to the nearest line sample, splatted within 3 core widths.
        var dist2 = [Double](repeating: .infinity, count: shape.count)
        if spec.coreDip > 0 {
            let rr = Int((3 * spec.coreWidth).rounded(.up))
            for q in samples.joined() {
                let v = (q).rounded(.toNearestOrEven)
                guard v.min() > -Double(rr) - 1, v.x < Double(shape.nx + rr), v.y < Double(shape.ny + rr), v.z < Double(shape.nz + rr) else { continue }
                let cx = Int(v.x), cy = Int(v.y), cz = Int(v.z)
                for z in max(0, cz - rr)...min(shape.nz - 1, cz + rr) {
                    for y in max(0, cy - rr)...min(shape.ny - 1, cy + rr) {
                        for x in max(0, cx - rr)...min(shape.nx - 1, cx + rr) {
                            let e = q - SIMD3(Double(x), Double(y), Double(z))
                            let j = shape.index(x: x, y: y, z: z)
                            dist2[j] = min(dist2[j], BCDIVec.dot(e, e))
                        }
                    }
                }
            }
        }
        for i in 0..<shape.count {
            let (x, y, z) = shape.coordinates(of: i)
            let p = SIMD3(Double(x), Double(y), Double(z))
            let r = p - c
            let inside = spec.crystal.contains(r)
            if inside { support[i] = 1 }
            guard inside || grow.contains(r) else { continue }
            var amp = inside ? max(0.05, 1 + BCDIVec.dot(spec.amplitudeGradient, r)) : 0.0
            if amp > 0 && dist2[i] < .infinity {
                amp *= 1 - spec.coreDip * exp(-dist2[i] / (2 * spec.coreWidth * spec.coreWidth))
            }
            var phi = BCDIVec.dot(spec.ramp, r)
            for (k, dis) in spec.dislocations.enumerated() {
                phi += dis.phase(at: p, bragg: spec.bragg, poisson: spec.poisson, polygon: polygons[k])
            }
            re[i] = Float(amp * cos(phi))
            im[i] = Float(amp * sin(phi))
        }
        if spec.blurSigma > 0 {
            BCDISynthetic.gaussianBlur(&re, shape: shape, sigma: spec.blurSigma)
            BCDISynthetic.gaussianBlur(&im, shape: shape, sigma: spec.blurSigma)
        }
        if spec.noise > 0 {
            var peak: Float = 0
            for i in 0..<shape.count { peak = max(peak, re[i] * re[i] + im[i] * im[i]) }
            let s = Double(peak.squareRoot()) * spec.noise
            var rng = SeededRandom(seed: spec.seed)
            for i in 0..<shape.count {
                re[i] += Float(s * rng.gaussian())
                im[i] += Float(s * rng.gaussian())
            }
        }
        // Truth: the sampled lines where they are inside the crystal.
        var truth: [[SIMD3<Double>]] = []
        for line in samples {
            var run: [SIMD3<Double>] = []
            for q in line {
                if spec.crystal.contains(q - c) {
                    run.append(q)
                } else if !run.isEmpty {
                    truth.append(run)
                    run = []
                }
            }
            if !run.isEmpty { truth.append(run) }
        }
        return BCDISyntheticVolume(shape: shape, re: re, im: im, support: support, truth: truth, spec: spec)
    }

    /// A time series: step t moves dislocation k by `t · velocities[k]` (voxels per step);
    /// noise is drawn afresh per step.
    public static func series(_ spec: BCDISyntheticSpec, steps: Int, velocities: [SIMD3<Double>]) -> [BCDISyntheticVolume] {
        precondition(velocities.count == spec.dislocations.count, "one velocity per dislocation")
        return (0..<steps).map { t in
            var s = spec
            s.dislocations = zip(spec.dislocations, velocities).map { $0.translated(by: $1 * Double(t)) }
            var stepRandom = SeededRandom(seed: spec.seed).derived(UInt64(t))
            s.seed = stepRandom.next()
            return make(s)
        }
    }

    /// A ready-made test crystal of side `size`: a straight screw line, a straight edge line
    /// and a loop, well apart, in a sphere or a faceted crystal.
    public static func demoSpec(size n: Int, faceted: Bool = false, seed: UInt64 = 1) -> BCDISyntheticSpec {
        demoSpec(shape: BCDIShape(nz: n, ny: n, nx: n), radius: 0.42 * Double(n), faceted: faceted, seed: seed)
    }

    /// The demo crystal (screw, edge, loop) of `radius` voxels centred in an array of `shape`.
    public static func demoSpec(shape: BCDIShape, radius r: Double, faceted: Bool = false, seed: UInt64 = 1) -> BCDISyntheticSpec {
        let s = r / 0.42
        let c = SIMD3(Double(shape.nx - 1), Double(shape.ny - 1), Double(shape.nz - 1)) / 2
        let q = BCDIVec.normalized(SIMD3<Double>(0.3, 0.2, 1)) * 40
        // Burgers vectors scaled so that Q·b = 2π.
        func burgers(_ d: SIMD3<Double>) -> SIMD3<Double> { d * (2 * Double.pi / BCDIVec.dot(q, d)) }
        let screwDir = BCDIVec.normalized(SIMD3<Double>(0.1, 0.15, 1))
        let screw = BCDIDislocation(.straight(point: c + SIMD3(-0.2 * s, -0.05 * s, 0), direction: screwDir), burgers: burgers(screwDir))
        let edgeDir = BCDIVec.normalized(SIMD3<Double>(1, 0.1, 0.05))
        let edge = BCDIDislocation(.straight(point: c + SIMD3(0, 0.22 * s, 0.05 * s), direction: edgeDir), burgers: burgers(SIMD3(0, 0.2, 1)))
        let loopCentre = c + SIMD3(0.12 * s, -0.12 * s, -0.05 * s)
        let loop = BCDIDislocation(
            .polyline((0..<24).map { k in
                let a = 2 * Double.pi * Double(k) / 24
                return loopCentre + SIMD3(0.12 * s * cos(a), 0.12 * s * sin(a) * 0.9, 0.12 * s * sin(a) * 0.45)
            }, closed: true),
            burgers: burgers(SIMD3(0.2, 0.1, 1)))
        return BCDISyntheticSpec(
            shape: shape, crystal: faceted ? .faceted(radius: r * 0.9) : .sphere(radius: r),
            dislocations: [screw, edge, loop], bragg: q, seed: seed)
    }
}


extension BCDISynthetic {
    /// In-place separable Gaussian blur with a kernel of radius ⌈3σ⌉, clipped and renormalised
    /// at the array border.
    static func gaussianBlur(_ v: inout [Float], shape: BCDIShape, sigma: Double) {
        let r = Int((3 * sigma).rounded(.up))
        let w = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        var tmp = v
        let strides = [1, shape.nx, shape.planeCount], dims = [shape.nx, shape.ny, shape.nz]
        for axis in 0..<3 {
            let s = strides[axis], n = dims[axis]
            for i in 0..<shape.count {
                let c = (i / s) % n
                var acc: Float = 0, norm: Float = 0
                for d in max(0, c - r)...min(n - 1, c + r) {
                    let k = w[d - c + r]
                    acc += k * v[i + (d - c) * s]
                    norm += k
                }
                tmp[i] = acc / norm
            }
            swap(&v, &tmp)
        }
    }
}
