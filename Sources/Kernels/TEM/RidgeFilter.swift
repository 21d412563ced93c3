#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CTEMSIMD

/// Multi-scale Hessian ridge (line) filter. At each scale σ the frame is smoothed with a
/// separable Gaussian (two symmetric passes, fused through a ring of rows) and the Hessian taken by central differences, i.e.
/// separable derivative-of-Gaussian kernels ([1, −2, 1] ⊛ G for ∂²); for a dark line the
/// curvature across it, λ₁ (the larger eigenvalue), is large and the curvature along it, λ₂, small:
///
///     R = σ^γ · (λ₁ − β·|λ₂|)   (0 where negative)
///
/// and the best scale wins. γ = 2 is Lindeberg's scale normalisation; a smaller γ favours the
/// fine scale, which keeps two lines a few pixels apart from winning as one wide line. β > 0 damps round blobs (λ₁ ≈ λ₂) of the Perlin background. Bright
/// lines use −H. The quantised line normal of the winning scale comes along for non-maximum
/// suppression.
public enum RidgeFilter {
    /// Reusable buffers.
    public struct Workspace: Sendable {
        /// The smoothed frame of every scale, one after another (`n` values each).
        var smoothed: [Float] = []
        /// The last `apply`'s per-scale weights (signed for its polarity) and, for `weighted` /
        /// `localised`, its keys: what `applyOpposite` recombines the same planes with.
        var norms: [Float] = []
        var keys: [Float]? = nil
        public init() {}
        mutating func ensure(_ n: Int, scales: Int) {
            if smoothed.count != n * scales { smoothed = [Float](repeating: 0, count: n * scales) }
        }
    }

    /// Which scale a pixel's response comes from when the scales are noise-normalised.
    public enum ScaleChoice: String, Codable, Sendable, CaseIterable {
        /// The most significant scale (largest response in units of its own noise) wins and
        /// gives the response, the normal and the ridge's position (`video5`). Noise weights
        /// favour coarse scales far more than σ^γ (a white-noise Hessian's σ falls as σ⁻³), so at a
        /// close pair the coarse scale can win, and its ridge lies between the two lines.
        case significance
        /// The scale with the largest σ^γ-weighted response wins (as `video`'s fixed weights:
        /// localisation), and its noise-normalised value is the response.
        case weighted
        /// Two maps: the response is the largest noise-normalised value over the scales
        /// (significance: what the thresholds read), the `location` map the largest σ^γ-weighted
        /// response (what non-maximum suppression reads, with its winner's normal): a pixel is a
        /// ridge centre where the localising scales put one, and a line where some scale finds it
        /// significant.
        case localised
    }

