import Foundation

/// LPA-ICI denoising of one scan position's 3D diffraction signal (rocking angle × detector
/// rows × columns, photon counts) before its features, as the seed study does for its point
/// clouds.
///
/// Katkovnik's directional LPA-ICI (V. Katkovnik, "A new method for varying adaptive bandwidth
/// selection", IEEE Trans. Signal Processing 47(9), 1999; V. Katkovnik, K. Egiazarian,
/// J. Astola, J. Math. Imaging and Vision 16, 2002; Katkovnik, Foi, Egiazarian, Astola,
/// "Directional varying scale approximations for anisotropic signal processing", EUSIPCO 2004;
/// for Poisson data through a variance-stabilising transform, Foi et al., "Spatially adaptive
/// local approximations in signal and image processing", 2005): counts are Anscombe-transformed
/// (z = 2√(n + 3/8), variance ≈ 1 for any rate), then per voxel and per direction (±angle,
/// ±row, ±column) the zero-order local polynomial — the mean of the voxels on a ray of h + 1
/// voxels from it — is computed for h in `scales`; the ICI rule keeps the largest h whose
/// interval mean ± Γ/√(h+1) still intersects every smaller one's; the six directional estimates
/// are fused by inverse variance (weights h + 1) and transformed back ((z/2)² − 1/8).
/// A voxel at the peak's flank stops its rays where the intensity changes, so the peak's shape
/// is kept while the flat background is smoothed.
public enum NanodiffCloudLPAICI {
    public static let defaultScales = [0, 1, 2, 3, 5]

    /// Denoises `volume` ([angles][rows][cols], C order) into `out` (same layout).
    public static func denoise(_ volume: UnsafeBufferPointer<UInt16>, angles: Int, rows: Int, cols: Int, into out: UnsafeMutableBufferPointer<Float>,
                               gamma: Double = 2, scales: [Int] = defaultScales) {
        let n = angles * rows * cols
        precondition(volume.count == n && out.count == n, "volume and out must hold angles×rows×cols values")
        var z = [Float](repeating: 0, count: n)
        for i in 0..<n { z[i] = 2 * (Float(volume[i]) + 0.375).squareRoot() }
        let maxH = scales.max() ?? 0
        let strides = [(cols, 1, 2), (rows, cols, 1), (angles, rows * cols, 0)]  // (extent, stride, which coordinate)
        z.withUnsafeBufferPointer { z in
            for a in 0..<angles {
                for r in 0..<rows {
                    for c in 0..<cols {
                        let i = (a * rows + r) * cols + c
                        let coordinate = [a, r, c]
                        var num = 0.0, den = 0.0
                        for (extent, stride, axis) in strides {
                            for sign in [-1, 1] {
                                // Voxels available along this ray (the centre included).
                                let room = sign > 0 ? extent - 1 - coordinate[axis] : coordinate[axis]
                                var lo = -Double.infinity, hi = Double.infinity
                                var sum = 0.0, taken = 0, best = (mean: Double(z[i]), weight: 1.0)
                                for h in scales where h <= min(room, maxH) {
                                    while taken <= h { sum += Double(z[i + sign * stride * taken]); taken += 1 }
                                    let mean = sum / Double(h + 1), half = gamma / Double(h + 1).squareRoot()
                                    lo = max(lo, mean - half); hi = min(hi, mean + half)
                                    guard lo <= hi else { break }
                                    best = (mean, Double(h + 1))
                                }
                                num += best.mean * best.weight
                                den += best.weight
                            }
                        }
                        let zHat = num / den
                        out[i] = Float(max(0, zHat * zHat / 4 - 0.125))
                    }
                }
            }
        }
    }

    /// A position's denoised frames through the same moment kernel and features as the raw
    /// ones (`NanodiffPositionAnalysis`): `block` is [angle, position, det_row, det_col].
    public static func features(_ block: UnsafeBufferPointer<UInt16>, angles: Int, positions: Int, width: Int, height: Int,
                                anglesDeg: [Double], geometry: NanodiffGeometry, threads: Int = 1) -> [NanodiffFeatures?] {
        let frame = width * height
        var denoised = [Float](repeating: 0, count: block.count)
        denoised.withUnsafeMutableBufferPointer { out in
            let shared = UnsafeSendable((block, out))
            Parallel.forEach(positions, threads: threads) { p in
                var volume = [UInt16](repeating: 0, count: angles * frame)
                for a in 0..<angles {
                    for k in 0..<frame { volume[a * frame + k] = shared.value.0[(a * positions + p) * frame + k] }
                }
                var clean = [Float](repeating: 0, count: angles * frame)
                volume.withUnsafeBufferPointer { v in
                    clean.withUnsafeMutableBufferPointer { denoise(v, angles: angles, rows: height, cols: width, into: $0) }
                }
                for a in 0..<angles {
                    for k in 0..<frame { shared.value.1[(a * positions + p) * frame + k] = clean[a * frame + k] }
                }
            }
        }
        return denoised.withUnsafeBufferPointer {
            NanodiffPositionAnalysis.analyse($0, angles: angles, positions: positions, width: width, height: height,
                                             anglesDeg: anglesDeg, geometry: geometry, threads: threads)
        }
    }
}
