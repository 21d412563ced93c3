/// The naive Ψα, written straight from the paper (Sec. 2, steps 1–3) to check the fast kernel.
///
/// For each unmasked voxel: collect the wrapped phases of the unmasked voxels in the
/// (2α+1)³ neighbourhood clipped at the array border, sort, keep the distinct values
/// θ₁ < … < θₙ, form Aᵢ = 2π − (θᵢ₊₁ − θᵢ) and Aₙ = θₙ − θ₁, and return min A.
/// Ψ = 0 for masked voxels and where n < 2.
public enum BCDIPsiReference {
    /// Ψα for the output planes `zRange` (default: all) of `phase`/`support` of `shape`.
    /// `support` is nonzero inside the crystal (used) and zero for masked voxels.
    /// Returns `zRange.count × ny × nx` values in C order.
    public static func compute(
        phase: [Float], support: [UInt8], shape: BCDIShape, alpha: Int = 1, zRange: Range<Int>? = nil
    ) -> [Float] {
        precondition(phase.count == shape.count && support.count == shape.count, "buffers do not match shape \(shape)")
        precondition(alpha >= 0, "alpha must be ≥ 0")
        let zr = zRange ?? 0..<shape.nz
        precondition(zr.lowerBound >= 0 && zr.upperBound <= shape.nz, "zRange \(zr) outside 0..<\(shape.nz)")
        var out = [Float](repeating: 0, count: zr.count * shape.planeCount)
        var thetas: [Float] = []
        for z in zr {
            for y in 0..<shape.ny {
                for x in 0..<shape.nx where support[shape.index(x: x, y: y, z: z)] != 0 {
                    thetas.removeAll(keepingCapacity: true)
                    for zz in max(0, z - alpha)...min(shape.nz - 1, z + alpha) {
                        for yy in max(0, y - alpha)...min(shape.ny - 1, y + alpha) {
                            for xx in max(0, x - alpha)...min(shape.nx - 1, x + alpha) {
                                let i = shape.index(x: xx, y: yy, z: zz)
                                if support[i] != 0 { thetas.append(PhaseWrap.wrap(phase[i])) }
                            }
                        }
                    }
                    out[((z - zr.lowerBound) * shape.ny + y) * shape.nx + x] = psi(of: thetas)
                }
            }
        }
        return out
    }

    /// Ψ of one list of wrapped phases, exactly steps 1–3 of the paper.
    public static func psi(of phases: [Float]) -> Float {
        var sorted = phases.sorted()
        var distinct: [Float] = []
        for t in sorted where distinct.last != t { distinct.append(t) }
        sorted = distinct
        let n = sorted.count
        guard n >= 2 else { return 0 }
        var best = sorted[n - 1] - sorted[0]  // Aₙ
        for i in 0..<(n - 1) {
            best = min(best, PhaseWrap.twoPi - (sorted[i + 1] - sorted[i]))  // Aᵢ
        }
        return best
    }
}
