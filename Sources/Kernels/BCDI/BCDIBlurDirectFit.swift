#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the resolution blur is measured (`deblur_estimate=`).
public enum BCDIBlurEstimator: String, CaseIterable, Hashable, Sendable {
    /// `BCDIBlurDirectFit`: the blurred body fitted to the amplitude, vortices left out.
    case direct
    /// `BCDIBlurEstimate`: the surface variogram (issue 12, fifth session).
    case variogram
    /// `BCDIBlurRestoredFit`: the direct fit with the vortices the deconvolution restores left
    /// out as well, iterated (issue 12, bcdi25).
    case restored = "direct_restored"
}

/// The resolution blur σ of a reconstruction by a direct fit of its amplitude near the surface.
///
/// The crystal is a body S with a sharp surface and a slowly varying density; the measured
/// amplitude is, to first order, that body blurred: A ≈ G_σ ∗ (S·(a + g·x)) + c. S is read from
/// the data as the half-level set of the amplitude (the 50 % contour of a blurred planar edge is
/// the edge itself, whatever σ), its enclosed holes filled. For each σ on a grid the four
/// blurred basis volumes G_σ∗S, G_σ∗(S·x), G_σ∗(S·y), G_σ∗(S·z) are made with the separable
/// smoothing, (a, g, c) follow by linear least squares over the surface band, and the σ with
/// the least residual wins (grid, then a parabola through the best three). Unlike a surface
/// variogram this needs no model of pair counts, surface normals, curvature or corners: the
/// blur is applied to the body's own 3D shape.
///
/// Dislocations are amplitude holes inside the body (a core dip, and a blurred vortex averages
/// its own phase away), which no surface model holds and which read as a sharper edge. So the
/// neighbourhoods of the vortex lines — the plaquette residues of the lightly smoothed field
/// inside the body, grown by about three blur widths — are left out of the fit, and the fit is
/// made again with that reach set from a first estimate that kept them.
public enum BCDIBlurDirectFit {
    /// What the fit saw.
    public struct Result: Sendable {
        /// The blur σ, voxels (0 when nothing could be measured).
        public var sigma: Double
        /// Voxels in the fitted band.
        public var bandVoxels: Int
        /// Band voxels left out as vortex neighbourhoods.
        public var excludedVoxels: Int
        /// Residues (vortex-line piercings) found inside the body.
        public var residues: Int
    }

    /// The blur of `re + i·im`. `band`: voxels on both sides of the body's surface that are
    /// fitted; `excludeVortices`: leave the vortex neighbourhoods out (false: the plain fit,
    /// to measure what they cost). `vortices`: further vortex centres to leave out with those
    /// found in the field (`BCDIBlurRestoredFit`: the residues of the deconvolved field).
    public static func estimate(re: [Float], im: [Float], shape: BCDIShape, band: Int = 8,
                                excludeVortices: Bool = true, fixedNoise: Bool = false, vortices: [SIMD3<Double>] = []) -> Result {
        precondition(re.count == shape.count && im.count == shape.count, "buffers do not match shape \(shape)")
        let n = shape.count
        guard n > 0, shape.nx > 2 * band, shape.ny > 2 * band, shape.nz > 2 * band else {
            return Result(sigma: 0, bandVoxels: 0, excludedVoxels: 0, residues: 0)
        }
        var amplitude = [Float](repeating: 0, count: n)
        for i in 0..<n { amplitude[i] = (re[i] * re[i] + im[i] * im[i]).squareRoot() }
        guard let body = body(re: re, im: im, shape: shape) else { return Result(sigma: 0, bandVoxels: 0, excludedVoxels: 0, residues: 0) }
        let outer = BCDISupport.dilate(body, shape: shape, radius: band)
        let core = BCDISupport.erode(body, shape: shape, radius: band)
        return fit(re: re, im: im, shape: shape, amplitude: amplitude, body: body, outer: outer, core: core,
                   excludeVortices: excludeVortices, fixedNoise: fixedNoise, vortices: vortices)
    }

