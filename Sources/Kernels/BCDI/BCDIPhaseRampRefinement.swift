#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BCDIPhaseRamp {
    /// The ramp refined on the support by an iterated robust least-squares plane fit: with the
    /// current ramp removed, the residual phase differences between interior neighbours are
    /// wrapped (unwrapping in the small: a step of one voxel) and their amplitude-weighted mean
    /// per axis — the least-squares plane slope of the residual phase — is added to the ramp.
    /// Differences above 1 rad after removal are left out: they sit at vortex cores, branch
    /// cuts and noise, which would pull a plain mean. Each pass sharpens that test, so a few
    /// passes converge; `initial` (the amplitude-weighted Bragg-peak centring of `estimate`)
    /// starts it close.
    ///
    /// Only pairs in runs of four supported voxels count, as in `estimate`: at the surface a
    /// blurred field's phase is bent by the ramp itself (by about σ²·g·∇ln|ρ|).
    public static func refine(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape, initial: SIMD3<Double>, passes: Int = 3) -> SIMD3<Double> {
        precondition(re.count == shape.count && im.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        var theta = [Float](repeating: 0, count: shape.count), amp = theta
        for i in 0..<shape.count where support[i] != 0 {
            theta[i] = atan2f(im[i], re[i])
            amp[i] = (re[i] * re[i] + im[i] * im[i]).squareRoot()
        }
        let strides = [1, shape.nx, shape.planeCount], dims = [shape.nx, shape.ny, shape.nz]
        var g = initial
        for _ in 0..<passes {
            var sum = SIMD3<Double>.zero, weight = SIMD3<Double>.zero
            for k in 0..<3 {
                let s = strides[k], n = dims[k], gk = Float(g[k])
                var sk = 0.0, wk = 0.0
                for i in 0..<shape.count where support[i] != 0 {
                    let c = (i / s) % n
                    guard c >= 1, c < n - 2, support[i + s] != 0, support[i - s] != 0, support[i + 2 * s] != 0 else { continue }
                    let d = PhaseWrap.difference(theta[i + s] - gk, theta[i])
                    guard abs(d) < 1 else { continue }
                    let w = Double(amp[i] * amp[i + s])
                    sk += w * Double(d)
                    wk += w
                }
                sum[k] = sk
                weight[k] = wk
            }
            for k in 0..<3 where weight[k] > 0 { g[k] += sum[k] / weight[k] }
        }
        return g
    }
}