    /// Writes the response R (≥ 0, best scale) into `response` and the line normal at the best
    /// scale, quantised to four directions, into `normal` as 0: x, 1: (1, 1), 2: y, 3: (1, −1)
    /// (Float codes, so the selects stay in vector registers).
    ///
    /// `noiseStride`: with `noiseNormalised`, each scale's noise is sampled every this many
    /// pixels (`responseNoise`; 1 = every pixel, `TEMDetectorConfig.fullFrameStatistics`).
    ///
    /// `pairGuard` > 0: a coarser scale may win at a pixel only where the finest scale does not
    /// see two lines there. Between two dark lines a few pixels apart the finest scale's
    /// curvature across the line (along the coarser scale's normal) is negative — the bright gap
    /// between them — while at the centre of one wide or blurred line it is positive or lost in
    /// the noise. So the coarser scale's response counts only where that curvature, in units of the
    /// finest scale's weight (its response noise when `noiseNormalised`), is ≥ −`pairGuard`: wide
    /// and blurred lines still win at the coarse scale, close pairs stay two ridges.
    public static func apply(
        _ src: UnsafeBufferPointer<Float>, width: Int, height: Int, scales: [Double], beta: Float,
        brightLines: Bool, scaleExponent: Double = 2, noiseNormalised: Bool = false, pairGuard: Float = 0,
        scaleChoice: ScaleChoice = .significance, noiseStride: Int = 13,
        response: UnsafeMutableBufferPointer<Float>,
        normal: UnsafeMutableBufferPointer<Float>, location: UnsafeMutableBufferPointer<Float>? = nil,
        workspace ws: inout Workspace
    ) {
        let n = width * height
        precondition(src.count >= n && response.count >= n && normal.count >= n && !scales.isEmpty)
        precondition(scaleChoice != .localised || (location?.count ?? 0) >= n, "scaleChoice .localised needs a location map")
        ws.ensure(n, scales: scales.count)
        ws.smoothed.withUnsafeMutableBufferPointer { all in
            for (si, sigma) in scales.enumerated() {
                GaussianFilter.blurSymmetric(src, width: width, height: height, kernel: GaussianFilter.kernel(sigma: sigma, order: 0),
                                             into: UnsafeMutableBufferPointer(rebasing: all[(si * n)..<((si + 1) * n)]))
            }
            // All scales in one pass: each pixel's best response and normal are written once,
            // instead of every further scale reading both frames back and rewriting them.
            let sign: Float = brightLines ? -1 : 1
            // Noise-normalised: each scale in units of its own response noise measured on this
            // frame, so the best scale is the one where the line stands furthest above the
            // frame's null distribution (whatever the noise's spectrum: white, Poisson, blurred,
            // mottled background) instead of a fixed σ^γ weighting.
            let norms = noiseNormalised
                ? (0..<scales.count).map { si in
                    sign / max(responseNoise(UnsafePointer(all.baseAddress! + si * n), width: width, height: height, beta: beta,
                                             stride: max(1, noiseStride)), 1e-12)
                }
                : scales.map { Float(pow($0, scaleExponent)) * sign }
            // σ^γ / |norm|: a response in noise units times this is the σ^γ-weighted response
            // (R is positively homogeneous in H), the key `weighted` and `localised` compare.
            let keys: [Float]? = noiseNormalised && scaleChoice != .significance
                ? zip(scales, norms).map { Float(pow($0, scaleExponent)) / abs($1) }
                : nil
            ws.norms = norms
            ws.keys = keys
            norms.withUnsafeBufferPointer { nb in
                if let keys {
                    keys.withUnsafeBufferPointer { kb in
                        combine(UnsafePointer(all.baseAddress!), planeStride: n, norms: nb.baseAddress!, scales: scales.count,
                                width: width, height: height, beta: beta, pairGuard: pairGuard,
                                response: response.baseAddress!, normal: normal.baseAddress!,
                                keys: kb.baseAddress!, location: scaleChoice == .localised ? location!.baseAddress! : nil)
                    }
                } else {
                    combine(UnsafePointer(all.baseAddress!), planeStride: n, norms: nb.baseAddress!, scales: scales.count,
                            width: width, height: height, beta: beta, pairGuard: pairGuard,
                            response: response.baseAddress!, normal: normal.baseAddress!)
                    // Without noise normalisation the weights are σ^γ already: both choices are this map.
                    if scaleChoice == .localised, let location { location.baseAddress!.update(from: response.baseAddress!, count: n) }
                }
            }
        }
    }

    /// The last `apply`'s frame read for the other polarity: its smoothed planes recombined with
    /// the weights negated (bright lines use −H; each scale's noise does not depend on the sign),
    /// so the blurs — most of the filter's cost — are not run again. Bit for bit what `apply`
    /// with `brightLines` flipped writes (`TEMPolarityPoolTests`). `scales` and `pairGuard` as
    /// given to that `apply`; not for `ScaleChoice.localised` (no location map is written).
    public static func applyOpposite(width: Int, height: Int, scales: Int, beta: Float, pairGuard: Float = 0,
                                     response: UnsafeMutableBufferPointer<Float>, normal: UnsafeMutableBufferPointer<Float>,
                                     workspace ws: inout Workspace) {
        let n = width * height
        precondition(ws.norms.count == scales && ws.smoothed.count == n * scales && response.count >= n && normal.count >= n,
                     "applyOpposite needs the workspace of an apply on a frame of this size")
        let negated = ws.norms.map { -$0 }
        let keys = ws.keys
        ws.smoothed.withUnsafeBufferPointer { all in
            negated.withUnsafeBufferPointer { nb in
                if let keys {
                    keys.withUnsafeBufferPointer { kb in
                        combine(all.baseAddress!, planeStride: n, norms: nb.baseAddress!, scales: scales, width: width, height: height,
                                beta: beta, pairGuard: pairGuard, response: response.baseAddress!, normal: normal.baseAddress!,
                                keys: kb.baseAddress!)
                    }
                } else {
                    combine(all.baseAddress!, planeStride: n, norms: nb.baseAddress!, scales: scales, width: width, height: height,
                            beta: beta, pairGuard: pairGuard, response: response.baseAddress!, normal: normal.baseAddress!)
                }
            }
        }
    }

