#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the reconstruction is above its noise: the part of the support on which phases mean
/// something.
///
/// Where the true amplitude a falls to the level of the noise σ (a loose support, the blurred
/// surface, any low-density region), the phase is noise and splits into vortex–antivortex
/// pairs a voxel or two apart: Ψ flags them as cores and they trace short lines and small
/// loops. The noise level is measured in the volume itself (no fixed threshold), and voxels
/// whose local signal amplitude is below `snr`·σ are left out — except the holes this leaves
/// *inside* the crystal, which are dislocation cores (low amplitude by nature) and are put back.
public enum BCDINoiseSupport {
    /// σ of the complex noise (per real component) from the interior of `support`: the median
    /// modulus of ρ minus the mean of its six neighbours. For a smooth signal that residual is
    /// the noise alone, a complex Gaussian of per-component variance σ²·7/6 whose modulus has
    /// median σ·√(7/6)·√(2 ln 2). Lines, surfaces and ramps touch few voxels and barely move
    /// the median.
    public static func sigma(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape) -> Double {
        precondition(re.count == shape.count && im.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        guard shape.nx >= 3, shape.ny >= 3, shape.nz >= 3 else { return 0 }
        let sx = 1, sy = shape.nx, sz = shape.planeCount
        var moduli: [Float] = []
        for z in 1..<(shape.nz - 1) {
            for y in 1..<(shape.ny - 1) {
                for x in 1..<(shape.nx - 1) {
                    let i = shape.index(x: x, y: y, z: z)
                    let n = [i - sx, i + sx, i - sy, i + sy, i - sz, i + sz]
                    guard support[i] != 0, n.allSatisfy({ support[$0] != 0 }) else { continue }
                    var mr: Float = 0, mi: Float = 0
                    for j in n {
                        mr += re[j]
                        mi += im[j]
                    }
                    let dr = re[i] - mr / 6, di = im[i] - mi / 6
                    moduli.append((dr * dr + di * di).squareRoot())
                }
            }
        }
        guard !moduli.isEmpty else { return 0 }
        let k = moduli.count / 2
        let median = Double(Selection.select(&moduli, k))
        return median / ((7.0 / 6.0).squareRoot() * (2 * 0.6931471805599453).squareRoot())
    }

    /// `support` less the voxels whose local signal amplitude (from the mean power over the
    /// 3×3×3 box within the support, less the noise power 2σ²) is below `snr`·σ or below
    /// `threshold` times its maximum (a loose support's shell of blur tails), then closed
    /// (radius 2, sealing where a core tube meets the surface) and with enclosed holes filled,
    /// and never beyond `support`. With σ = 0 and no threshold it is `support`.
    /// `averaged`: the field is already smoothed (`BCDIComplexSmoothing`), so each voxel's own
    /// power is the estimate — a box mean would carry the crystal's power a voxel out into the
    /// shell of a loose support, where the smoothed field is only the kernel's tail.
    public static func reliable(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape, sigma: Double, snr: Double = 2,
                                threshold: Float = 0, averaged: Bool = false) -> [UInt8] {
        guard sigma > 0 || threshold > 0 else { return support }
        let power = averaged
            ? support.indices.map { support[$0] != 0 ? re[$0] * re[$0] + im[$0] * im[$0] : 0 }
            : boxMeanPower(re: re, im: im, support: support, shape: shape)
        let noisePower = Float(2 * sigma * sigma)
        let signalPeak = max(0, (power.max() ?? 0) - noisePower)
        var cut = max(Float(snr * snr * sigma * sigma), threshold * threshold * signalPeak) + noisePower
        if averaged {
            // One voxel's power is a noisy estimate: pure noise has |ρ|² exponential with mean
            // 2σ², so it passes a cut c with probability e^(−c/2σ²) (5 % at snr 2), and the
            // closing would join such voxels to the crystal. The cut is raised to a false-alarm
            // rate of 10⁻³ per voxel.
            cut = max(cut, noisePower * Float(log(1000.0)))
        }
        let kept = power.map { UInt8($0 >= cut ? 1 : 0) }
        var out = BCDISupport.close(kept, shape: shape, radius: 2)
        BCDISupport.fillHoles(&out, shape: shape)
        for i in 0..<shape.count where support[i] == 0 { out[i] = 0 }
        return out
    }

    /// The support when the reconstruction stores none: the local signal amplitude (as in
    /// `reliable`) at least `threshold` times its maximum and `snr`·σ, closed (radius 2) and
    /// with enclosed holes filled (`BCDISupport.fromAmplitude` on a noise-free amplitude).
    /// σ is measured on the voxels whose local amplitude is at least half the maximum (the
    /// crystal's interior, whatever the noise). Returns the support and σ.
    public static func fromAmplitude(re: [Float], im: [Float], shape: BCDIShape, threshold: Float, snr: Double = 2) -> (support: [UInt8], sigma: Double) {
        let all = [UInt8](repeating: 1, count: shape.count)
        let raw = boxMeanPower(re: re, im: im, support: all, shape: shape)
        let peak = raw.max() ?? 0
        let interior = raw.map { UInt8($0 >= 0.25 * peak && peak > 0 ? 1 : 0) }
        let sigma = self.sigma(re: re, im: im, support: interior, shape: shape)
        let noisePower = Float(2 * sigma * sigma)
        let signal = raw.map { max(0, $0 - noisePower) }
        let signalPeak = signal.max() ?? 0
        let cut = max(threshold * threshold * signalPeak, Float(snr * snr * sigma * sigma))
        var support = signal.map { UInt8($0 >= cut && $0 > 0 ? 1 : 0) }
        support = BCDISupport.close(support, shape: shape, radius: 2)
        BCDISupport.fillHoles(&support, shape: shape)
        return (support, sigma)
    }

    /// Mean |ρ|² over the 3×3×3 box of each supported voxel, within the support (0 outside).
    static func boxMeanPower(re: [Float], im: [Float], support: [UInt8], shape: BCDIShape) -> [Float] {
        var power = [Float](repeating: 0, count: shape.count)
        for i in 0..<shape.count where support[i] != 0 { power[i] = re[i] * re[i] + im[i] * im[i] }
        var out = [Float](repeating: 0, count: shape.count)
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                for x in 0..<shape.nx {
                    let i = shape.index(x: x, y: y, z: z)
                    guard support[i] != 0 else { continue }
                    var sum: Float = 0, n: Float = 0
                    for dz in max(0, z - 1)...min(shape.nz - 1, z + 1) {
                        for dy in max(0, y - 1)...min(shape.ny - 1, y + 1) {
                            for dx in max(0, x - 1)...min(shape.nx - 1, x + 1) {
                                let j = shape.index(x: dx, y: dy, z: dz)
                                guard support[j] != 0 else { continue }
                                sum += power[j]
                                n += 1
                            }
                        }
                    }
                    out[i] = sum / n
                }
            }
        }
        return out
    }
}
