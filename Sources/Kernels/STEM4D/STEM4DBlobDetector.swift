#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A detected circular blob (a particle seen in one view), image coordinates in px.
public struct STEM4DBlob: Sendable, Hashable, Codable {
    /// Centre, image px (x = column, y = row).
    public var x: Double
    public var y: Double
    /// Radius, px (LoG scale × `radiusScale`).
    public var radius: Double
    /// LoG response at the peak in noise units of its scale (a signal-to-noise ratio).
    public var strength: Double

    /// A blob at (`x`, `y`).
    public init(x: Double, y: Double, radius: Double, strength: Double) {
        self.x = x; self.y = y; self.radius = radius; self.strength = strength
    }
}

/// Multi-scale Laplacian-of-Gaussian blob detector with sub-pixel refinement.
///
/// The scale-normalised response −σ²∇²(G_σ * I) is a matched filter for disks of radius
/// ≈ √2·σ. Peaks are local maxima over space and scale whose response exceeds `threshold`
/// times the noise at that scale (pixel noise from the MAD of neighbour differences times
/// the filter's white-noise gain, so crowded images do not raise the threshold); position
/// is refined by a 2D quadratic fit and radius by a parabola across scales. A coarse-scale
/// blob made of two or more separate finer blobs (touching or chained particles) gives way
/// to them; blobs cut by the image border are kept when the pixels inside show them.
public struct STEM4DBlobDetector: Sendable, Hashable {
    /// Radii searched, px: `radiusMin`…`radiusMax` by `radiusStep`.
    public var radiusMin: Double
    public var radiusMax: Double
    public var radiusStep: Double
    /// Detect dark blobs on a bright background (bright-field particles) when true.
    public var dark: Bool
    /// Peak threshold in noise units.
    public var threshold: Double
    /// Radius calibration: reported radius = `radiusScale` × √2 σ. The default 2/√3 fits the
    /// chord profile √(1 − ρ²/R²) of a projected sphere (plain LoG gave 0.866 R on synthetic data);
    /// use 1.0 for flat disks.
    public var radiusScale: Double

    /// A detector for blobs of radius 2…8 px by default.
    public init(radiusMin: Double = 2, radiusMax: Double = 8, radiusStep: Double = 0.5, dark: Bool = true,
                threshold: Double = 6, radiusScale: Double = 2 / 3.0.squareRoot()) {
        self.radiusMin = radiusMin; self.radiusMax = radiusMax; self.radiusStep = radiusStep
        self.dark = dark; self.threshold = threshold; self.radiusScale = radiusScale
    }

    /// Detects blobs in `image`.
    public func detect(_ image: STEM4DImage) -> [STEM4DBlob] {
        let w = image.cols, h = image.rows
        let sign: Float = dark ? -1 : 1
        let base = STEM4DImage(rows: h, cols: w, pixels: image.pixels.map { sign * $0 })
        var radii: [Double] = []
        var r = radiusMin
        while r <= radiusMax + 1e-9 { radii.append(r); r += radiusStep }
        // Pixel noise from neighbour differences (robust to smooth structure and to how much
        // of the image the blobs cover), propagated through each scale's linear filter.
        var diffs: [Float] = []
        diffs.reserveCapacity(w * h)
        for y in 0..<h { for x in 1..<w { diffs.append(abs(base.pixels[y * w + x] - base.pixels[y * w + x - 1])) } }
        diffs.sort()
        let pixelNoise = diffs.isEmpty ? 1 : max(Double(diffs[diffs.count / 2]) * 1.4826 / 2.0.squareRoot(), 1e-12)
        // Scale-normalised responses (scale selection) and each layer's noise (threshold).
        var layers: [[Float]] = []
        var noises: [Float] = []
        for rad in radii {
            let sigma = rad / 2.0.squareRoot()
            let resp = Self.response(base, sigma: sigma)
            noises.append(Float(pixelNoise * Self.filterGain(sigma: sigma)))
            let sorted = resp.sorted()
            let med = sorted[sorted.count / 2]
            layers.append(resp.map { $0 - med })
        }
        var blobs: [STEM4DBlob] = []
        let L = layers.count
        for l in 0..<L {
            let c = layers[l]
            for y in 0..<h {
                for x in 0..<w {
                    let v = c[y * w + x]
                    guard v >= Float(threshold) * noises[l],
                          Self.isScaleSpaceMaximum(layers, l: l, x: x, y: y, w: w, h: h) else { continue }
                    // Sub-pixel position where both neighbours exist (not on the border row or column).
                    let vv = Double(v)
                    let ox = x > 0 && x < w - 1 ? Self.parabola(Double(c[y * w + x - 1]), vv, Double(c[y * w + x + 1])) : 0
                    let oy = y > 0 && y < h - 1 ? Self.parabola(Double(c[(y - 1) * w + x]), vv, Double(c[(y + 1) * w + x])) : 0
                    var rad = radii[l]
                    if l > 0 && l < L - 1 {
                        rad += radiusStep * Self.parabola(Double(layers[l - 1][y * w + x]), vv, Double(layers[l + 1][y * w + x]))
                    }
                    blobs.append(STEM4DBlob(x: Double(x) + ox, y: Double(y) + oy, radius: rad * radiusScale,
                                            strength: vv / Double(noises[l])))
                }
            }
        }
        // Centres within half a radius of the border: particles cut by the scan edge, but also
        // the surround lobes of blobs inside reflected by the clamped border. They are kept
        // only when the pixels inside the image show the blob (core against ring) and after
        // every inner blob, so a lobe never displaces a real particle.
        func hugsBorder(_ b: STEM4DBlob) -> Bool {
            let m = max(1, 0.5 * b.radius)
            return b.x < m || b.y < m || b.x > Double(w - 1) - m || b.y > Double(h - 1) - m
        }
        let inner = Self.suppressOverlaps(Self.separatingClusters(blobs.filter { !hugsBorder($0) }), then: [])
        let border = blobs.filter { b in
            guard hugsBorder(b) else { return false }
            let c = Self.contrast(base, b, excluding: inner)
            return c.value >= threshold * pixelNoise * c.noise
        }
        return Self.suppressOverlaps(inner, then: border)
    }