    /// The crystal's body as the blurred data show it: the half-level set of the amplitude
    /// (the 50 % contour of a blurred planar edge is the sharp edge, whatever the blur), closed
    /// and hole-filled; nil when the volume holds no body.
    public static func body(re: [Float], im: [Float], shape: BCDIShape) -> [UInt8]? {
        let n = shape.count
        // The body: the half-level set of the amplitude smoothed over a voxel (so noise does not
        // fray it), the level being the median amplitude deep inside (≥ 3 voxels in from where
        // it first exceeds a fifth of the largest smoothed value).
        let ones = [UInt8](repeating: 1, count: n)
        let smoothed = BCDIComplexSmoothing.smooth(re: re, im: im, support: ones, shape: shape, sigma: 1)
        var smoothAmp = [Float](repeating: 0, count: n)
        for i in 0..<n { smoothAmp[i] = (smoothed.re[i] * smoothed.re[i] + smoothed.im[i] * smoothed.im[i]).squareRoot() }
        let top = smoothAmp.max() ?? 0
        guard top > 0 else { return nil }
        var rough = BCDISupport.close(smoothAmp.map { $0 >= 0.2 * top ? UInt8(1) : 0 }, shape: shape, radius: 3)
        BCDISupport.fillHoles(&rough, shape: shape)
        let deep = BCDISupport.erode(rough, shape: shape, radius: 3)
        var inner = [Float]()
        for i in 0..<n where deep[i] != 0 { inner.append(smoothAmp[i]) }
        guard inner.count > 100 else { return nil }
        inner.sort()
        let level = inner[inner.count / 2]
        // A vortex line's amplitude hole is a tunnel from surface to surface, not an enclosed
        // hole: a closing bridges it (crystals are convex, facets only cut them), then the
        // enclosed holes are filled.
        var body = BCDISupport.close(smoothAmp.map { $0 >= 0.5 * level ? UInt8(1) : 0 }, shape: shape, radius: 3)
        BCDISupport.fillHoles(&body, shape: shape)
        return body
    }

