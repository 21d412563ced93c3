import COpenBLAS
import Foundation
import Kernels

/// The correlated-misfit boundary test's dense products (`NanodiffDenseAlgebra`) through OpenBLAS,
/// one thread (each task slot is already one thread of work, as in `STEM4DBLAS`).
enum NanodiffBLAS {
    private static let singleThreaded: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    static let algebra = NanodiffDenseAlgebra(
        subtractProduct: { m, n, k, a, lda, b, ldb, c, ldc in
            _ = singleThreaded
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), -1, a, Int32(lda), b, Int32(ldb), 1, c, Int32(ldc))
        },
        triangularSolve: { right, n, m, l, ldl, b, ldb in
            _ = singleThreaded
            if right {
                cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, Int32(m), Int32(n), 1, l, Int32(ldl), b, Int32(ldb))
            } else {
                cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(n), Int32(m), 1, l, Int32(ldl), b, Int32(ldb))
            }
        })
}