    /// True when layer `l` at (`x`, `y`) is the largest of its 3×3×3 neighbourhood (ties to
    /// the first in scan order), neighbours outside the image or the scale range left out.
    static func isScaleSpaceMaximum(_ layers: [[Float]], l: Int, x: Int, y: Int, w: Int, h: Int) -> Bool {
        let v = layers[l][y * w + x]
        for dl in -1...1 where l + dl >= 0 && l + dl < layers.count {
            let o = layers[l + dl]
            for dy in -1...1 where y + dy >= 0 && y + dy < h {
                for dx in -1...1 where x + dx >= 0 && x + dx < w && !(dl == 0 && dx == 0 && dy == 0) {
                    let q = o[(y + dy) * w + x + dx]
                    if q > v || (q == v && (dl, dy, dx) < (0, 0, 0)) { return false }
                }
            }
        }
        return true
    }

    /// Drops a blob whose area is made of two or more separate smaller blobs (touching or
    /// chained particles, which a coarse scale sees as one): the parts — centres inside it,
    /// radii 0.4–0.85 of its radius, no two of them overlapping — must cover at least 40 % of
    /// its disk. A single particle's rim gives only small fragments that cover less.
    static func separatingClusters(_ blobs: [STEM4DBlob]) -> [STEM4DBlob] {
        let sorted = blobs.sorted { $0.strength > $1.strength }
        return sorted.filter { big in
            var parts: [STEM4DBlob] = []
            for b in sorted where b.radius >= 0.4 * big.radius && b.radius <= 0.85 * big.radius
                && distance(b, big) <= big.radius && !parts.contains(where: { overlaps($0, b) }) {
                parts.append(b)
            }
            let covered = parts.map { $0.radius * $0.radius }.reduce(0, +)
            return parts.count < 2 || covered < 0.4 * big.radius * big.radius
        }
    }

    /// Strongest first, a blob is kept unless it overlaps one already kept (the same blob at
    /// distant scales); the `then` blobs come after all of `first`.
    static func suppressOverlaps(_ first: [STEM4DBlob], then: [STEM4DBlob]) -> [STEM4DBlob] {
        var kept: [STEM4DBlob] = []
        for group in [first, then] {
            for b in group.sorted(by: { $0.strength > $1.strength }) where !kept.contains(where: { overlaps($0, b) }) {
                kept.append(b)
            }
        }
        return kept
    }

    static func distance(_ a: STEM4DBlob, _ b: STEM4DBlob) -> Double {
        ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
    }

    static func overlaps(_ a: STEM4DBlob, _ b: STEM4DBlob) -> Bool { distance(a, b) < 0.7 * max(a.radius, b.radius) }

