import COpenBLAS
import Foundation
import Kernels
import Shared

/// The dense virtual-detector kernel's matrix product through OpenBLAS.
public enum STEM4DBLAS {
    /// Each task slot is already one thread of work: OpenBLAS's own threads would only
    /// oversubscribe the cores (docs/tuning.md).
    private static let singleThreaded: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// `cblas_sgemm` on row-major matrices: C = A·B (OpenBLAS limited to one thread per process).
    public static let gemm = STEM4DGemm { m, n, k, a, lda, b, ldb, c, ldc in
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }
}
