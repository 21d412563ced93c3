import Dispatch

extension BCDIPsi {
    /// Ψα over all planes, with z split into chunks run on `threads` threads.
    /// Identical to `compute`: each output voxel depends only on its own neighbourhood.
    public static func computeParallel(
        phase: UnsafeBufferPointer<Float>, support: UnsafeBufferPointer<UInt8>, shape: BCDIShape,
        alpha: Int = 1, threads: Int, into out: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(out.count == shape.count, "output holds \(out.count), needs \(shape.count)")
        // A few chunks per thread balance crystals that fill some planes more than others;
        // thread t takes chunks t, t + threads, …, so at most `threads` run at once.
        let workers = max(1, min(threads, shape.nz))
        let chunks = max(1, min(shape.nz, workers * 4))
        // Each chunk writes only its own planes of `out`.
        let args = UnsafeSendable((phase, support, out))
        Parallel.forEach(workers, threads: workers) { t in
            let (p, s, o) = args.value
            for c in Swift.stride(from: t, to: chunks, by: workers) {
                let z0 = shape.nz * c / chunks, z1 = shape.nz * (c + 1) / chunks
                let slice = UnsafeMutableBufferPointer(rebasing: o[(z0 * shape.planeCount)..<(z1 * shape.planeCount)])
                compute(phase: p, support: s, shape: shape, alpha: alpha, zRange: z0..<z1, into: slice)
            }
        }
    }

    /// Array convenience for `computeParallel`.
    public static func computeParallel(
        phase: [Float], support: [UInt8], shape: BCDIShape, alpha: Int = 1, threads: Int
    ) -> [Float] {
        var out = [Float](repeating: 0, count: shape.count)
        phase.withUnsafeBufferPointer { p in
            support.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    computeParallel(phase: p, support: s, shape: shape, alpha: alpha, threads: threads, into: o)
                }
            }
        }
        return out
    }
}