    /// Robust σ (MAD of the positive values, `RidgeThreshold.robustStats`) of the ridge response
    /// of one smoothed plane (dark-line sign), sampled every `stride` pixels of the interior.
    /// The sign does not matter: the MAD of R and of the opposite polarity's R are alike for
    /// noise, and lines are too few pixels to move a median.
    public static func responseNoise(_ plane: UnsafePointer<Float>, width: Int, height: Int, beta: Float,
                                     stride: Int = 13, allowAVX: Bool = true) -> Float {
        guard width > 2, height > 2 else { return 0 }
        typealias V = SIMD8<Float>
        let w = width
        let samples = UnsafeMutablePointer<Float>.allocate(capacity: width * height / stride + 8)
        // On AVX CPUs in C, the neighbours loaded straight into the lanes (the same values:
        // `TEMRidgeAVXTests`); this loop is its reference and the path elsewhere.
        if allowAVX && useAVX && width * height <= Int(Int32.max) {
            defer { samples.deallocate() }
            let count = Int(slp_tem_response_samples_avx(plane, Int32(width), Int32(height), beta, Int32(stride), samples))
            return RidgeThreshold.robustStats(UnsafeBufferPointer(start: samples, count: count), stride: 1).sigma
        }
        // Nine neighbours × eight lanes, gathered as plain floats and loaded as vectors (element
        // inserts into a SIMD value with a run-time lane index are slow), and the lanes' pixels.
        let gathered = UnsafeMutablePointer<Float>.allocate(capacity: 9 * 8)
        let idx = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        defer { samples.deallocate(); gathered.deallocate(); idx.deallocate() }
        gathered.initialize(repeating: 0, count: 9 * 8)
        var count = 0
        // Eight sampled pixels at a time: the same arithmetic as `hessian` and `ridge` per lane
        // (same order of operations, so the same values), with the square root and the rest in
        // vector registers instead of one pixel's dependent chain at a time.
        var lanes = 0
        @inline(__always) func flush() {
            let offsets = (0, -1, 1, -w, w, w + 1, w - 1, -w + 1, -w - 1)
            for k in 0..<lanes {
                let q = plane + idx[k], g = gathered + k
                g[0] = q[offsets.0]; g[8] = q[offsets.1]; g[16] = q[offsets.2]; g[24] = q[offsets.3]; g[32] = q[offsets.4]
                g[40] = q[offsets.5]; g[48] = q[offsets.6]; g[56] = q[offsets.7]; g[64] = q[offsets.8]
            }
            @inline(__always) func ld(_ j: Int) -> V { UnsafeRawPointer(gathered + 8 * j).loadUnaligned(as: V.self) }
            let cen = ld(0), l = ld(1), r = ld(2), up = ld(3), dn = ld(4), pp = ld(5), pm = ld(6), mp = ld(7), mm = ld(8)
            let a = r - 2 * cen + l
            let c = dn - 2 * cen + up
            let b = 0.25 * (pp - pm - mp + mm)
            let root = ((a - c) * (a - c) * 0.25 + b * b).squareRoot()
            let l1 = (a + c) * 0.5 + root, l2 = (a + c) * 0.5 - root
            var resp = l1 - beta * (l2.replacing(with: -l2, where: l2 .< 0))
            resp.replace(with: 0, where: resp .< 0)
            UnsafeMutableRawPointer(samples + count).storeBytes(of: resp, as: V.self)
            count += lanes
            lanes = 0
        }
        var i = width + 1
        var x = i % width
        let end = width * (height - 1) - 1
        while i < end {
            if x > 0 && x < width - 1 {
                idx[lanes] = i
                lanes += 1
                if lanes == 8 { flush() }
            }
            i += stride
            x += stride
            while x >= width { x -= width }
        }
        if lanes > 0 { flush() }
        return RidgeThreshold.robustStats(UnsafeBufferPointer(start: samples, count: count), stride: 1).sigma
    }

