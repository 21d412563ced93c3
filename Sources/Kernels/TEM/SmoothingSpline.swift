/// Discrete smoothing spline (Whittaker–Henderson): for samples y, the z minimising
///
///     Σ (zᵢ − yᵢ)² + λ Σ (zᵢ₋₁ − 2zᵢ + zᵢ₊₁)²
///
/// i.e. (I + λDᵀD) z = y with D the second-difference operator; the matrix is symmetric
/// positive definite and pentadiagonal, so a banded Cholesky solves it in O(n). On samples one
/// pixel apart this is the cubic smoothing spline's discrete twin; straight lines pass unchanged.
public enum SmoothingSpline {
    /// Smooths x and y of a polyline sampled about 1 px apart.
    public static func smooth(_ p: [TEMPoint], lambda: Double) -> [TEMPoint] {
        let n = p.count
        guard n >= 3, lambda > 0 else { return p }
        // Bands of A = I + λDᵀD: diagonal d0, first off-diagonal d1, second d2.
        var d0 = [Double](repeating: 1, count: n), d1 = [Double](repeating: 0, count: n), d2 = [Double](repeating: 0, count: n)
        for i in 0..<(n - 2) {
            // Row i of D is (1, −2, 1) at columns i, i+1, i+2; add λ·rowᵀrow.
            let c = [1.0, -2.0, 1.0]
            for a in 0..<3 {
                d0[i + a] += lambda * c[a] * c[a]
                if a < 2 { d1[i + a] += lambda * c[a] * c[a + 1] }
                if a < 1 { d2[i + a] += lambda * c[a] * c[a + 2] }
            }
        }
        // Banded Cholesky A = LLᵀ with L lower-triangular bandwidth 2: l0 (diag), l1, l2.
        var l0 = [Double](repeating: 0, count: n), l1 = [Double](repeating: 0, count: n), l2 = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // l2[i] = L[i][i−2], l1[i] = L[i][i−1]
            if i >= 2 { l2[i] = d2[i - 2] / l0[i - 2] }
            if i >= 1 { l1[i] = (d1[i - 1] - (i >= 2 ? l2[i] * l1[i - 1] : 0)) / l0[i - 1] }
            let s = d0[i] - l1[i] * l1[i] - l2[i] * l2[i]
            l0[i] = max(s, 1e-12).squareRoot()
        }
        func solve(_ b: [Double]) -> [Double] {
            var z = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = b[i]
                if i >= 1 { s -= l1[i] * z[i - 1] }
                if i >= 2 { s -= l2[i] * z[i - 2] }
                z[i] = s / l0[i]
            }
            var x = [Double](repeating: 0, count: n)
            for i in stride(from: n - 1, through: 0, by: -1) {
                var s = z[i]
                if i + 1 < n { s -= l1[i + 1] * x[i + 1] }
                if i + 2 < n { s -= l2[i + 2] * x[i + 2] }
                x[i] = s / l0[i]
            }
            return x
        }
        let xs = solve(p.map(\.x)), ys = solve(p.map(\.y))
        return (0..<n).map { TEMPoint(xs[$0], ys[$0]) }
    }
}
