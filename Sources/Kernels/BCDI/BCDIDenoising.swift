#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The denoised phase: the complex field with the ramp demodulated, smoothed within the support
/// (`BCDIComplexSmoothing`) at a scale set by the measured noise, then its argument.
///
/// The scale is not a tuned constant: white noise of σ per component on an amplitude A gives a
/// phase noise of about σ/A per voxel, and smoothing with a Gaussian of width s divides σ by
/// `BCDIComplexSmoothing.noiseReduction(s)`. The smallest s that brings the phase noise at the
/// support's median amplitude down to `target` (default 0.1 rad, forty times below Ψ's 4 rad
/// cutoff, so that a pair of noise vortices needs a ≈ 15-σ excursion where the amplitude is
/// typical) is used, and none when the data already meet it. The width is capped (default 1.5
/// voxels): lines closer than about 2s would be averaged into each other.
public enum BCDIDenoising {
    /// The smoothing width (voxels) for noise `sigma` on median amplitude `amplitude`; 0 for none.
    public static func smoothingSigma(noise sigma: Double, amplitude: Double, target: Double, maximum: Double = 1.5) -> Double {
        guard sigma > 0, amplitude > 0, target > 0 else { return 0 }
        let needed = sigma / amplitude / target
        guard needed > 1 else { return 0 }
        if BCDIComplexSmoothing.noiseReduction(sigma: maximum) <= needed { return maximum }
        var lo = 0.25, hi = maximum
        for _ in 0..<30 {
            let mid = (lo + hi) / 2
            if BCDIComplexSmoothing.noiseReduction(sigma: mid) >= needed { hi = mid } else { lo = mid }
        }
        // Rounded up to 1/64 voxel so that a cached width and a recomputed one are the same value.
        return (hi * 64).rounded(.up) / 64
    }

    /// Median |ρ| over the support (0 for an empty support).
    public static func medianAmplitude(re: [Float], im: [Float], support: [UInt8]) -> Double {
        var a: [Float] = []
        for i in support.indices where support[i] != 0 { a.append((re[i] * re[i] + im[i] * im[i]).squareRoot()) }
        guard !a.isEmpty else { return 0 }
        return Double(Selection.select(&a, a.count / 2))
    }

    /// Planes `firstPlane ..< firstPlane + re.count / plane` of the volume `shape`: ρ·e^(−i g·(r − c))
    /// masked by `support` (the same planes), smoothed with width `sigma`, and its argument
    /// in (−π, π]. Planes within `BCDIComplexSmoothing.radius(sigma)` of a cut (not the array's
    /// border) are not exact: a slab reads that many halo planes.
    public static func phase(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape, firstPlane: Int,
                             ramp g: SIMD3<Double>, centroid c: SIMD3<Double>, sigma: Double) -> [Float] {
        let (sr, si) = field(re: re, im: im, support: support, shape: shape, firstPlane: firstPlane, ramp: g, centroid: c, sigma: sigma)
        var out = [Float](repeating: 0, count: re.count)
        for k in 0..<re.count { out[k] = atan2f(si[k], sr[k]) }
        return out
    }

    /// The smoothed demodulated field whose argument `phase` takes (the same planes).
    public static func field(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape, firstPlane: Int,
                             ramp g: SIMD3<Double>, centroid c: SIMD3<Double>, sigma: Double) -> (re: [Float], im: [Float]) {
        let offset = firstPlane * shape.planeCount
        var dr = [Float](repeating: 0, count: re.count), di = dr
        for k in 0..<re.count where support[k] != 0 {
            let (x, y, z) = shape.coordinates(of: k + offset)
            let t = -(g * (SIMD3(Double(x), Double(y), Double(z)) - c)).sum()
            let (cr, ci) = (cos(t), sin(t))
            dr[k] = Float(Double(re[k]) * cr - Double(im[k]) * ci)
            di[k] = Float(Double(re[k]) * ci + Double(im[k]) * cr)
        }
        let sub = BCDIShape(nz: re.count / shape.planeCount, ny: shape.ny, nx: shape.nx)
        return BCDIComplexSmoothing.smooth(re: dr, im: di, support: support, shape: sub, sigma: sigma)
    }
}
