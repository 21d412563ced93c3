import Foundation
import XCTest
@testable import Kernels

/// Session 7's boundary test under a misfit field correlated over the scan
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
                XCTAssertEqual(ratios[c], expected, accuracy: 1e-6 * max(1, expected), "seed \(seed), column \(c)")
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
}
