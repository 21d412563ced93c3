/// Plain references for `BCDILineSmoothing`, written straight from the definitions to check the
/// fast code (tests and `ctl bench bcdi`): the precision map as a Double loop, and the RTS
/// smoother as the dense batch least-squares solution of the same model.
public enum BCDILineSmoothingReference {
    /// `BCDILineSmoothing.precisionMap` as a plain Double loop: per voxel, central differences
    /// (one-sided at the border) of `re` and `im` along x, y, z, their cross product's length
    /// over noise².
    public static func precisionMap(re: [Float], im: [Float], shape: BCDIShape, noise: Double) -> [Double] {
        precondition(re.count == shape.count && im.count == shape.count, "buffers do not match shape \(shape)")
        var out = [Double](repeating: 0, count: shape.count)
        guard noise > 0 else { return out }
        let size = [shape.nx, shape.ny, shape.nz]
        func diff(_ f: [Float], _ p: SIMD3<Int>, _ axis: Int) -> Double {
            var lo = p, hi = p
            lo[axis] = max(0, p[axis] - 1)
            hi[axis] = min(size[axis] - 1, p[axis] + 1)
            let a = Double(f[shape.index(x: lo.x, y: lo.y, z: lo.z)]), b = Double(f[shape.index(x: hi.x, y: hi.y, z: hi.z)])
            return (b - a) / Double(max(1, hi[axis] - lo[axis]))
        }
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                for x in 0..<shape.nx {
                    let p = SIMD3(x, y, z)
                    let (g0, g1, g2) = (diff(re, p, 0), diff(re, p, 1), diff(re, p, 2))
                    let (h0, h1, h2) = (diff(im, p, 0), diff(im, p, 1), diff(im, p, 2))
                    let c0 = g1 * h2 - g2 * h1, c1 = g2 * h0 - g0 * h2, c2 = g0 * h1 - g1 * h0
                    out[shape.index(x: x, y: y, z: z)] = (c0 * c0 + c1 * c1 + c2 * c2).squareRoot() / (noise * noise)
                }
            }
        }
        return out
    }

    /// The positions x_k of the states (x_k, v_k) minimising
    /// Σ (z_k − x_k)²/R_k + v_0² + Σ_k wₖᵀ Q⁻¹ wₖ, w_k = (x_k − x_{k−1} − v_{k−1}, v_k − v_{k−1}),
    /// Q the white-acceleration step (q/3, q/2; q/2, q): the normal equations over
    /// (x_0, v_0, …) formed and solved densely (Gaussian elimination, partial pivoting). One axis.
    public static func batchSmooth(_ z: [Double], variance r: [Double], q: Double) -> [Double] {
        precondition(z.count == r.count && !z.isEmpty, "one variance per point")
        let n = z.count, m = 2 * n
        var a = [[Double]](repeating: [Double](repeating: 0, count: m), count: m), b = [Double](repeating: 0, count: m)
        for k in 0..<n {
            a[2 * k][2 * k] += 1 / r[k]
            b[2 * k] += z[k] / r[k]
        }
        a[1][1] += 1
        let (q11, q12, q22) = (q / 3, q / 2, q)
        let det = q11 * q22 - q12 * q12
        let qi = [[q22 / det, -q12 / det], [-q12 / det, q11 / det]]
        for k in 1..<max(1, n) {
            // w = J u; J's nonzero columns are x_{k−1}, v_{k−1}, x_k, v_k.
            let cols = [2 * k - 2, 2 * k - 1, 2 * k, 2 * k + 1]
            let j: [[Double]] = [[-1, -1, 1, 0], [0, -1, 0, 1]]
            for (p, cp) in cols.enumerated() {
                for (s, cs) in cols.enumerated() {
                    var sum = 0.0
                    for i in 0..<2 { for l in 0..<2 { sum += j[i][p] * qi[i][l] * j[l][s] } }
                    a[cp][cs] += sum
                }
            }
        }
        for c in 0..<m {
            let piv = (c..<m).max { abs(a[$0][c]) < abs(a[$1][c]) }!
            a.swapAt(c, piv); b.swapAt(c, piv)
            for rr in (c + 1)..<m where a[rr][c] != 0 {
                let f = a[rr][c] / a[c][c]
                for s in c..<m { a[rr][s] -= f * a[c][s] }
                b[rr] -= f * b[c]
            }
        }
        var u = [Double](repeating: 0, count: m)
        for c in stride(from: m - 1, through: 0, by: -1) {
            var s = b[c]
            for t in (c + 1)..<m { s -= a[c][t] * u[t] }
            u[c] = s / a[c][c]
        }
        return (0..<n).map { u[2 * $0] }
    }
}
