#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Classic 2D gradient (Perlin) noise: random unit gradients on a square lattice of spacing
/// `wavelength` px, blended with the quintic fade 6t⁵ − 15t⁴ + 10t³. The paper's background is
/// the sum of two such fields; values lie roughly in [−0.7, 0.7] and are rescaled by the caller.
public enum PerlinNoise {
    public static func field(width: Int, height: Int, wavelength: Double, rng: inout SeededRandom) -> [Float] {
        let gw = Int((Double(width) / wavelength).rounded(.up)) + 2
        let gh = Int((Double(height) / wavelength).rounded(.up)) + 2
        var grad = [SIMD2<Double>](repeating: .zero, count: gw * gh)
        for i in 0..<grad.count {
            let a = rng.uniform(0...(2 * Double.pi))
            grad[i] = SIMD2(cos(a), sin(a))
        }
        // A random lattice offset so fields with equal wavelength do not share their zeros.
        let ox = rng.unit() * wavelength, oy = rng.unit() * wavelength
        @inline(__always) func fade(_ t: Double) -> Double { t * t * t * (t * (t * 6 - 15) + 10) }
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let fy = (Double(y) + oy) / wavelength
            let iy = Int(fy), ty = fy - Double(iy), v = fade(ty)
            for x in 0..<width {
                let fx = (Double(x) + ox) / wavelength
                let ix = Int(fx), tx = fx - Double(ix), u = fade(tx)
                let g00 = grad[iy * gw + ix], g10 = grad[iy * gw + ix + 1]
                let g01 = grad[(iy + 1) * gw + ix], g11 = grad[(iy + 1) * gw + ix + 1]
                let n00 = g00.x * tx + g00.y * ty
                let n10 = g10.x * (tx - 1) + g10.y * ty
                let n01 = g01.x * tx + g01.y * (ty - 1)
                let n11 = g11.x * (tx - 1) + g11.y * (ty - 1)
                let a = n00 + u * (n10 - n00), b = n01 + u * (n11 - n01)
                out[y * width + x] = Float(a + v * (b - a))
            }
        }
        return out
    }
}