    /// How far the blob's core (within 0.7 r) stands out of the plane fitted to the ring
    /// 1.3 r … 2 r around it, pixels inside the image and outside the disks (1.2 r) of the
    /// `excluding` blobs only: (mean of core − plane, and the standard deviation of that number
    /// in units of the pixel noise). A plane, not a mean, so that a brightness gradient (a
    /// wedge-shaped sample) at the border is no blob; other particles are no background.
    static func contrast(_ image: STEM4DImage, _ b: STEM4DBlob, excluding others: [STEM4DBlob] = []) -> (value: Double, noise: Double) {
        let near = others.filter { distance($0, b) < 2 * b.radius + 1.2 * $0.radius }
        var core: [(Double, Double, Double)] = [], ring: [(Double, Double, Double)] = []
        let reach = Int((2 * b.radius).rounded(.up)) + 1
        for y in max(0, Int(b.y) - reach)...min(image.rows - 1, Int(b.y) + reach) {
            for x in max(0, Int(b.x) - reach)...min(image.cols - 1, Int(b.x) + reach) {
                let dx = Double(x) - b.x, dy = Double(y) - b.y
                let d = (dx * dx + dy * dy).squareRoot()
                if near.contains(where: { o in
                    (Double(x) - o.x) * (Double(x) - o.x) + (Double(y) - o.y) * (Double(y) - o.y) < 1.44 * o.radius * o.radius }) { continue }
                let v = Double(image.pixels[y * image.cols + x])
                if d <= 0.7 * b.radius { core.append((dx, dy, v)) } else if d >= 1.3 * b.radius && d <= 2 * b.radius { ring.append((dx, dy, v)) }
            }
        }
        guard !core.isEmpty, ring.count >= 6 else { return (0, .infinity) }
        // Least squares v ≈ p0 + p1 dx + p2 dy over the ring.
        var m = [[Double]](repeating: [0, 0, 0], count: 3), rhs = [0.0, 0.0, 0.0]
        for (dx, dy, v) in ring {
            let g = [1, dx, dy]
            for i in 0..<3 { rhs[i] += g[i] * v; for j in 0..<3 { m[i][j] += g[i] * g[j] } }
        }
        let n = Double(core.count)
        let mean = [1, core.map(\.0).reduce(0, +) / n, core.map(\.1).reduce(0, +) / n]
        guard let plane = STEM4DParticleStereo.solve3(m, rhs), let q = STEM4DParticleStereo.solve3(m, mean) else { return (0, .infinity) }
        let predicted = (0..<3).map { plane[$0] * mean[$0] }.reduce(0, +)
        let value = core.map(\.2).reduce(0, +) / n - predicted
        // Var(core mean) = σ²/n; Var(plane at the core's mean position) = σ² ḡᵀ M⁻¹ ḡ.
        let extrapolation = (0..<3).map { q[$0] * mean[$0] }.reduce(0, +)
        return (value, (1 / n + max(0, extrapolation)).squareRoot())
    }

    /// −σ²∇²(G_σ * I), with the 5-point Laplacian.
    static func response(_ img: STEM4DImage, sigma: Double) -> [Float] {
        let g = img.gaussianBlurred(sigma: sigma)
        let w = img.cols, h = img.rows
        var resp = [Float](repeating: 0, count: w * h)
        let s2 = Float(sigma * sigma)
        for y in 0..<h {
            for x in 0..<w {
                resp[y * w + x] = -s2 * (g[x - 1, y] + g[x + 1, y] + g[x, y - 1] + g[x, y + 1] - 4 * g[x, y])
            }
        }
        return resp
    }

    /// L2 norm of the response filter (its gain on white noise), from its impulse response.
    static func filterGain(sigma: Double) -> Double {
        let n = 2 * Int((3 * sigma).rounded(.up)) + 5
        var px = [Float](repeating: 0, count: n * n)
        px[(n / 2) * n + n / 2] = 1
        let r = response(STEM4DImage(rows: n, cols: n, pixels: px), sigma: sigma)
        return r.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// Offset of the vertex of the parabola through (−1, a), (0, b), (1, c), clamped to ±0.5.
    static func parabola(_ a: Double, _ b: Double, _ c: Double) -> Double {
        let den = a - 2 * b + c
        guard den < 0 else { return 0 }
        return min(0.5, max(-0.5, 0.5 * (a - c) / den))
    }
}
