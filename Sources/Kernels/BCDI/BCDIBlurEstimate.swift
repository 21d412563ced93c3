#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The resolution blur σ of a reconstruction, measured from its own surface.
///
/// A crystal is a body with a sharp surface; a reconstruction of finite resolution shows that
/// surface as an edge blurred by (to first order) a Gaussian of width σ. The edge profile is
/// read through the **variogram** of the amplitude A = |ρ|: γ(r) = mean over voxel pairs of
/// (A(v + r) − A(v))², for shifts r along the 13 lattice directions at 1…`maxShift` steps.
///
/// For one surface element of normal n and height h, blurred by σ, the sum over the pairs
/// across it is h²·σ√2·G(r·n / (σ√2)), with G(u) = E|u + Z| − E|Z| (Z standard normal: the
/// variogram of a step, |t|, smoothed by the blur applied to both ends of the pair). The
/// whole surface adds such terms over its distribution of |r̂·n| — measured here from the
/// direction of the smoothed amplitude's gradient at the surface, weighted by its size — so
/// for every direction d and distance t:
///
///     γ_d(t) = K · Σ_c H_d(c) · σ√2 · G(t·c / (σ√2)) + C
///
/// with one scale K (h²·area / pairs), one constant C (white noise adds 2·var to every pair
/// whatever the shift, and what saturates at short range — line cores — adds a constant
/// beyond it) and σ. K and C are linear; σ is found by a global search over a grid (then a
/// parabola through the best three), the least-squares misfit being the criterion. Nothing
/// about the noise level, the crystal's shape or its amplitude is assumed.
///
/// The staircase of a voxelised surface counts as blur of ≈ 1/√12 voxel, so a perfectly
/// sharp reconstruction measures ≈ 0.3 voxel.
public enum BCDIBlurEstimate {
    /// The 13 lattice directions up to sign: axes, face and body diagonals.
    static let directions: [SIMD3<Int>] = [
        SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1),
        SIMD3(1, 1, 0), SIMD3(1, -1, 0), SIMD3(1, 0, 1), SIMD3(1, 0, -1), SIMD3(0, 1, 1), SIMD3(0, 1, -1),
        SIMD3(1, 1, 1), SIMD3(1, 1, -1), SIMD3(1, -1, 1), SIMD3(-1, 1, 1),
    ]

    /// What the estimate saw.
    public struct Result: Sendable {
        /// The blur σ, voxels (0 when nothing could be measured).
        public var sigma: Double
        /// Root-mean-square misfit of the model relative to the variogram's spread.
        public var misfit: Double
        /// Voxels in the surface band used.
        public var bandVoxels: Int
    }

    /// G(u) = E|u + Z| − E|Z| for standard normal Z: u(2Φ(u) − 1) + 2φ(u) − 2φ(0).
    @inline(__always)
    public static func stepVariogram(_ u: Double) -> Double {
        let a = abs(u)
        let phi = exp(-0.5 * a * a) / (2 * Double.pi).squareRoot()
        return a * erf(a / 2.0.squareRoot()) + 2 * phi - 2 / (2 * Double.pi).squareRoot()
    }

    /// The blur of `re + i·im`, read from the surface of `support` (any reasonable support:
    /// stored, dilated, eroded or from the amplitude). `band` is how far (voxels) on both sides
    /// of the support's surface voxel pairs are taken; `maxShift` the largest distance (in
    /// steps along a direction) of the variogram.
    public static func estimate(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape,
                                band: Int = 8, maxShift: Int = 5) -> Result {
        precondition(re.count == shape.count && im.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        let n = shape.count
        guard n > 0, shape.nx > 2 * maxShift, shape.ny > 2 * maxShift, shape.nz > 2 * maxShift else {
            return Result(sigma: 0, misfit: 0, bandVoxels: 0)
        }
        var amplitude = [Float](repeating: 0, count: n)
        for i in 0..<n { amplitude[i] = (re[i] * re[i] + im[i] * im[i]).squareRoot() }
        // The surface band: within `band` of the support's surface, inside or out.
        let outer = BCDISupport.dilate(support, shape: shape, radius: band)
        let inner = BCDISupport.erode(support, shape: shape, radius: band)
        var inBand = [Bool](repeating: false, count: n)
        var bandVoxels = 0
        for i in 0..<n where outer[i] != 0 && inner[i] == 0 {
            inBand[i] = true
            bandVoxels += 1
        }
        guard bandVoxels > 0 else { return Result(sigma: 0, misfit: 0, bandVoxels: 0) }

        // Surface normals: the gradient of the amplitude smoothed over a voxel (so noise does
        // not set the directions), weighted by its size, histogrammed per direction by |d̂·n|.
        let ones = [UInt8](repeating: 1, count: n)
        let smooth = BCDIComplexSmoothing.smooth(re: amplitude, im: [Float](repeating: 0, count: n), support: ones, shape: shape, sigma: 1).re
        let bins = 24
        var histogram = [[Double]](repeating: [Double](repeating: 0, count: bins), count: directions.count)
        let unit = directions.map { d -> SIMD3<Double> in
            let v = SIMD3<Double>(Double(d.x), Double(d.y), Double(d.z))
            return v / (v * v).sum().squareRoot()
        }
        let sx = 1, sy = shape.nx, sz = shape.planeCount
        for z in 1..<(shape.nz - 1) {
            for y in 1..<(shape.ny - 1) {
                for x in 1..<(shape.nx - 1) {
                    let i = shape.index(x: x, y: y, z: z)
                    guard inBand[i] else { continue }
                    let g = SIMD3<Double>(Double(smooth[i + sx] - smooth[i - sx]), Double(smooth[i + sy] - smooth[i - sy]),
                                          Double(smooth[i + sz] - smooth[i - sz])) * 0.5
                    let size = (g * g).sum().squareRoot()
                    guard size > 0 else { continue }
                    let normal = g / size
                    for (k, d) in unit.enumerated() {
                        let c = abs((normal * d).sum())
                        histogram[k][min(bins - 1, Int(c * Double(bins)))] += size
                    }
                }
            }
        }
        for k in histogram.indices {
            let total = histogram[k].reduce(0, +)
            if total > 0 { histogram[k] = histogram[k].map { $0 / total } }
        }

        // The variogram: a pair counts when either end is in the band, so the band's inner
        // limit does not cut an edge profile short on one side only.
        var samples: [(direction: Int, t: Double, gamma: Double, count: Double)] = []
        amplitude.withUnsafeBufferPointer { a in
            for (k, d) in directions.enumerated() {
                let length = Double(d.x * d.x + d.y * d.y + d.z * d.z).squareRoot()
                for m in 1...maxShift {
                    let r = d &* m
                    var sum = 0.0, count = 0
                    for z in max(0, -r.z)..<min(shape.nz, shape.nz - r.z) {
                        for y in max(0, -r.y)..<min(shape.ny, shape.ny - r.y) {
                            let row = shape.index(x: 0, y: y, z: z)
                            let rowShifted = shape.index(x: 0, y: y + r.y, z: z + r.z)
                            var rowSum: Float = 0
                            for x in max(0, -r.x)..<min(shape.nx, shape.nx - r.x) {
                                let i = row + x, j = rowShifted + x + r.x
                                guard inBand[i] || inBand[j] else { continue }
                                let e = a[j] - a[i]
                                rowSum += e * e
                                count += 1
                            }
                            sum += Double(rowSum)
                        }
                    }
                    if count > 0 { samples.append((k, Double(m) * length, sum, Double(count))) }
                }
            }
        }
        guard samples.count >= 3 else { return Result(sigma: 0, misfit: 0, bandVoxels: bandVoxels) }

        let centres = (0..<bins).map { (Double($0) + 0.5) / Double(bins) }
        func model(_ sigma: Double) -> [Double] {
            let w = sigma * 2.0.squareRoot()
            return samples.map { s in
                var f = 0.0
                for b in 0..<bins where histogram[s.direction][b] > 0 {
                    f += histogram[s.direction][b] * w * stepVariogram(s.t * centres[b] / w)
                }
                return f
            }
        }
        // The sums, not the means: the surface adds a fixed amount per pair across it whatever
        // the number of pairs counted, while the noise (and what saturates at short range) adds
        // the same per pair. The number of pairs grows with the shift ("either end in the
        // band"), so a mean would bend the edge term with it.
        let gammas = samples.map(\.gamma), counts = samples.map(\.count)
        // Least squares for K and C in sum = K·f + C·count at a given σ; the residual sum of squares.
        func misfit(_ sigma: Double) -> Double {
            let f = model(sigma)
            var sff = 0.0, sfc = 0.0, scc = 0.0, sfg = 0.0, scg = 0.0
            for i in f.indices {
                sff += f[i] * f[i]
                sfc += f[i] * counts[i]
                scc += counts[i] * counts[i]
                sfg += f[i] * gammas[i]
                scg += counts[i] * gammas[i]
            }
            let det = sff * scc - sfc * sfc
            guard det > 0 else { return .infinity }
            var k = (sfg * scc - scg * sfc) / det, c = (sff * scg - sfc * sfg) / det
            if k < 0 { k = 0; c = scg / scc }
            var rss = 0.0
            for i in f.indices {
                let e = gammas[i] - (k * f[i] + c * counts[i])
                rss += e * e
            }
            return rss
        }
        let grid = stride(from: 0.1, through: 6.0, by: 0.05).map { $0 }
        let values = grid.map(misfit)
        let best = values.indices.min { values[$0] < values[$1] }!
        var sigma = grid[best]
        if best > 0 && best < grid.count - 1 {
            let (a, b, c) = (values[best - 1], values[best], values[best + 1])
            let denominator = a - 2 * b + c
            if denominator > 0 { sigma += 0.05 * 0.5 * (a - c) / denominator }
        }
        let gm = gammas.reduce(0, +) / Double(gammas.count)
        let spread = gammas.reduce(0.0) { $0 + ($1 - gm) * ($1 - gm) }
        return Result(sigma: sigma, misfit: spread > 0 ? (values[best] / spread).squareRoot() : 0, bandVoxels: bandVoxels)
    }
}
