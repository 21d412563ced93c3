/// Undoing part of the resolution blur of a complex field before its vortices are found.
///
/// Blur is a convolution of the complex field ρ with a Gaussian G_σ: it annihilates vortex
/// pairs a few σ apart, shrinks loops by ≈ σ²/r and moves a line across a phase ramp g by
/// σ²·g — in the data itself, so no finder working on the blurred field gets them back. With
/// σ measured from the surface (`BCDIBlurEstimate`) the blur can be partly inverted:
///
///     x = argmin ‖P G_e P x − y‖² + λ‖x‖²,   x = 0 outside the support P,
///
/// solved by conjugate gradients on the normal equations (P G_e P G_e P + λ) x = P G_e P y
/// (G_e is symmetric; both applications are the SIMD separable smoothing,
/// `BCDIComplexSmoothing`). G_e has width σ_e = √(σ² − σ_r²): a residual blur σ_r is left, because
/// inverting the last voxel's worth amplifies the noise most and gains least (vortices a voxel
/// apart are noise pairs anyway). λ is the Wiener ratio of noise to signal power per voxel,
/// (σ_noise / A)², with the noise σ and the amplitude A measured in the volume, so clean data
/// are sharpened hard and noisy data gently. The support constraint is BCDI's own prior: the
/// crystal is zero outside it.
public enum BCDIDeconvolution {
    /// Result of one deconvolution.
    public struct Result: Sendable {
        public var re: [Float]
        public var im: [Float]
        /// Width of the blur inverted, voxels (0: nothing done).
        public var inverted: Double
        /// Tikhonov weight used.
        public var lambda: Double
        /// Conjugate-gradient iterations (the larger of the two components).
        public var iterations: Int
    }

    /// The blur width to invert: √(σ² − residual²), 0 when σ ≤ residual.
    public static func invertedWidth(blur sigma: Double, residual: Double) -> Double {
        sigma > residual ? (sigma * sigma - residual * residual).squareRoot() : 0
    }

    /// Deconvolves `re + i·im` by a Gaussian of width `width` within `support` (voxels outside
    /// come out zero), with Tikhonov weight `lambda`. The operator is real, so both components
    /// are one real system of twice the size, solved together (one smoothing pass serves both).
    public static func deconvolve(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape, width: Double,
                                  lambda: Double, maxIterations: Int = 60, tolerance: Double = 1e-3) -> Result {
        precondition(re.count == shape.count && im.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        guard width > 0 else { return Result(re: re, im: im, inverted: 0, lambda: lambda, iterations: 0) }
        let n = shape.count
        typealias Field = (re: [Float], im: [Float])
        func masked(_ f: Field) -> Field {
            var f = f
            for i in 0..<n where support[i] == 0 {
                f.re[i] = 0
                f.im[i] = 0
            }
            return f
        }
        // P G P v: the smoothing masks its input by the support; the output is masked here.
        func blur(_ f: Field) -> Field {
            masked(BCDIComplexSmoothing.smooth(re: f.re, im: f.im, support: support, shape: shape, sigma: width))
        }
        let l = Float(lambda)
        func apply(_ f: Field) -> Field {
            var out = blur(blur(f))
            for i in 0..<n where support[i] != 0 {
                out.re[i] += l * f.re[i]
                out.im[i] += l * f.im[i]
            }
            return out
        }
        func dot(_ a: Field, _ b: Field) -> Double { dotProduct(a.re, b.re) + dotProduct(a.im, b.im) }

        var x = masked((re, im))
        let b = blur(x)
        let ax = apply(x)
        var r: Field = (zip(b.re, ax.re).map { $0 - $1 }, zip(b.im, ax.im).map { $0 - $1 })
        var p = r
        var rr = dot(r, r)
        let bb = max(dot(b, b), .leastNormalMagnitude)
        var iterations = 0
        while iterations < maxIterations && rr > tolerance * tolerance * bb {
            let ap = apply(p)
            let pap = dot(p, ap)
            guard pap > 0 else { break }
            let alpha = Float(rr / pap)
            for i in 0..<n {
                x.re[i] += alpha * p.re[i]
                x.im[i] += alpha * p.im[i]
                r.re[i] -= alpha * ap.re[i]
                r.im[i] -= alpha * ap.im[i]
            }
            let next = dot(r, r)
            let beta = Float(next / rr)
            rr = next
            for i in 0..<n {
                p.re[i] = r.re[i] + beta * p.re[i]
                p.im[i] = r.im[i] + beta * p.im[i]
            }
            iterations += 1
        }
        return Result(re: x.re, im: x.im, inverted: width, lambda: lambda, iterations: iterations)
    }

    /// Σ a·b in SIMD8 lanes, flushed to Double every 4096 elements so long volumes keep precision.
    static func dotProduct(_ a: [Float], _ b: [Float]) -> Double {
        let n = min(a.count, b.count)
        var s = 0.0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var i = 0
                var acc = SIMD8<Float>(repeating: 0)
                while i + 8 <= n {
                    acc += UnsafeRawPointer(pa.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                        * UnsafeRawPointer(pb.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                    i += 8
                    if i % 4096 == 0 {
                        s += Double(acc.sum())
                        acc = SIMD8<Float>(repeating: 0)
                    }
                }
                s += Double(acc.sum())
                while i < n {
                    s += Double(pa[i]) * Double(pb[i])
                    i += 1
                }
            }
        }
        return s
    }
}
