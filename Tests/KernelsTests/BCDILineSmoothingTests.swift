@testable import Kernels
import XCTest

/// `BCDILineSmoothing`: the position-precision map against the exact value of a linear vortex
/// and a plain per-voxel reference, the RTS smoother against the batch least-squares solution
/// of the same model, and what the smoothing must do to a line traced beside the truth.
final class BCDILineSmoothingTests: XCTestCase {
    /// A linear vortex a·(u + i·v) across an oblique line, on an awkward 7×9×11 array: central
    /// (and, at the border, one-sided) differences are exact, so every voxel holds a²/σ².
    func testPrecisionOfALinearVortex() {
        let shape = BCDIShape(nz: 7, ny: 9, nx: 11)
        let e1 = BCDIVec.normalized(SIMD3<Double>(1, 2, -1)), t = BCDIVec.normalized(SIMD3<Double>(1, -1, -1))
        let e2 = SIMD3(t.y * e1.z - t.z * e1.y, t.z * e1.x - t.x * e1.z, t.x * e1.y - t.y * e1.x)
        let (a, sigma) = (0.37, 0.05)
        var re = [Float](repeating: 0, count: shape.count), im = re
        for i in 0..<shape.count {
            let (x, y, z) = shape.coordinates(of: i)
            let r = SIMD3(Double(x), Double(y), Double(z)) - SIMD3(4.3, 3.6, 2.8)
            re[i] = Float(a * BCDIVec.dot(r, e1))
            im[i] = Float(a * BCDIVec.dot(r, e2))
        }
        let map = BCDILineSmoothing.precisionMap(re: re, im: im, shape: shape, noise: sigma)
        for v in map { XCTAssertEqual(Double(v), a * a / (sigma * sigma), accuracy: 1e-3 * a * a / (sigma * sigma)) }
    }

