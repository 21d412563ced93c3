#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Gaussian-derivative Hessian of an image at one scale: the second derivatives
/// Lxx, Lxy, Lyy of G_σ * I, each a row-major image of the input's shape (borders clamped).
/// A dark line is a ridge where the larger eigenvalue is positive; its eigenvector is the
/// line's normal.
public struct STEM4DHessian: Sendable, Hashable {
    public var rows: Int
    public var cols: Int
    public var xx: [Float]
    public var xy: [Float]
    public var yy: [Float]

    /// Larger eigenvalue and the unit eigenvector (the normal of a dark line) of a Hessian.
    @inlinable public static func ridge(_ xx: Float, _ xy: Float, _ yy: Float) -> (lambda: Float, nx: Float, ny: Float) {
        let m = (xx + yy) / 2, d = (xx - yy) / 2
        let r = (d * d + xy * xy).squareRoot()
        let lambda = m + r
        // Eigenvector of [[xx, xy], [xy, yy]] for lambda: (xy, lambda − xx) or (lambda − yy, xy).
        // (xx − λ)·nx + xy·ny = 0 and xy·nx + (yy − λ)·ny = 0: take the better-conditioned row.
        var nx = xy, ny = lambda - xx
        if xx >= yy { nx = lambda - yy; ny = xy }
        let n = (nx * nx + ny * ny).squareRoot()
        return n > 0 ? (lambda, nx / n, ny / n) : (lambda, 1, 0)
    }

    /// The 1D kernels G, G′, G″ of scale `sigma`, radius ⌈4σ⌉ (G sums to 1; G′ and G″ are its
    /// exact derivatives, so a linear ramp has zero second derivative).
    static func kernels(sigma: Double) -> (g: [Float], d1: [Float], d2: [Float]) {
        let r = max(1, Int((4 * sigma).rounded(.up)))
        let s2 = sigma * sigma
        let raw = (-r...r).map { exp(-Double($0 * $0) / (2 * s2)) }
        let norm = raw.reduce(0, +)
        let g = raw.map { $0 / norm }
        let d1 = (-r...r).enumerated().map { i, x in -Double(x) / s2 * g[i] }
        var d2 = (-r...r).enumerated().map { i, x in (Double(x * x) / s2 - 1) / s2 * g[i] }
        // Discrete truncation leaves a small DC term in G″: remove it (flat → 0), then scale so a
        // unit parabola x²/2 gives exactly 1.
        let dc = d2.reduce(0, +) / Double(d2.count)
        d2 = d2.map { $0 - dc }
        let curv = (-r...r).enumerated().map { i, x in d2[i] * Double(x * x) / 2 }.reduce(0, +)
        d2 = d2.map { $0 / curv }
        let slope = (-r...r).enumerated().map { i, x in d1[i] * Double(x) }.reduce(0, +)
        return (g.map(Float.init), d1.map { Float($0 / slope) }, d2.map(Float.init))
    }

    /// The Hessian of `image` at scale `sigma` (separable convolutions on unsafe buffers; the
    /// column pass runs eight columns at a time in `SIMD8<Float>`).
    public static func compute(_ image: STEM4DImage, sigma: Double) -> STEM4DHessian {
        let (g, d1, d2) = kernels(sigma: sigma)
        let w = image.cols, h = image.rows
        // Row pass: smooth, first and second derivative along x.
        let rg = convolveRows(image.pixels, w: w, h: h, kernel: g)
        let r1 = convolveRows(image.pixels, w: w, h: h, kernel: d1)
        let r2 = convolveRows(image.pixels, w: w, h: h, kernel: d2)
        return STEM4DHessian(rows: h, cols: w,
                             xx: convolveColumns(r2, w: w, h: h, kernel: g),
                             xy: convolveColumns(r1, w: w, h: h, kernel: d1),
                             yy: convolveColumns(rg, w: w, h: h, kernel: d2))
    }

    /// out(x, y) = Σ_k kernel[k] · in(clamp(x + k − r), y) — the correlation form, so an odd
    /// kernel measures the derivative towards +x.
    static func convolveRows(_ input: [Float], w: Int, h: Int, kernel: [Float]) -> [Float] {
        let r = kernel.count / 2
        var out = [Float](repeating: 0, count: w * h)
        input.withUnsafeBufferPointer { src in
            kernel.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<h {
                        let row = y * w
                        for x in 0..<w {
                            var acc: Float = 0
                            if x >= r && x + r < w {
                                for j in 0..<k.count { acc += k[j] * src[row + x + j - r] }
                            } else {
                                for j in 0..<k.count { acc += k[j] * src[row + min(max(x + j - r, 0), w - 1)] }
                            }
                            dst[row + x] = acc
                        }
                    }
                }
            }
        }
        return out
    }

    /// out(x, y) = Σ_k kernel[k] · in(x, clamp(y + k − r)), eight columns per step.
    static func convolveColumns(_ input: [Float], w: Int, h: Int, kernel: [Float]) -> [Float] {
        let r = kernel.count / 2
        var out = [Float](repeating: 0, count: w * h)
        input.withUnsafeBufferPointer { src in
            kernel.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { dst in
                    let wide = w - w % 8
                    for y in 0..<h {
                        var x = 0
                        while x < wide {
                            var acc = SIMD8<Float>(repeating: 0)
                            for j in 0..<k.count {
                                let yy = min(max(y + j - r, 0), h - 1)
                                acc += k[j] * SIMD8<Float>(src[(yy * w + x)..<(yy * w + x + 8)])
                            }
                            for l in 0..<8 { dst[y * w + x + l] = acc[l] }
                            x += 8
                        }
                        while x < w {
                            var acc: Float = 0
                            for j in 0..<k.count { acc += k[j] * src[min(max(y + j - r, 0), h - 1) * w + x] }
                            dst[y * w + x] = acc
                            x += 1
                        }
                    }
                }
            }
        }
        return out
    }

    /// The plain reference: each derivative as a direct 2D sum over the outer product of the
    /// 1D kernels, in `Double`.
    public static func reference(_ image: STEM4DImage, sigma: Double) -> STEM4DHessian {
        let (g, d1, d2) = kernels(sigma: sigma)
        let r = g.count / 2, w = image.cols, h = image.rows
        func conv(_ kx: [Float], _ ky: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: w * h)
            for y in 0..<h {
                for x in 0..<w {
                    var acc = 0.0
                    for j in -r...r {
                        for i in -r...r {
                            acc += Double(ky[j + r]) * Double(kx[i + r]) * Double(image[x + i, y + j])
                        }
                    }
                    out[y * w + x] = Float(acc)
                }
            }
            return out
        }
        return STEM4DHessian(rows: h, cols: w, xx: conv(d2, g), xy: conv(d1, d1), yy: conv(g, d2))
    }
}
