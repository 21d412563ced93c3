#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How well the data pin each fitted sphere: the Fisher information of its five parameters
/// (x, y, z, r, amplitude c) from the model's derivatives over the pixels of every view, each
/// pixel weighted by its inverse variance as the fit measured it (pixel noise plus the
/// mismatch terms), the other spheres held. Its inverse is the covariance of a least-squares
/// fit near the optimum; the depth element is what a user needs to judge a particle's depth —
/// at a small stereo angle a quarter pixel of disparity is several pixels of depth, and the
/// marginal standard error (x, y, r and c free) says so, where the curvature along z alone
/// would not (x and z trade against each other when the views shift mostly along x).
///
/// Local by construction: it says how sharp the χ² minimum is, not whether another depth
/// fits as well (a crowded neighbourhood may offer a second minimum).
extension STEM4DParticleModelState {
    /// Marginal standard error of sphere `k`'s depth, px (∞ when the views do not constrain it).
    func depthSigma(_ k: Int) -> Double {
        let cov = covariance(k)
        guard let c = cov, c[2][2].isFinite, c[2][2] > 0 else { return .infinity }
        return c[2][2].squareRoot()
    }

    /// Inverse of the 5×5 Fisher information of sphere `k`'s (x, y, z, r, c); nil if singular.
    func covariance(_ k: Int) -> [[Double]]? {
        let s = spheres[k]
        guard s.c > 0 else { return nil }
        // Derivatives by central differences: steps that move the views by ≈ 0.05 px, small
        // against the chord's rim (smooth at 4×4 sub-pixels) and large against rounding.
        let h = 0.05, hz = 0.05 / tMax
        var fisher = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 5)
        for v in images.indices {
            guard let b = box(s, v, pad: 1 + h) else { continue }
            let level = plane[v].0
            func value(_ x: Double, _ y: Double, _ z: Double, _ r: Double, _ px: Int, _ py: Int) -> Double {
                level * s.c * chord(v, px, py, x - z * t[v].0, y - z * t[v].1, r, z, levelZ: s.z)
            }
            for py in b.2...b.3 {
                for px in b.0...b.1 {
                    let i = py * w + px
                    // A pixel at the floor with the model at or below it pays nothing near the optimum.
                    if isCensored(v, i) && residual(v, i) == 0 { continue }
                    // With the prediction held at the floor (`floorHeld == .all`), nor one predicted under it.
                    if heldInFits && predictedUnderFloor(v, i) { continue }
                    let iv = 1 / variance(v, i)
                    let base = value(s.x, s.y, s.z, s.r, px, py)
                    let dx = (value(s.x + h, s.y, s.z, s.r, px, py) - value(s.x - h, s.y, s.z, s.r, px, py)) / (2 * h)
                    let dy = (value(s.x, s.y + h, s.z, s.r, px, py) - value(s.x, s.y - h, s.z, s.r, px, py)) / (2 * h)
                    let dz = (value(s.x, s.y, s.z + hz, s.r, px, py) - value(s.x, s.y, s.z - hz, s.r, px, py)) / (2 * hz)
                    let dr = (value(s.x, s.y, s.z, s.r + h, px, py) - value(s.x, s.y, s.z, s.r - h, px, py)) / (2 * h)
                    let dc = base / s.c
                    let g = [dx, dy, dz, dr, dc]
                    if g.allSatisfy({ $0 == 0 }) { continue }
                    for a in 0..<5 { for b2 in a..<5 { fisher[a][b2] += iv * g[a] * g[b2] } }
                }
            }
        }
        for a in 0..<5 { for b2 in 0..<a { fisher[a][b2] = fisher[b2][a] } }
        return Self.invert(fisher)
    }

    /// Inverse of a small symmetric positive matrix by Gauss–Jordan with partial pivoting; nil
    /// when a pivot vanishes (relative to the diagonal's scale).
    static func invert(_ m: [[Double]]) -> [[Double]]? {
        let n = m.count
        var a = m
        var inv = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        let scale = (0..<n).map { abs(m[$0][$0]) }.max() ?? 0
        guard scale > 0 else { return nil }
        for col in 0..<n {
            guard let p = (col..<n).max(by: { abs(a[$0][col]) < abs(a[$1][col]) }), abs(a[p][col]) > 1e-13 * scale else { return nil }
            a.swapAt(col, p); inv.swapAt(col, p)
            let d = a[col][col]
            for j in 0..<n { a[col][j] /= d; inv[col][j] /= d }
            for r in 0..<n where r != col {
                let f = a[r][col]
                guard f != 0 else { continue }
                for j in 0..<n { a[r][j] -= f * a[col][j]; inv[r][j] -= f * inv[col][j] }
            }
        }
        return inv
    }
}
