/// Cholesky factor and solves of small dense symmetric systems (k ≲ 100, row-major k×k
/// `[Double]`): the normal equations of the kernels' least-squares fits (BCDI's blur fit,
/// nanodiffraction's tilt model and boundary tests). Plain loops: at these sizes a BLAS call
/// costs more than the work.
public enum SmallCholesky {
    /// Lower factor L (row-major, upper triangle zero) with L Lᵀ = `a` + `ridge`·I, reading only
    /// `a`'s lower triangle; nil when the matrix (plus ridge) is not positive definite. A small
    /// ridge keeps a redundant column from failing it.
    public static func factor(_ a: [Double], size k: Int, ridge: Double) -> [Double]? {
        var l = [Double](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in 0...i {
                var s = a[i * k + j] + (i == j ? ridge : 0)
                for m in 0..<j { s -= l[i * k + m] * l[j * k + m] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * k + i] = s.squareRoot()
                } else {
                    l[i * k + j] = s / l[j * k + j]
                }
            }
        }
        return l
    }

    /// x with L Lᵀ x = b.
    public static func solve(_ l: [Double], size k: Int, _ b: [Double]) -> [Double] {
        var z = forward(l, size: k, b)
        for i in stride(from: k - 1, through: 0, by: -1) {
            var s = z[i]
            for m in (i + 1)..<max(i + 1, k) { s -= l[m * k + i] * z[m] }
            z[i] = s / l[i * k + i]
        }
        return z
    }

    /// z with L z = b.
    public static func forward(_ l: [Double], size k: Int, _ b: [Double]) -> [Double] {
        var z = b
        for i in 0..<k {
            var s = z[i]
            for m in 0..<i { s -= l[i * k + m] * z[m] }
            z[i] = s / l[i * k + i]
        }
        return z
    }
}
