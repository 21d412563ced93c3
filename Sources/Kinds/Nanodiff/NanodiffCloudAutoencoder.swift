import COpenBLAS
import Foundation
import Kernels

/// An autoencoder over the point clouds: input the voxelised cloud descriptor
/// (`NanodiffCloudDescriptor`, 6³ values per position, standardised), layers
/// D → 32 → 3 → 32 → D (tanh hidden layers, linear code and output), trained on the CPU by
/// full-batch Adam on the mean squared reconstruction error, every product a `cblas_sgemm`
/// (OpenBLAS, one thread: a task slot is already one core's work). The 3-value code is the
/// embedding compared with PCA of the fixed descriptor. Deterministic from its seed.
struct NanodiffCloudAutoencoder {
    let sizes: [Int]
    /// Weights [in × out] row-major and biases per layer.
    var w: [[Float]], b: [[Float]]

    private static let singleThreaded: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    init(dims: Int, hidden: Int = 32, code: Int = 3, seed: UInt64 = 1) {
        let sizes = [dims, hidden, code, hidden, dims]
        var rng = SeededRandom(seed: seed)
        w = (0..<4).map { l in (0..<(sizes[l] * sizes[l + 1])).map { _ in Float(rng.gaussian() / Double(sizes[l]).squareRoot()) } }
        b = (0..<4).map { [Float](repeating: 0, count: sizes[$0 + 1]) }
        self.sizes = sizes
    }

    /// C = op(A)·op(B) (+ C when `accumulate`), row-major.
    static func gemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, _ a: [Float], _ b: [Float], _ c: inout [Float], accumulate: Bool = false) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(transA ? m : k), b, Int32(transB ? k : n), accumulate ? 1 : 0, &c, Int32(n))
    }

    /// Activations of every layer for `x` (rows × dims); index 0 is the input.
    func forward(_ x: [Float], rows n: Int) -> [[Float]] {
        var acts = [x]
        for l in 0..<4 {
            var z = [Float](repeating: 0, count: n * sizes[l + 1])
            Self.gemm(false, false, m: n, n: sizes[l + 1], k: sizes[l], acts[l], w[l], &z)
            for r in 0..<n { for c in 0..<sizes[l + 1] { z[r * sizes[l + 1] + c] += b[l][c] } }
            if l == 0 || l == 2 { for i in z.indices { z[i] = tanh(z[i]) } }
            acts.append(z)
        }
        return acts
    }

    /// Full-batch Adam on the mean squared reconstruction error; returns the final loss.
    @discardableResult
    mutating func train(_ x: [Float], rows n: Int, epochs: Int = 600, rate: Float = 3e-3) -> Float {
        var m1 = w.map { [Float](repeating: 0, count: $0.count) }, v1 = m1
        var mb = b.map { [Float](repeating: 0, count: $0.count) }, vb = mb
        let (beta1, beta2, eps): (Float, Float, Float) = (0.9, 0.999, 1e-8)
        var loss: Float = 0
        for epoch in 1...max(1, epochs) {
            let acts = forward(x, rows: n)
            let d = sizes[0]
            var g = [Float](repeating: 0, count: n * d)
            loss = 0
            for i in g.indices { let e = acts[4][i] - x[i]; loss += e * e; g[i] = 2 * e / Float(n * d) }
            loss /= Float(n * d)
            for l in stride(from: 3, through: 0, by: -1) {
                var gw = [Float](repeating: 0, count: w[l].count)
                Self.gemm(true, false, m: sizes[l], n: sizes[l + 1], k: n, acts[l], g, &gw)
                var gb = [Float](repeating: 0, count: sizes[l + 1])
                for r in 0..<n { for c in 0..<sizes[l + 1] { gb[c] += g[r * sizes[l + 1] + c] } }
                if l > 0 {
                    var back = [Float](repeating: 0, count: n * sizes[l])
                    Self.gemm(false, true, m: n, n: sizes[l], k: sizes[l + 1], g, w[l], &back)
                    if l == 1 || l == 3 { for i in back.indices { back[i] *= 1 - acts[l][i] * acts[l][i] } }
                    g = back
                }
                let c1 = 1 - pow(beta1, Float(epoch)), c2 = 1 - pow(beta2, Float(epoch))
                for i in w[l].indices {
                    m1[l][i] = beta1 * m1[l][i] + (1 - beta1) * gw[i]; v1[l][i] = beta2 * v1[l][i] + (1 - beta2) * gw[i] * gw[i]
                    w[l][i] -= rate * (m1[l][i] / c1) / ((v1[l][i] / c2).squareRoot() + eps)
                }
                for i in b[l].indices {
                    mb[l][i] = beta1 * mb[l][i] + (1 - beta1) * gb[i]; vb[l][i] = beta2 * vb[l][i] + (1 - beta2) * gb[i] * gb[i]
                    b[l][i] -= rate * (mb[l][i] / c1) / ((vb[l][i] / c2).squareRoot() + eps)
                }
            }
        }
        return loss
    }

    /// The codes (rows × 3).
    func encode(_ x: [Float], rows n: Int) -> [Double] { forward(x, rows: n)[2].map(Double.init) }
}