    static func fit(re: [Float], im: [Float], shape: BCDIShape, amplitude: [Float], body: [UInt8], outer: [UInt8], core: [UInt8],
                    excludeVortices: Bool, fixedNoise: Bool, vortices: [SIMD3<Double>] = []) -> Result {
        let n = shape.count
        // The same smoothing as `body` (deterministic: the vortices are found on it again).
        let ones = [UInt8](repeating: 1, count: n)
        let smoothed = BCDIComplexSmoothing.smooth(re: re, im: im, support: ones, shape: shape, sigma: 1)
        // Voxels whose blurred value the array border clips are not fitted.
        let margin = 2
        var inBand = [Bool](repeating: false, count: n)
        for z in margin..<(shape.nz - margin) {
            for y in margin..<(shape.ny - margin) {
                for x in margin..<(shape.nx - margin) {
                    let i = shape.index(x: x, y: y, z: z)
                    inBand[i] = outer[i] != 0 && core[i] == 0
                }
            }
        }
        // Vortex lines inside the body: residues of the smoothed field, off the surface layer
        // (whose low amplitude makes noise residues).
        var centres: [SIMD3<Double>] = []
        if excludeVortices {
            let inside = BCDISupport.erode(body, shape: shape, radius: 1)
            var phase = [Float](repeating: 0, count: n)
            for i in 0..<n { phase[i] = atan2(smoothed.im[i], smoothed.re[i]) }
            centres = BCDIWinding.residues(phase: phase, support: inside, shape: shape).map(\.center) + vortices
        }
        var xs = [Float](repeating: 0, count: n), ys = xs, zs = xs
        let mid = SIMD3(Double(shape.nx - 1), Double(shape.ny - 1), Double(shape.nz - 1)) / 2
        let scale = 1 / Double(max(shape.nx, shape.ny, shape.nz))
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                for x in 0..<shape.nx {
                    let i = shape.index(x: x, y: y, z: z)
                    guard body[i] != 0 else { continue }
                    xs[i] = Float((Double(x) - mid.x) * scale)
                    ys[i] = Float((Double(y) - mid.y) * scale)
                    zs[i] = Float((Double(z) - mid.z) * scale)
                }
            }
        }
        let bodyF = body.map { Float($0) }
        // The noise power per voxel, E|n|² = 2σ², measured inside the body (nil: fitted).
        let noiseSigma = BCDINoiseSupport.sigma(re: re, im: im, support: body, shape: shape)
        let noisePower: Double? = fixedNoise ? 2 * noiseSigma * noiseSigma : nil

        func fit(reach: Double) -> (sigma: Double, band: Int, excluded: Int) {
            var use = inBand
            var excluded = 0
            if reach > 0 {
                let r = Int(reach.rounded(.up))
                let r2 = reach * reach
                for c in centres {
                    let cx = Int(c.x.rounded()), cy = Int(c.y.rounded()), cz = Int(c.z.rounded())
                    for z in max(0, cz - r)...min(shape.nz - 1, cz + r) {
                        for y in max(0, cy - r)...min(shape.ny - 1, cy + r) {
                            for x in max(0, cx - r)...min(shape.nx - 1, cx + r) {
                                let d = SIMD3(Double(x), Double(y), Double(z)) - c
                                guard (d * d).sum() <= r2 else { continue }
                                let i = shape.index(x: x, y: y, z: z)
                                if use[i] { use[i] = false; excluded += 1 }
                            }
                        }
                    }
                }
            }
            let index = (0..<n).filter { use[$0] }
            guard index.count > 200 else { return (0, index.count, excluded) }
            let target = index.map { Double(amplitude[$0]) }
            func rss(_ sigma: Double) -> Double {
                let b0 = BCDIComplexSmoothing.smooth(re: bodyF, im: xs, support: ones, shape: shape, sigma: sigma)
                let b1 = BCDIComplexSmoothing.smooth(re: ys, im: zs, support: ones, shape: shape, sigma: sigma)
                let columns: [[Double]] = [b0.re, b0.im, b1.re, b1.im].map { c in index.map { Double(c[$0]) } }
                return BCDILeastSquares.noisyResidual(columns: columns, amplitude: target, noisePower: noisePower)
            }
            // A coarse grid, then a golden-section search within a step of its best point
            // (each evaluation costs two smoothing passes of the volume).
            let step = 0.3
            let grid = stride(from: step, through: 4.2, by: step).map { $0 }
            let values = grid.map(rss)
            let best = values.indices.min { values[$0] < values[$1] }!
            var lo = max(0.05, grid[best] - step), hi = grid[best] + step
            let ratio = (5.0.squareRoot() - 1) / 2
            var x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo)
            var f1 = rss(x1), f2 = rss(x2)
            for _ in 0..<7 {
                if f1 <= f2 {
                    hi = x2; x2 = x1; f2 = f1
                    x1 = hi - ratio * (hi - lo); f1 = rss(x1)
                } else {
                    lo = x1; x1 = x2; f1 = f2
                    x2 = lo + ratio * (hi - lo); f2 = rss(x2)
                }
            }
            let sigma = f1 <= f2 ? x1 : x2
            return (sigma, index.count, excluded)
        }
        var result = fit(reach: 0)
        if excludeVortices && !centres.isEmpty {
            // A blurred vortex's amplitude hole reaches ≈ 3σ (and a core dip of its own width).
            result = fit(reach: 3 * max(result.sigma, 1) + 1)
        }
        return Result(sigma: result.sigma, bandVoxels: result.band, excludedVoxels: result.excluded, residues: centres.count)
    }
}

