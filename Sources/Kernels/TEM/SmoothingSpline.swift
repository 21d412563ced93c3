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
        // One block for the bands, the factor and the solve's scratch (eight rows of n), read
        // through unchecked pointers: this runs for every curve of every frame.
        let block = UnsafeMutablePointer<Double>.allocate(capacity: 8 * n)
        defer { block.deallocate() }
        let d0 = block, d1 = block + n, d2 = block + 2 * n
        let l0 = block + 3 * n, l1 = block + 4 * n, l2 = block + 5 * n
        let z = block + 6 * n, rhs = block + 7 * n
        d0.initialize(repeating: 1, count: n)
        (block + n).initialize(repeating: 0, count: 5 * n) // d1, d2, l0, l1, l2
        // Bands of A = I + λDᵀD: diagonal d0, first off-diagonal d1, second d2.
        for i in 0..<(n - 2) {
            // Row i of D is (1, −2, 1) at columns i, i+1, i+2; add λ·rowᵀrow (written out: an
            // array literal here was an allocation per sample).
            d0[i] += lambda * 1 * 1
            d1[i] += lambda * 1 * -2
            d2[i] += lambda * 1 * 1
            d0[i + 1] += lambda * -2 * -2
            d1[i + 1] += lambda * -2 * 1
            d0[i + 2] += lambda * 1 * 1
        }
        // Banded Cholesky A = LLᵀ with L lower-triangular bandwidth 2: l0 (diag), l1, l2.
        for i in 0..<n {
            // l2[i] = L[i][i−2], l1[i] = L[i][i−1]
            if i >= 2 { l2[i] = d2[i - 2] / l0[i - 2] }
            if i >= 1 { l1[i] = (d1[i - 1] - (i >= 2 ? l2[i] * l1[i - 1] : 0)) / l0[i - 1] }
            let s = d0[i] - l1[i] * l1[i] - l2[i] * l2[i]
            l0[i] = max(s, 1e-12).squareRoot()
        }
        /// Solves LLᵀx = b (b in `rhs`) into `x`.
        func solve(into x: UnsafeMutablePointer<Double>) {
            for i in 0..<n {
                var s = rhs[i]
                if i >= 1 { s -= l1[i] * z[i - 1] }
                if i >= 2 { s -= l2[i] * z[i - 2] }
                z[i] = s / l0[i]
            }
            for i in stride(from: n - 1, through: 0, by: -1) {
                var s = z[i]
                if i + 1 < n { s -= l1[i + 1] * x[i + 1] }
                if i + 2 < n { s -= l2[i + 2] * x[i + 2] }
                x[i] = s / l0[i]
            }
        }
        // The bands are no longer needed: the solutions go where d0 and d1 were.
        let xs = d0, ys = d1
        p.withUnsafeBufferPointer { q in
            for i in 0..<n { rhs[i] = q[i].x }
            solve(into: xs)
            for i in 0..<n { rhs[i] = q[i].y }
            solve(into: ys)
        }
        return [TEMPoint](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n { out[i] = TEMPoint(xs[i], ys[i]) }
            count = n
        }
    }
}
