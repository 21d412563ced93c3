/// The derivative-based reference method the paper compares against, for speed and accuracy
/// comparisons (`method=derivative`).
///
/// For each of `offsets` global phase offsets φ₀ (1° steps for 360): wrap θ + φ₀, take forward
/// differences along x, y and z between supported neighbours, flag both ends of every
/// difference larger than `jumpThreshold` (the branch cut of a vortex), and grow the flags by
/// α (a voxel is flagged when a flagged voxel lies within its (2α+1)³ box). The cut moves round
/// the core as φ₀ turns, so the voxels flagged for every offset — the intersection — are the
/// core. Cost is offsets × (3 differences + dilation) per voxel, the point of the comparison.
public enum BCDIDerivativeMethod {
    /// 1 for core voxels, 0 elsewhere (C order, `shape`).
    public static func detect(
        phase: [Float], support: [UInt8], shape: BCDIShape, offsets: Int = 360, jumpThreshold: Float = .pi, alpha: Int = 1
    ) -> [UInt8] {
        precondition(phase.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        precondition(offsets > 0 && alpha >= 0, "offsets must be > 0 and alpha ≥ 0")
        let n = shape.count
        var count = [UInt16](repeating: 0, count: n)
        var flag = [UInt8](repeating: 0, count: n), tmp = flag
        var wrapped = [Float](repeating: 0, count: n)
        let strides = [1, shape.nx, shape.planeCount], dims = [shape.nx, shape.ny, shape.nz]
        for k in 0..<offsets {
            let phi0 = PhaseWrap.twoPi * Float(k) / Float(offsets)
            for i in 0..<n { wrapped[i] = PhaseWrap.wrap(phase[i] + phi0) }
            for i in 0..<n { flag[i] = 0 }
            for axis in 0..<3 {
                let s = strides[axis], d = dims[axis]
                for i in 0..<n where support[i] != 0 && (i / s) % d < d - 1 && support[i + s] != 0 {
                    if abs(wrapped[i + s] - wrapped[i]) > jumpThreshold {
                        flag[i] = 1
                        flag[i + s] = 1
                    }
                }
            }
            if alpha > 0 {
                for axis in 0..<3 {
                    let s = strides[axis], d = dims[axis]
                    for i in 0..<n {
                        let c = (i / s) % d
                        var hit: UInt8 = 0
                        for e in max(0, c - alpha)...min(d - 1, c + alpha) where flag[i + (e - c) * s] != 0 { hit = 1; break }
                        tmp[i] = hit
                    }
                    swap(&flag, &tmp)
                }
            }
            for i in 0..<n where flag[i] != 0 && support[i] != 0 { count[i] += 1 }
        }
        return count.map { $0 == offsets ? 1 : 0 }
    }
}