    /// A smooth non-linear field on a 5×6×13 array against a plain Double loop.
    func testPrecisionMatchesTheReference() {
        let shape = BCDIShape(nz: 5, ny: 6, nx: 13)
        var re = [Float](repeating: 0, count: shape.count), im = re
        for i in 0..<shape.count {
            let (x, y, z) = shape.coordinates(of: i)
            re[i] = Float(sin(0.4 * Double(x)) + 0.3 * Double(y * z) - 0.1 * Double(x * y))
            im[i] = Float(cos(0.3 * Double(y + z)) * Double(x) * 0.2 + 0.05 * Double(z * z))
        }
        let sigma = 0.2
        let map = BCDILineSmoothing.precisionMap(re: re, im: im, shape: shape, noise: sigma)
        func value(_ f: [Float], _ x: Int, _ y: Int, _ z: Int) -> Double { Double(f[shape.index(x: x, y: y, z: z)]) }
        func diff(_ f: [Float], _ p: [Int], _ axis: Int, _ n: Int) -> Double {
            var lo = p, hi = p
            lo[axis] = max(0, p[axis] - 1)
            hi[axis] = min(n - 1, p[axis] + 1)
            return (value(f, hi[0], hi[1], hi[2]) - value(f, lo[0], lo[1], lo[2])) / Double(hi[axis] - lo[axis])
        }
        let sizes = [shape.nx, shape.ny, shape.nz]
        for z in 0..<shape.nz {
            for y in 0..<shape.ny {
                for x in 0..<shape.nx {
                    let g = (0..<3).map { diff(re, [x, y, z], $0, sizes[$0]) }, h = (0..<3).map { diff(im, [x, y, z], $0, sizes[$0]) }
                    let c = [g[1] * h[2] - g[2] * h[1], g[2] * h[0] - g[0] * h[2], g[0] * h[1] - g[1] * h[0]]
                    let expected = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).squareRoot() / (sigma * sigma)
                    XCTAssertEqual(Double(map[shape.index(x: x, y: y, z: z)]), expected, accuracy: 1e-4 * max(1, expected))
                }
            }
        }
    }

    /// The RTS pass gives the batch weighted least-squares solution of the same model: the
    /// states (x_k, v_k) minimising Σ (z_k − x_k)²/R_k + v_0² + Σ wᵀ Q⁻¹ w over the steps,
    /// solved densely (per axis; the axes share the model).
    func testSmootherIsTheBatchSolution() {
        let n = 9
        let z: [Double] = [0.1, 1.3, 1.7, 3.4, 3.9, 5.2, 5.8, 7.3, 7.9]
        let r: [Double] = [0.1, 0.3, 2.0, 0.2, 4.0, 0.1, 0.5, 0.2, 0.3]
        let q = 0.07
        let out = BCDILineSmoothing.filter(z.map { SIMD3($0, 0, 0) }, r, q: q, smooth: true).points.map(\.x)
        // Normal equations over u = (x_0, v_0, …, x_{n−1}, v_{n−1}).
        let m = 2 * n
        var a = [[Double]](repeating: [Double](repeating: 0, count: m), count: m), b = [Double](repeating: 0, count: m)
        for k in 0..<n {
            a[2 * k][2 * k] += 1 / r[k]
            b[2 * k] += z[k] / r[k]
        }
        a[1][1] += 1
        // Q⁻¹ of the white-acceleration step.
        let (q11, q12, q22) = (q / 3, q / 2, q)
        let det = q11 * q22 - q12 * q12
        let qi = [[q22 / det, -q12 / det], [-q12 / det, q11 / det]]
        for k in 1..<n {
            // w = (x_k − x_{k−1} − v_{k−1}, v_k − v_{k−1}) = J u.
            var j = [[Double]](repeating: [Double](repeating: 0, count: m), count: 2)
            j[0][2 * k] = 1; j[0][2 * k - 2] = -1; j[0][2 * k - 1] = -1
            j[1][2 * k + 1] = 1; j[1][2 * k - 1] = -1
            for p in 0..<m {
                for s in 0..<m {
                    var sum = 0.0
                    for i in 0..<2 { for l in 0..<2 { sum += j[i][p] * qi[i][l] * j[l][s] } }
                    a[p][s] += sum
                }
            }
        }
        // Gaussian elimination.
        for c in 0..<m {
            let piv = (c..<m).max { abs(a[$0][c]) < abs(a[$1][c]) }!
            a.swapAt(c, piv); b.swapAt(c, piv)
            for rr in (c + 1)..<m {
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
        for k in 0..<n { XCTAssertEqual(out[k], u[2 * k], accuracy: 1e-9, "point \(k)") }
    }

    /// A straight line whose traced cells run 2 voxels aside over three cells where the field's
    /// gradient is small (variance 3 voxel², measured) comes back within 0.7 voxel of its
    /// course; a circle of radius 6 traced with small variances keeps its radius (the
    /// curvature noise is the data's, not a fixed width).
    func testBesideStretchComesBackAndCurvesStay() {
        var pts = (0..<24).map { SIMD3(Double($0), 5, 5) }
        var variance = [Double](repeating: 0.12, count: 24)
        for k in 10...12 {
            pts[k].y += 2
            variance[k] = 3
        }
        let out = BCDILineSmoothing.smooth(pts, variance: variance, closed: false)
        for k in 10...12 { XCTAssertLessThan(abs(out[k].y - 5), 0.7, "point \(k): \(out[k])") }
        let ring = (0..<38).map { k -> SIMD3<Double> in
            let t = 2 * Double.pi * Double(k) / 38
            return SIMD3(10 + 6 * cos(t), 10 + 6 * sin(t), 5)
        }
        let smoothed = BCDILineSmoothing.smooth(ring, variance: [Double](repeating: 0.1, count: 38), closed: true)
        for p in smoothed { XCTAssertEqual(BCDIVec.length(p - SIMD3(10, 10, 5)), 6, accuracy: 0.15) }
        // Too short to fit: as it is.
        XCTAssertEqual(BCDILineSmoothing.smooth(Array(pts.prefix(4)), variance: Array(variance.prefix(4)), closed: false), Array(pts.prefix(4)))
    }
}
