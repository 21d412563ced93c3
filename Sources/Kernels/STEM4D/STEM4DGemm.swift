/// A single-precision matrix product C = A·B on row-major matrices, supplied by the caller
/// (the worker passes OpenBLAS `cblas_sgemm`; `naive` is a plain-Swift fallback for tests).
///
/// Arguments: `m`, `n`, `k`, A (`m × k`, leading dimension `lda`), B (`k × n`, `ldb`),
/// C (`m × n`, `ldc`), overwritten.
public struct STEM4DGemm: Sendable {
    /// The multiply function.
    public typealias Function = @Sendable (
        _ m: Int, _ n: Int, _ k: Int,
        _ a: UnsafePointer<Float>, _ lda: Int,
        _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) -> Void

    /// The wrapped function.
    public let multiply: Function

    /// Wraps a matrix-multiply function.
    public init(_ multiply: @escaping Function) { self.multiply = multiply }

    /// A plain-Swift i-k-j product (vectorises over `n`; fine for tests, slow for big `k`·`n`).
    public static let naive = STEM4DGemm { m, n, k, a, lda, b, ldb, c, ldc in
        for i in 0..<m {
            let ci = c + i * ldc
            ci.initialize(repeating: 0, count: n)
            for kk in 0..<k {
                let aik = a[i * lda + kk]
                if aik == 0 { continue }
                let bk = b + kk * ldb
                for j in 0..<n { ci[j] += aik * bk[j] }
            }
        }
    }
}
