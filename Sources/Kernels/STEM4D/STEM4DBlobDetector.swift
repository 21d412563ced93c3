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
/// is refined by a 2D quadratic fit and radius by a parabola across scales.
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
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    let v = c[y * w + x]
                    guard v >= Float(threshold) * noises[l] else { continue }
                    var isMax = true
                    outer: for dl in -1...1 where l + dl >= 0 && l + dl < L {
                        let o = layers[l + dl]
                        for dy in -1...1 {
                            for dx in -1...1 where !(dl == 0 && dx == 0 && dy == 0) {
                                let q = o[(y + dy) * w + x + dx]
                                if q > v || (q == v && (dl, dy, dx) < (0, 0, 0)) { isMax = false; break outer }
                            }
                        }
                    }
                    guard isMax else { continue }
                    let xm = Double(c[y * w + x - 1]), xp = Double(c[y * w + x + 1])
                    let ym = Double(c[(y - 1) * w + x]), yp = Double(c[(y + 1) * w + x])
                    let vv = Double(v)
                    let ox = Self.parabola(xm, vv, xp), oy = Self.parabola(ym, vv, yp)
                    var rad = radii[l]
                    if l > 0 && l < L - 1 {
                        rad += radiusStep * Self.parabola(Double(layers[l - 1][y * w + x]), vv, Double(layers[l + 1][y * w + x]))
                    }
                    blobs.append(STEM4DBlob(x: Double(x) + ox, y: Double(y) + oy, radius: rad * radiusScale,
                                            strength: vv / Double(noises[l])))
                }
            }
        }
        // Peaks hugging the border at large scales are mostly the surround lobes of blobs
        // inside, reflected by the clamped border: drop centres within half a radius of it.
        blobs.removeAll { b in
            let m = max(1, 0.5 * b.radius)
            return b.x < m || b.y < m || b.x > Double(w - 1) - m || b.y > Double(h - 1) - m
        }
        // Overlapping detections (e.g. the same blob at distant scales): keep the strongest.
        blobs.sort { $0.strength > $1.strength }
        var kept: [STEM4DBlob] = []
        for b in blobs where !kept.contains(where: { k in
            let d = ((k.x - b.x) * (k.x - b.x) + (k.y - b.y) * (k.y - b.y)).squareRoot()
            return d < 0.7 * max(k.radius, b.radius)
        }) { kept.append(b) }
        return kept
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
