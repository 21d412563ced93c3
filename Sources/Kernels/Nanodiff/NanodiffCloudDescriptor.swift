import Foundation

/// A fixed-size voxelised descriptor of each position's point cloud, the input of the cloud
/// autoencoder: the cloud's voxels (pixels above each frame's Poisson threshold, weighted by
/// count − background, as the moment kernel keeps them) mapped to q and binned on a
/// `bins`³ grid in the scan's lattice frame — along n₀ (strain), e_a and e_b (tilts) — centred
/// on q₀ and spanning ±3 of the scan's typical cloud spread per axis; normalised to unit sum,
/// so it holds the cloud's shape and its shift from the reference, not its brightness.
public enum NanodiffCloudDescriptor {
    public static let bins = 6

    /// The typical cloud spread (Å⁻¹) along n₀, e_a and e_b: the median over valid positions.
    public static func spread(_ features: [NanodiffFeatures], frame: NanodiffLatticeFrame) -> SIMD3<Double> {
        var out = SIMD3<Double>(repeating: 0)
        for (k, e) in [frame.n0, frame.ea, frame.eb].enumerated() {
            let values = features.filter(\.isValid).map { f -> Double in
                let c = f.covariance
                return (e.x * e.x * c[0] + 2 * e.x * e.y * c[1] + 2 * e.x * e.z * c[2] + e.y * e.y * c[3] + 2 * e.y * e.z * c[4]
                    + e.z * e.z * c[5]).squareRoot()
            }
            out[k] = NanodiffLPAICI.median(values)
        }
        return out
    }

    /// `bins`³ values per position of `block` ([angle, position, det_row, det_col]); all zero
    /// where nothing was kept.
    public static func describe(_ block: UnsafeBufferPointer<UInt16>, angles: Int, positions: Int, width: Int, height: Int,
                                anglesDeg: [Double], geometry: NanodiffGeometry, frame: NanodiffLatticeFrame, spread: SIMD3<Double>,
                                threads: Int = 1) -> [[Double]] {
        let size = bins * bins * bins
        var out = [[Double]](repeating: [Double](repeating: 0, count: size), count: positions)
        let step = 6 * spread / Double(bins)
        let axes = [frame.n0, frame.ea, frame.eb]
        out.withUnsafeMutableBufferPointer { results in
            let shared = UnsafeSendable(results)
            Parallel.forEach(positions, threads: threads) { p in
                var h = [Double](repeating: 0, count: size)
                let moments = NanodiffPositionAnalysis.moments(block, angles: angles, positions: positions, width: width, height: height, position: p)
                for a in 0..<angles {
                    let m = moments[a], base = (a * positions + p) * width * height
                    guard m.w > 0 else { continue }
                    let omega = anglesDeg[a] * .pi / 180
                    for v in 0..<height {
                        for u in 0..<width {
                            let count = Double(block[base + v * width + u])
                            guard count > m.threshold else { continue }
                            let d = geometry.q(u: Double(u), v: Double(v), omega: omega) - frame.q0
                            var index = 0
                            for k in 0..<3 {
                                let b = Int(((d * axes[k]).sum() / step[k] + Double(bins) / 2).rounded(.down))
                                guard b >= 0 && b < bins else { index = -1; break }
                                index = index * bins + b
                            }
                            if index >= 0 { h[index] += count - m.background }
                        }
                    }
                }
                let total = h.reduce(0, +)
                if total > 0 { shared.value[p] = h.map { $0 / total } }
            }
        }
        return out
    }
}
