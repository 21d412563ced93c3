#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Phase extraction with removal of a residual linear phase ramp (which alone gives Ψ ≈ 6g
/// for g rad/voxel).
///
/// The ramp is estimated per axis as arg Σ ρ(x + eₖ)·conj ρ(x) over pairs inside the support:
/// the amplitude-weighted mean of the wrapped neighbour phase differences. It needs no
/// unwrapping and no FFT, and the ±2π jumps of a dislocation's branch cut are wrapped away,
/// so lines barely bias it. This is equivalent to centring the Bragg peak to first order.
public enum BCDIPhaseRamp {
    /// Ramp (gx, gy, gz) in rad/voxel of `re + i·im` over `support`.
    public static func estimate(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape) -> SIMD3<Double> {
        precondition(re.count == shape.count && im.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        var sr = SIMD3<Double>.zero, si = SIMD3<Double>.zero
        let strides = SIMD3<Int>(1, shape.nx, shape.planeCount)
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                for x in 0..<shape.nx {
                    let i = shape.index(x: x, y: y, z: z)
                    guard support[i] != 0 else { continue }
                    // Interior pairs only (a run of four supported voxels along the axis):
                    // at the surface the blurred field's phase is not the ramp's.
                    // (Coordinate c along axis k needs 1 ≤ c < n − 2, which implies c < n − 1.)
                    let inside = (x >= 1 && x < shape.nx - 2, y >= 1 && y < shape.ny - 2, z >= 1 && z < shape.nz - 2)
                    for k in 0..<3 where (k == 0 ? inside.0 : k == 1 ? inside.1 : inside.2) && support[i + strides[k]] != 0
                        && support[i - strides[k]] != 0 && support[i + 2 * strides[k]] != 0 {
                        let j = i + strides[k]
                        // ρ(j)·conj ρ(i)
                        sr[k] += Double(re[j] * re[i] + im[j] * im[i])
                        si[k] += Double(im[j] * re[i] - re[j] * im[i])
                    }
                }
            }
        }
        return SIMD3(atan2(si.x, sr.x), atan2(si.y, sr.y), atan2(si.z, sr.z))
    }

    /// Mean `[x, y, z]` of the support's voxels (zero for an empty support). Sharded runs use
    /// this too, so the ramp is removed about the same point, bit for bit.
    public static func supportCentroid(_ support: [UInt8], shape: BCDIShape) -> SIMD3<Double> {
        var c = SIMD3<Double>.zero
        var n = 0.0
        for i in 0..<shape.count where support[i] != 0 {
            let (x, y, z) = shape.coordinates(of: i)
            c += SIMD3(Double(x), Double(y), Double(z))
            n += 1
        }
        if n > 0 { c /= n }
        return c
    }

    /// The phase of `re + i·im` in (−π, π], with the ramp `g` removed about the support's
    /// centroid (so the remaining phase stays small) and wrapped again.
    public static func phase(re: [Float], im: [Float], shape: BCDIShape, removing g: SIMD3<Double>, support: [UInt8]) -> [Float] {
        let c = supportCentroid(support, shape: shape)
        var out = [Float](repeating: 0, count: shape.count)
        for i in 0..<shape.count {
            let (x, y, z) = shape.coordinates(of: i)
            let r = SIMD3(Double(x), Double(y), Double(z)) - c
            let t = atan2(Double(im[i]), Double(re[i])) - (g * r).sum()
            out[i] = Float(remainder(t, 2 * Double.pi))
        }
        return out
    }

    /// Estimates and removes the ramp in one call; `remove: false` only takes the phase.
    public static func extractPhase(
        re: [Float], im: [Float], support: [UInt8], shape: BCDIShape, remove: Bool = true
    ) -> (phase: [Float], ramp: SIMD3<Double>) {
        let g = remove ? estimate(re: re, im: im, support: support, shape: shape) : .zero
        return (phase(re: re, im: im, shape: shape, removing: g, support: support), g)
    }
}