/// The small least-squares problems of the direct blur fit.
enum BCDILeastSquares {
    /// Solves the k×k symmetric positive system `ata`·x = `atb` by Cholesky, with a tiny ridge
    /// (columns can be nearly dependent: a flat density); nil when it is not positive.
    static func solve(_ ata: [Double], _ atb: [Double]) -> [Double]? {
        let k = atb.count
        let trace = (0..<k).reduce(0.0) { $0 + ata[$1 * k + $1] }
        guard let l = SmallCholesky.factor(ata, size: k, ridge: 1e-12 * trace / Double(k) + 1e-300) else { return nil }
        return SmallCholesky.solve(l, size: k, atb)
    }

    /// Normal equations of `rows` (each a row of the design, the target last).
    static func normal(_ k: Int, _ rows: (_ add: (_ row: [Double], _ target: Double) -> Void) -> Void) -> ([Double], [Double]) {
        var ata = [Double](repeating: 0, count: k * k), atb = [Double](repeating: 0, count: k)
        rows { row, t in
            for a in 0..<k {
                atb[a] += row[a] * t
                for b in a..<k { ata[a * k + b] += row[a] * row[b] }
            }
        }
        for a in 0..<k { for b in 0..<a { ata[a * k + b] = ata[b * k + a] } }
        return (ata, atb)
    }

    /// The misfit of the measured `amplitude` by the field ν = Σ p_k·columns_k plus complex
    /// white noise of power q = E|n|²: the expected modulus is √(ν² + q) to within the Rice
    /// bias at ν ≈ 0 (1.25 σ instead of 1.41 σ). Fitting ν alone, the noise floor lifts the foot
    /// of the edge, which reads as a sharper edge (−0.3 voxel at σ = 2 with noise 0.1). p starts
    /// from a linear fit of the amplitude, then Gauss–Newton on p (and q when `noisePower` is
    /// nil). Returns the residual sum of squares of the amplitude.
    static func noisyResidual(columns: [[Double]], amplitude: [Double], noisePower: Double? = nil) -> Double {
        let k = columns.count, m = amplitude.count
        var row = [Double](repeating: 0, count: k + 1)
        let (a0, b0) = normal(k) { add in
            for r in 0..<m {
                for c in 0..<k { row[c] = columns[c][r] }
                add(Array(row[0..<k]), amplitude[r])
            }
        }
        guard var p = solve(a0, b0) else { return .infinity }
        func model(_ r: Int) -> Double {
            var v = 0.0
            for c in 0..<k { v += p[c] * columns[c][r] }
            return v
        }
        var q = noisePower ?? 0
        if noisePower == nil {
            // Start from the power the linear fit leaves unexplained.
            for r in 0..<m { let v = model(r); q += amplitude[r] * amplitude[r] - v * v }
            q = max(1e-6, q / Double(m))
        }
        func misfit() -> Double {
            var e = 0.0
            for r in 0..<m { let v = model(r); let d = amplitude[r] - (v * v + q).squareRoot(); e += d * d }
            return e
        }
        var best = misfit()
        let free = noisePower == nil
        let kk = free ? k + 1 : k
        for _ in 0..<10 {
            let (a, b) = normal(kk) { add in
                var g = [Double](repeating: 0, count: kk)
                for r in 0..<m {
                    let v = model(r)
                    let w = max((v * v + q).squareRoot(), 1e-9)
                    for c in 0..<k { g[c] = v * columns[c][r] / w }
                    if free { g[k] = 0.5 / w }
                    add(g, amplitude[r] - w)
                }
            }
            guard let step = solve(a, b) else { break }
            let (pOld, qOld) = (p, q)
            for c in 0..<k { p[c] += step[c] }
            if free { q = max(0, q + step[k]) }
            let e = misfit()
            if e > best {
                (p, q) = (pOld, qOld)
                break
            }
            let gain = best - e
            best = e
            if gain < 1e-9 * best { break }
        }
        return best
    }
}
