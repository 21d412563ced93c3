import Foundation

/// The two dense products the correlated-misfit boundary test needs (`NanodiffCorrelatedMisfit`),
/// passed in so that Kernels stays free of BLAS: the kind (Kinds/Nanodiff) hands in OpenBLAS, the
/// tests and anything else get `reference`, plain loops that are also what the BLAS version is
/// checked against (as `STEM4DGemm` does for the virtual detectors).
public struct NanodiffDenseAlgebra: Sendable {
    /// C ← C − A·Bᵀ on row-major matrices: A m×k (row stride lda), B n×k (ldb), C m×n (ldc).
    public typealias SubtractProduct = @Sendable (_ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                                                  _ b: UnsafePointer<Double>, _ ldb: Int, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) -> Void
    /// B ← L⁻¹·B for a lower-triangular L (n×n, row stride ldl) and B n×m (row stride ldb), or
    /// B ← B·L⁻ᵀ when `right` (B m×n).
    public typealias TriangularSolve = @Sendable (_ right: Bool, _ n: Int, _ m: Int, _ l: UnsafePointer<Double>, _ ldl: Int,
                                                  _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Void

    public let subtractProduct: SubtractProduct
    public let triangularSolve: TriangularSolve

    public init(subtractProduct: @escaping SubtractProduct, triangularSolve: @escaping TriangularSolve) {
        self.subtractProduct = subtractProduct
        self.triangularSolve = triangularSolve
    }

    /// Plain loops (the naive twin of the BLAS calls).
    public static let reference = NanodiffDenseAlgebra(
        subtractProduct: { m, n, k, a, lda, b, ldb, c, ldc in
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for t in 0..<k { s += a[i * lda + t] * b[j * ldb + t] }
                    c[i * ldc + j] -= s
                }
            }
        },
        triangularSolve: { right, n, m, l, ldl, b, ldb in
            if right {
                // Row r of B: x Lᵀ = b, i.e. L x = b for each row.
                for r in 0..<m {
                    for i in 0..<n {
                        var s = b[r * ldb + i]
                        for t in 0..<i { s -= l[i * ldl + t] * b[r * ldb + t] }
                        b[r * ldb + i] = s / l[i * ldl + i]
                    }
                }
            } else {
                for i in 0..<n {
                    for t in 0..<i {
                        let lit = l[i * ldl + t]
                        if lit == 0 { continue }
                        for c in 0..<m { b[i * ldb + c] -= lit * b[t * ldb + c] }
                    }
                    let d = 1 / l[i * ldl + i]
                    for c in 0..<m { b[i * ldb + c] *= d }
                }
            }
        })

    /// The lower Cholesky factor of the symmetric positive definite `a` (n×n row-major, lower
    /// triangle read), in place, blocked so the work is in the two products; nil when not
    /// positive definite. The strict upper triangle is zeroed.
    public func cholesky(_ a: inout [Double], size n: Int, block: Int = 64) -> Bool {
        var ok = true
        a.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            var j = 0
            while j < n && ok {
                let nb = min(block, n - j)
                // The diagonal block (already updated by the blocks to its left).
                for i in j..<(j + nb) {
                    for c in j...i {
                        var s = p[i * n + c]
                        for t in j..<c { s -= p[i * n + t] * p[c * n + t] }
                        if i == c {
                            guard s > 0, s.isFinite else { ok = false; return }
                            p[i * n + i] = s.squareRoot()
                        } else {
                            p[i * n + c] = s / p[c * n + c]
                        }
                    }
                }
                let below = n - j - nb
                if below > 0 {
                    // The panel under it: L21 = A21 · L11⁻ᵀ, then the trailing block A22 −= L21 L21ᵀ.
                    triangularSolve(true, nb, below, p + j * n + j, n, p + (j + nb) * n + j, n)
                    subtractProduct(below, below, nb, p + (j + nb) * n + j, n, p + (j + nb) * n + j, n, p + (j + nb) * n + j + nb, n)
                }
                j += nb
            }
            if ok { for i in 0..<n { for c in (i + 1)..<max(i + 1, n) { p[i * n + c] = 0 } } }
        }
        return ok
    }
}
