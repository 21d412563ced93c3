import Foundation
import XCTest
@testable import Kernels

/// Sessions 7–8's boundary test under a misfit field correlated over the scan
/// (`NanodiffCorrelatedMisfit`) and the dense algebra it runs on (`NanodiffDenseAlgebra`).
final class NanodiffCorrelatedMisfitTests: XCTestCase {
    /// The blocked Cholesky (blocks smaller than the matrix, so the panel solve and the trailing
    /// product are exercised) equals the unblocked one, and the triangular solves invert L·x and
    /// x·Lᵀ, on random symmetric positive definite matrices of awkward sizes.
    func testBlockedCholeskyAndSolvesMatchTheUnblockedOnes() {
        let algebra = NanodiffDenseAlgebra.reference
        for (seed, n) in [(1, 1), (2, 5), (3, 11), (4, 17)] {
            var rng = SeededRandom(seed: UInt64(seed) + 70)
            let b = (0..<(n * n)).map { _ in rng.gaussian() }
            var a = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { for t in 0..<n { a[i * n + j] += b[i * n + t] * b[j * n + t] } }; a[i * n + i] += Double(n) }
            let direct = NanodiffTiltModel.cholesky(a, size: n)!
            var blocked = a
            XCTAssertTrue(algebra.cholesky(&blocked, size: n, block: 4))
            for i in 0..<n { for j in 0...i { XCTAssertEqual(blocked[i * n + j], direct[i * n + j], accuracy: 1e-6 * abs(direct[i * n + i]), "n \(n) (\(i), \(j))") } }
            // L⁻¹(L x) = x for 3 right-hand sides, and (x Lᵀ) L⁻ᵀ = x for 2 rows.
            let x = (0..<(n * 3)).map { _ in rng.gaussian() }
            var lx = [Double](repeating: 0, count: n * 3)
            for i in 0..<n { for c in 0..<3 { for t in 0...i { lx[i * 3 + c] += direct[i * n + t] * x[t * 3 + c] } } }
            blocked.withUnsafeBufferPointer { l in lx.withUnsafeMutableBufferPointer { algebra.triangularSolve(false, n, 3, l.baseAddress!, n, $0.baseAddress!, 3) } }
            for k in x.indices { XCTAssertEqual(lx[k], x[k], accuracy: 1e-8, "left solve, n \(n)") }
            let rows = (0..<(2 * n)).map { _ in rng.gaussian() }
            var xl = [Double](repeating: 0, count: 2 * n)
            for r in 0..<2 { for j in 0..<n { for t in 0...j { xl[r * n + j] += rows[r * n + t] * direct[j * n + t] } } }
            blocked.withUnsafeBufferPointer { l in xl.withUnsafeMutableBufferPointer { algebra.triangularSolve(true, n, 2, l.baseAddress!, n, $0.baseAddress!, n) } }
            for k in rows.indices { XCTAssertEqual(xl[k], rows[k], accuracy: 1e-8, "right solve, n \(n)") }
        }
    }

    /// With no correlation (ℓ = 0 only) the whitened F of a column is the weighted F of the
    /// independent-misfit test (`NanodiffBlurredStep.jointF`, per map), on maps with a core and holes.
    func testWithoutCorrelationTheRatiosAreTheWeightedF() {
        let w = 19, h = 15
        for seed in UInt64(1)...3 {
            var rng = SeededRandom(seed: seed + 90)
            let usable = (0..<(w * h)).map { _ in rng.unit() > 0.1 }
            let cores = [SIMD2(rng.uniform(4...14), rng.uniform(4...10))]
            var model = NanodiffTiltModel(width: w, height: h, usable: usable, cores: cores)
            model.localMisfit = NanodiffLocalMisfit(width: w, height: h, positions: model.positions)
            let sigma = model.positions.map { _ in rng.uniform(1...3) * 1e-6 }
            let y = model.positions.map { i -> Double in
                let x = Double(i % w), yy = Double(i / w)
                return 3e-5 * sin(x / 3) * cos(yy / 4) + 1e-6 * rng.gaussian()
            }
            guard let fit = model.fit(y, sigma: sigma),
                  let field = NanodiffCorrelatedMisfit(model: model, y: y, sigma: sigma, fit: fit, width: w, height: h, lengths: [0]) else { return XCTFail("no fit") }
            let rss = fit.residuals.indices.reduce(0) { $0 + fit.weights[$1] * fit.residuals[$1] * fit.residuals[$1] }
            let columns = (0..<4).map { _ in model.positions.map { _ in rng.unit() < 0.5 ? 1.0 : 0 } }
            let h = model.positions.indices.flatMap { k in columns.map { $0[k] } }
            let ratios = field.ratios(h, count: columns.count).f
            for (c, column) in columns.enumerated() {
                let expected = NanodiffBlurredStep.jointF(column, model: model, fits: [fit], rss: [rss])
                XCTAssertEqual(ratios[c], expected, accuracy: 1e-4 * max(1, expected), "seed \(seed), column \(c)")
            }
        }
    }

    /// A smooth misfit field (white noise smoothed over ≈ 2 steps, 10–30× the stated errors) gives
    /// no line in 8 map pairs, and a step of 6× that field's scale across a random line is found
    /// once (no second line beside it) in at least 7 of 8 — where the independent local misfit,
    /// which takes the unmodelled step for misfit, is not required to.
    func testCorrelatedMisfitIgnoresASmoothFieldAndFindsAStep() {
        let w = 22, h = 20, sigma = 1e-6
        var spurious = 0, found = 0, doubled = 0
        for seed in UInt64(1)...8 {
            var rng = SeededRandom(seed: seed + 800)
            func smoothField(_ scale: Double) -> [Double] {
                let white = (0..<(w * h)).map { _ in rng.gaussian() }
                return (0..<(w * h)).map { i -> Double in
                    var s = 0.0, n = 0.0
                    for j in 0..<(w * h) {
                        let dx = Double(j % w - i % w), dy = Double(j / w - i / w)
                        let k = exp(-(dx * dx + dy * dy) / 8)
                        s += k * white[j]; n += k * k
                    }
                    return scale * s / n.squareRoot()
                }
            }
            let scale = rng.uniform(10...30) * sigma
            let a = smoothField(scale).map { $0 + sigma * rng.gaussian() }
            let b = smoothField(scale).map { $0 + sigma * rng.gaussian() }
            let noise = [Double](repeating: sigma, count: w * h)
            spurious += NanodiffBoundaryFinder.find(tilts: [a, b], sigmas: [noise, noise], width: w, height: h, misfit: .correlated).count
            let angle = rng.uniform(-30...30), y0 = rng.uniform(8...12)
            let t = angle * .pi / 180
            let stepped = a.indices.map { i -> Double in
                let x = Double(i % w) - Double(w) / 2, y = Double(i / w) - y0
                return a[i] + (-x * sin(t) + y * cos(t) > 0 ? 6 * scale : 0)
            }
            let lines = NanodiffBoundaryFinder.find(tilts: [stepped, b], sigmas: [noise, noise], width: w, height: h, misfit: .correlated)
            let score = NanodiffEvaluation.scoreBoundaries(truth: [SIMD3(Double(w) / 2, y0, angle)], detected: lines)
            found += score.truePositives
            doubled += lines.count > score.truePositives ? 1 : 0
        }
        XCTAssertEqual(spurious, 0, "lines reported on a smooth misfit field")
        XCTAssertGreaterThanOrEqual(found, 7, "a step across a smooth misfit field should be found")
        XCTAssertLessThanOrEqual(doubled, 1, "a second line beside the found step")
    }

    /// Naive GLS residual sum of squares of y on the columns `x` (row-major m×k) under the inverse
    /// covariance `vinv` (m×m): normal equations by Gauss–Jordan, no factorisation shared with the
    /// code under test.
    func glsRSS(_ y: [Double], _ x: [Double], k: Int, _ vinv: [Double]) -> Double {
        let m = y.count
        var a = [Double](repeating: 0, count: k * (k + 1))
        var vx = [Double](repeating: 0, count: m * k), vy = [Double](repeating: 0, count: m)
        for i in 0..<m { for j in 0..<m { let v = vinv[i * m + j]; vy[i] += v * y[j]; for c in 0..<k { vx[i * k + c] += v * x[j * k + c] } } }
        for r in 0..<k { for c in 0..<k { for i in 0..<m { a[r * (k + 1) + c] += x[i * k + r] * vx[i * k + c] } }; for i in 0..<m { a[r * (k + 1) + k] += x[i * k + r] * vy[i] } }
        for p in 0..<k {
            let pivot = a[p * (k + 1) + p]
            for c in 0...k { a[p * (k + 1) + c] /= pivot }
            for r in 0..<k where r != p { let f = a[r * (k + 1) + p]; for c in 0...k { a[r * (k + 1) + c] -= f * a[p * (k + 1) + c] } }
        }
        let e = (0..<m).map { i in y[i] - (0..<k).reduce(0) { $0 + x[i * k + $1] * a[$1 * (k + 1) + k] } }
        var rss = 0.0
        for i in 0..<m { for j in 0..<m { rss += e[i] * vinv[i * m + j] * e[j] } }
        return rss
    }

    /// Gauss–Jordan inverse of a symmetric positive definite matrix.
    func inverse(_ v: [Double], _ m: Int) -> [Double] {
        var a = v, b = [Double](repeating: 0, count: m * m)
        for i in 0..<m { b[i * m + i] = 1 }
        for p in 0..<m {
            let pivot = a[p * m + p]
            for c in 0..<m { a[p * m + c] /= pivot; b[p * m + c] /= pivot }
            for r in 0..<m where r != p {
                let f = a[r * m + p]
                if f == 0 { continue }
                for c in 0..<m { a[r * m + c] -= f * a[p * m + c]; b[r * m + c] -= f * b[p * m + c] }
            }
        }
        return b
    }

    /// Session 8's tiles: with the map cut into tiles (5 and 8 positions a side, so some tiles are
    /// clipped) the F of random columns (`ratios`) and of every half-plane of three angles
    /// (`halfPlaneRatios`) equal (RSS₀ − RSS₁)/(RSS₁/ν) of two naive GLS fits under the
    /// block-diagonal covariance written out, for both correlation families, on 19×14 maps with
    /// holes, a core and outliers (agreement to 10⁻⁴: the naive inverse of V, entries ≈ 10⁻¹¹, loses digits).
    func testTiledRatiosEqualTheNaiveBlockDiagonalGLS() {
        let w = 19, h = 14
        var checked = 0
        for (seed, tileSide, family) in [(1, 5, NanodiffCorrelatedMisfit.Family.gaussian), (2, 8, .separableExponential), (3, 40, .gaussian)] {
            var rng = SeededRandom(seed: UInt64(seed) + 300)
            let usable = (0..<(w * h)).map { _ in rng.unit() > 0.12 }
            var model = NanodiffTiltModel(width: w, height: h, usable: usable, cores: [SIMD2(rng.uniform(5...13), rng.uniform(4...9))])
            model.localMisfit = NanodiffLocalMisfit(width: w, height: h, positions: model.positions)
            let sigma = model.positions.map { _ in rng.uniform(1...3) * 1e-6 }
            let y = model.positions.map { i -> Double in
                3e-5 * sin(Double(i % w) / 3) * cos(Double(i / w) / 4) + 1e-6 * rng.gaussian() + (rng.unit() < 0.03 ? 1e-4 : 0)
            }
            guard let fit = model.fit(y, sigma: sigma),
                  let field = NanodiffCorrelatedMisfit(model: model, y: y, sigma: sigma, fit: fit, width: w, height: h, families: [family],
                                                       lengths: [1.2], tileSide: tileSide) else { return XCTFail("no fit") }
            XCTAssertEqual(field.tiles.count, tileSide == 5 ? 12 : tileSide == 8 ? 6 : 1, "seed \(seed)")
            // V over the kept positions, zero across tiles.
            let kept = field.kept, m = kept.count, k = model.columns
            var tile = [Int](repeating: 0, count: m)
            for (t, members) in field.tiles.enumerated() { for r in members { tile[r] = t } }
            var v = [Double](repeating: 0, count: m * m)
            for a in 0..<m {
                for c in 0..<m where tile[a] == tile[c] {
                    let ia = kept[a], ic = kept[c]
                    let d = SIMD2(Double(model.positions[ia] % w - model.positions[ic] % w), Double(model.positions[ia] / w - model.positions[ic] / w))
                    let rho = a == c ? 1 : family.correlation(d, length: 1.2)
                    let cov = (a == c ? sigma[ia] * sigma[ia] : 0) + (fit.tau2[ia] * fit.tau2[ic]).squareRoot() * rho
                    v[a * m + c] = cov / (fit.robust[ia] * fit.robust[ic]).squareRoot()
                }
            }
            let vinv = inverse(v, m)
            let yk = kept.map { y[$0] }
            var x = [Double](repeating: 0, count: m * k)
            for (r, i) in kept.enumerated() { for c in 0..<k { x[r * k + c] = model.design[i * k + c] } }
            let rss0 = glsRSS(yk, x, k: k, vinv)
            func expectedF(_ column: [Double]) -> Double {
                var x1 = [Double](repeating: 0, count: m * (k + 1))
                for r in 0..<m { for c in 0..<k { x1[r * (k + 1) + c] = x[r * k + c] }; x1[r * (k + 1) + k] = column[kept[r]] }
                let rss1 = glsRSS(yk, x1, k: k + 1, vinv)
                return (rss0 - rss1) / (rss1 / Double(m - k))
            }
            // Random columns, some blurred (not constant on any tile) and some constant on most tiles.
            let n = model.positions.count
            let columns = (0..<3).map { c in model.positions.map { i -> Double in c == 0 ? rng.unit() : (i % w > 4 + 3 * c ? 1 : 0) } }
            let ratios = field.ratios(model.positions.indices.flatMap { r in columns.map { $0[r] } }, count: columns.count).f
            for (c, column) in columns.enumerated() {
                let expected = expectedF(column)
                XCTAssertEqual(ratios[c], expected, accuracy: 1e-4 * max(1, expected), "seed \(seed), column \(c)")
            }
            for angle in [0.0, 37.0, 101.0] {
                let r = angle * .pi / 180, normal = SIMD2(-sin(r), cos(r))
                let s = model.positions.map { (SIMD2(Double($0 % w) - 9, Double($0 / w) - 6.5) * normal).sum() }
                let offsets = Array(stride(from: -6.0, through: 6.0, by: 1.5))
                let scan = field.halfPlaneRatios(s: s, offsets: offsets).f
                for (o, offset) in offsets.enumerated() {
                    let expected = expectedF((0..<n).map { s[$0] > offset ? 1 : 0 })
                    XCTAssertEqual(scan[o], expected, accuracy: 1e-4 * max(1, expected), "seed \(seed), angle \(angle), offset \(offset)")
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 81)
    }
}