    /// Hessian of the smoothed frame at pixel (x, y) by central differences, replicate borders.
    @inline(__always)
    static func hessian(_ s: UnsafePointer<Float>, width w: Int, height h: Int, x: Int, y: Int) -> (Float, Float, Float) {
        let xm = max(0, x - 1), xp = min(w - 1, x + 1), ym = max(0, y - 1) * w, yp = min(h - 1, y + 1) * w, yc = y * w
        let a = s[yc + xp] - 2 * s[yc + x] + s[yc + xm]
        let c = s[yp + x] - 2 * s[yc + x] + s[ym + x]
        let b = 0.25 * (s[yp + xp] - s[yp + xm] - s[ym + xp] + s[ym + xm])
        return (a, b, c)
    }

    /// Quantised normal from the Hessian (already multiplied by the sign of the line type, so
    /// the line's eigenvalue is the larger one): its eigenvector is at angle ½·atan2(2b, a − c),
    /// so the four 45° sectors are decided by comparing a − c and 2b, without a square root.
    @inline(__always)
    static func direction(_ a: Float, _ b: Float, _ c: Float) -> Float {
        let u = a - c, v = 2 * b
        if abs(v) < abs(u) { return u > 0 ? 0 : 2 }
        return v > 0 ? 1 : 3
    }

    /// The finest scale's Hessian `fine` (a, b, c) along the line normal of a coarser scale's
    /// Hessian (a, b, c): the eigenvector of its larger eigenvalue (`pairGuard`).
    @inline(__always)
    static func fineAcross(_ fine: (Float, Float, Float), _ a: Float, _ b: Float, _ c: Float) -> Float {
        let half = (a - c) * 0.5
        let root = (half * half + b * b).squareRoot()
        let inv: Float = root > 0 ? 1 / root : 0
        return (fine.0 + fine.2) * 0.5 + ((fine.0 - fine.2) * 0.5 * half + fine.1 * b) * inv
    }

    @inline(__always)
    static func ridge(_ a: Float, _ b: Float, _ c: Float, beta: Float) -> Float {
        let root = ((a - c) * (a - c) * 0.25 + b * b).squareRoot()
        let l1 = (a + c) * 0.5 + root, l2 = (a + c) * 0.5 - root
        return max(0, l1 - beta * abs(l2))
    }

    /// Whether this CPU runs the AVX loops of `CTEMSIMD` (checked once by the C side).
    static var useAVX: Bool { slp_tem_has_avx() == 1 }

    /// Hessian by central differences and eigenvalues at every scale, keeping the per-pixel
    /// maximum over the scales (the first scale wins ties, as a later one must be strictly
    /// larger); interior pixels eight at a time, the one-pixel frame border scalar.
    static func combine(_ planes: UnsafePointer<Float>, planeStride: Int, norms: UnsafePointer<Float>, scales k: Int,
                        width w: Int, height h: Int, beta: Float, pairGuard: Float = 0,
                        response: UnsafeMutablePointer<Float>, normal: UnsafeMutablePointer<Float>,
                        keys: UnsafePointer<Float>? = nil, location: UnsafeMutablePointer<Float>? = nil,
                        allowAVX: Bool = true) {
        typealias V = SIMD8<Float>
        typealias U = SIMD8<UInt32>
        // |v| by clearing the sign bit: one AND, where a compare-and-blend takes four SSE2 ops.
        @inline(__always) func vabs(_ v: V) -> V { unsafeBitCast(unsafeBitCast(v, to: U.self) & 0x7FFF_FFFF, to: V.self) }
        @inline(__always) func ld(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func scalar(_ x: Int, _ y: Int) {
            let i = y * w + x
            var fine = (Float(0), Float(0), Float(0))
            var bestKey: Float = 0
            for si in 0..<k {
                let norm = norms[si]
                let (a0, b0, c0) = hessian(planes + si * planeStride, width: w, height: h, x: x, y: y)
                let a = a0 * norm, b = b0 * norm, c = c0 * norm
                var r = ridge(a, b, c, beta: beta)
                if si == 0 { fine = (a, b, c) } else if pairGuard > 0 && fineAcross(fine, a, b, c) < -pairGuard { r = 0 }
                if let keys {
                    // `ScaleChoice.weighted` (no location) or `.localised`.
                    let key = r * keys[si]
                    if let location {
                        if si == 0 || r > response[i] { response[i] = r }
                        if si == 0 || key > location[i] { location[i] = key; normal[i] = direction(a, b, c) }
                    } else if si == 0 || key > bestKey {
                        bestKey = key; response[i] = r; normal[i] = direction(a, b, c)
                    }
                } else if si == 0 || r > response[i] { response[i] = r; normal[i] = direction(a, b, c) }
            }
        }
        // On AVX CPUs everything runs in C (`CTEMSIMD`): the interior's eight-pixel groups on one
        // 8-lane register with this vector loop's operations, then the border and the columns
        // the groups do not reach with `scalar`'s own association (its a = (r − 2c) + l is not
        // the vector loop's (l + r) − 2c), so every pixel is bit-for-bit what this Swift code gives.
        // `ScaleChoice.weighted` (keys without a location map) runs there too; `.localised` here.
        let avxEnd = 1 + ((w - 2) / 8) * 8
        if allowAVX && location == nil && w > 2 && h > 2 && useAVX {
            slp_tem_ridge_combine_avx(planes, planeStride, norms, keys, Int32(k), Int32(w), Int32(h), beta, pairGuard, response, normal)
            slp_tem_ridge_combine_rest_avx(planes, planeStride, norms, keys, Int32(k), Int32(w), Int32(h), beta, pairGuard,
                                           Int32(avxEnd), response, normal)
            return
        }
        for y in 0..<h {
            guard y > 0 && y < h - 1 && w > 2 else {
                for x in 0..<w { scalar(x, y) }
                continue
            }
            scalar(0, y)
            var x = 1
            while x + 8 <= w - 1 {
                let i = y * w + x
                // Best response, and a − c and 2b of the best scale: the quantised normal is
                // derived once, from the winner, instead of at every scale.
                var best = V(), bestU = V(), bestV = V(), bestKey = V()
                var fa = V(), fb = V(), fc = V()
                for si in 0..<k {
                    let norm = norms[si]
                    let p = planes + si * planeStride + i
                    let cen = ld(p), l = ld(p - 1), r = ld(p + 1), up = ld(p - w), dn = ld(p + w)
                    let a = (l + r - 2 * cen) * norm
                    let c = (up + dn - 2 * cen) * norm
                    let b = (ld(p + w + 1) - ld(p + w - 1) - ld(p - w + 1) + ld(p - w - 1)) * (0.25 * norm)
                    let half = (a - c) * 0.5
                    let root = (half * half + b * b).squareRoot()
                    let mid = (a + c) * 0.5
                    // max(0, ·) by clearing every lane whose sign bit is set (one shift and an
                    // AND-NOT, where a compare-and-blend takes four SSE2 ops); −0 becomes +0.
                    let raw = unsafeBitCast((mid + root) - beta * vabs(mid - root), to: SIMD8<Int32>.self)
                    var resp = unsafeBitCast(raw & ~(raw &>> 31), to: V.self)
                    if si == 0 {
                        fa = a; fb = b; fc = c
                    } else if pairGuard > 0 {
                        // The finest scale's curvature along this scale's line normal:
                        // nᵀH₀n = (a₀+c₀)/2 + (a₀−c₀)/2·cos2θ + b₀·sin2θ, cos2θ = half/root, sin2θ = b/root.
                        var inv = 1 / root
                        inv.replace(with: 0, where: root .== 0)
                        let across = (fa + fc) * 0.5 + ((fa - fc) * 0.5 * half + fb * b) * inv
                        resp.replace(with: 0, where: across .< -pairGuard)
                    }
                    if si == 0 {
                        best = resp
                        bestU = a - c
                        bestV = 2 * b
                        if let keys { bestKey = resp * keys[si] }
                    } else if let keys {
                        // `ScaleChoice.weighted` / `.localised`: the normal (and, weighted, the
                        // response) of the scale with the largest σ^γ-weighted response.
                        let key = resp * keys[si]
                        let better = key .> bestKey
                        bestKey.replace(with: key, where: better)
                        bestU.replace(with: a - c, where: better)
                        bestV.replace(with: 2 * b, where: better)
                        best.replace(with: resp, where: location == nil ? better : resp .> best)
                    } else {
                        let better = resp .> best
                        best.replace(with: resp, where: better)
                        bestU.replace(with: a - c, where: better)
                        bestV.replace(with: 2 * b, where: better)
                    }
                }
                if let location { UnsafeMutableRawPointer(location + i).storeBytes(of: bestKey, as: V.self) }
                var bestD = V(repeating: 3)
                bestD.replace(with: 1, where: bestV .> 0)
                var horizontal = V(repeating: 2)
                horizontal.replace(with: 0, where: bestU .> 0)
                bestD.replace(with: horizontal, where: vabs(bestV) .< vabs(bestU))
                UnsafeMutableRawPointer(response + i).storeBytes(of: best, as: V.self)
                UnsafeMutableRawPointer(normal + i).storeBytes(of: bestD, as: V.self)
                x += 8
            }
            while x < w { scalar(x, y); x += 1 }
        }
    }

    /// Reference twin of the multi-scale combination with fixed weights σ^γ (signed for the
    /// polarity) and the close-pair guard: every scale's Hessian from direct 2D smoothing in
    /// Double, the finest scale's curvature along each coarser scale's exact line normal
    /// (eigenvector by `atan2`, not the closed form the kernel uses), the per-pixel maximum. For tests.
    public static func referenceCombined(_ src: [Float], width: Int, height: Int, scales: [Double], beta: Double,
                                         brightLines: Bool = false, scaleExponent: Double = 1, pairGuard: Double) -> [Float] {
        let hessians = scales.map { sigma in
            referenceHessian(src, width: width, height: height, sigma: sigma, norm: pow(sigma, scaleExponent) * (brightLines ? -1 : 1))
        }
        return (0..<(width * height)).map { i in
            var best = 0.0
            for (si, hs) in hessians.enumerated() {
                let (a, b, c) = hs[i]
                let root = ((a - c) * (a - c) / 4 + b * b).squareRoot()
                let l1 = (a + c) / 2 + root, l2 = (a + c) / 2 - root
                var r = max(0, l1 - beta * abs(l2))
                if si > 0 && pairGuard > 0 && root > 0 {
                    let theta = 0.5 * atan2(2 * b, a - c)
                    let (nx, ny) = (cos(theta), sin(theta))
                    let (fa, fb, fc) = hessians[0][i]
                    if fa * nx * nx + 2 * fb * nx * ny + fc * ny * ny < -pairGuard { r = 0 }
                }
                best = si == 0 ? r : max(best, r)
            }
            return Float(best)
        }
    }

    /// Reference twin of one scale: Gaussian smoothing by direct 2D correlation (O(r²) per
    /// pixel, Double), then the same differences and formula per pixel in Double. For tests.
    public static func referenceResponse(_ src: [Float], width: Int, height: Int, sigma: Double, beta: Double,
                                         brightLines: Bool = false, scaleExponent: Double = 2) -> [Float] {
        let norm = pow(sigma, scaleExponent) * (brightLines ? -1 : 1)
        return referenceHessian(src, width: width, height: height, sigma: sigma, norm: norm).map { a, b, c in
            let root = ((a - c) * (a - c) / 4 + b * b).squareRoot()
            let l1 = (a + c) / 2 + root, l2 = (a + c) / 2 - root
            return Float(max(0, l1 - beta * abs(l2)))
        }
    }

    /// The Hessian (a = ∂xx, b = ∂xy, c = ∂yy) of the image smoothed by direct 2D correlation in
    /// Double, by central differences with clamped borders, times `norm`: what both reference
    /// twins start from.
    static func referenceHessian(_ src: [Float], width: Int, height: Int, sigma: Double, norm: Double) -> [(Double, Double, Double)] {
        let g0 = GaussianFilter.kernel(sigma: sigma, order: 0)
        let sm = GaussianFilter.referenceSeparable(src, width: width, height: height, kx: g0, ky: g0).map(Double.init)
        return (0..<(width * height)).map { i in
            let x = i % width, y = i / width
            func at(_ x: Int, _ y: Int) -> Double { sm[min(height - 1, max(0, y)) * width + min(width - 1, max(0, x))] }
            let a = (at(x + 1, y) - 2 * at(x, y) + at(x - 1, y)) * norm
            let c = (at(x, y + 1) - 2 * at(x, y) + at(x, y - 1)) * norm
            let b = 0.25 * (at(x + 1, y + 1) - at(x - 1, y + 1) - at(x + 1, y - 1) + at(x - 1, y - 1)) * norm
            return (a, b, c)
        }
    }
}
