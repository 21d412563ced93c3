import Foundation
import XCTest
@testable import Kernels

/// The simulated nulls of the tilt-boundary test: the precomputed line scan against the direct
/// one, the bootstrap multipliers' covariance, and the tests' false-alarm rate and power.
final class NanodiffBoundaryNullTests: XCTestCase {
    /// A dislocation-like field, a bend and noise on a width×height map with holes.
    func maps(width w: Int, height h: Int, core: SIMD2<Double>, rng: inout SeededRandom) -> (tilts: [[Double]], sigmas: [[Double]]) {
        var tilts: [[Double]] = [], sigmas: [[Double]] = []
        for m in 0..<2 {
            let sigma = (0..<(w * h)).map { _ in 1e-6 * rng.uniform(0.5...2) }
            let a = rng.uniform(-1...1), b = rng.uniform(-1...1)
            tilts.append((0..<(w * h)).map { i in
                if i % 31 == 7 { return .nan }
                let x = Double(i % w), y = Double(i / w), dx = x - core.x, dy = y - core.y, r2 = dx * dx + dy * dy + 0.01
                let field = 3e-4 * (a * dx * dx * dy + b * dy * dy * dy) / (r2 * r2) + 2e-7 * Double(m + 1) * x * y / Double(w)
                return field + sigma[i] * rng.gaussian()
            })
            sigmas.append(sigma)
        }
        return (tilts, sigmas)
    }

    func testTheLineScanEqualsTheDirectScanOnRandomResiduals() {
        // The precomputed scan (what every replicate uses) against `bestLine`, which forms each
        // line's projected step column from scratch: same line, same F, same steps.
        for seed in UInt64(1)...4 {
            var rng = SeededRandom(seed: seed + 300)
            let w = 11 + Int(rng.unit() * 9), h = 9 + Int(rng.unit() * 9)
            let core = SIMD2(rng.uniform(3...Double(w - 4)), rng.uniform(3...Double(h - 4)))
            let (tilts, sigmas) = maps(width: w, height: h, core: core, rng: &rng)
            let usable = (0..<(w * h)).map { tilts[0][$0].isFinite }
            let model = NanodiffTiltModel(width: w, height: h, usable: usable, cores: [core])
            let fits = (0..<2).map { m in model.fit(model.positions.map { tilts[m][$0] }, sigma: model.positions.map { sigmas[m][$0] })! }
            let lines = LineGrid(width: w, height: h)
            let direct = NanodiffBoundaryFinder.bestLine(model: model, fits: fits, lines: lines, width: w)!
            let scan = NanodiffLineScan(model: model, fits: fits, lines: lines, width: w)
            let fast = scan.best(residuals: fits.map(\.residuals), weights: fits.map(\.weights), dof: fits.map(\.dof))!
            XCTAssertEqual(fast.line, direct.line, "seed \(seed)")
            XCTAssertEqual(fast.f, direct.f, accuracy: 1e-9 * max(1, direct.f), "seed \(seed)")
            for m in 0..<2 {
                XCTAssertEqual(fast.steps[m], direct.steps[m], accuracy: 1e-9 * max(1e-6, abs(direct.steps[m])))
                XCTAssertEqual(fast.parts[m], direct.parts[m], accuracy: 1e-9 * max(1, direct.parts[m]))
            }
        }
    }

    func testMultipliersHaveUnitVarianceAndTheBoxCorrelation() {
        var rng = SeededRandom(seed: 9)
        for radius in [0, 2] {
            let w = 60, h = 50, L = Double(2 * radius + 1)
            var sum = 0.0, sum2 = 0.0, lag = 0.0, pairs = 0.0, count = 0.0
            for _ in 0..<20 {
                let f = NanodiffBoundaryReplicates.multipliers(width: w, height: h, radius: radius, rng: &rng)
                for y in 0..<h {
                    for x in 0..<w {
                        let v = f[y * w + x]
                        sum += v; sum2 += v * v; count += 1
                        if x + 1 < w { lag += v * f[y * w + x + 1]; pairs += 1 }
                    }
                }
            }
            XCTAssertEqual(sum / count, 0, accuracy: 0.05)
            XCTAssertEqual(sum2 / count, 1, accuracy: 0.05, "radius \(radius)")
            XCTAssertEqual(lag / pairs, (L - 1) / L, accuracy: 0.05, "radius \(radius): lag-1 correlation")
        }
    }

    func testTheSimulatedNullsHoldTheirFalseAlarmRateAndFindASteps() {
        // Pure noise with a bend: no line in 12 map pairs under either simulated null (α = 0.01
        // per map: P(any) ≈ 0.11); a step of 8 noise σ across a random line: found by both.
        let w = 19, h = 16
        var spurious: [NanodiffBoundaryNull: Int] = [:]
        for seed in UInt64(1)...12 {
            var rng = SeededRandom(seed: seed + 500)
            let core = SIMD2(rng.uniform(4...14), rng.uniform(4...11))
            let (tilts, sigmas) = maps(width: w, height: h, core: core, rng: &rng)
            let angle = rng.uniform(-20...20), y0 = rng.uniform(6...9), t = angle * .pi / 180
            var stepped = tilts
            for i in 0..<(w * h) {
                let x = Double(i % w) - Double(w - 1) / 2, y = Double(i / w) - y0
                if -x * sin(t) + y * cos(t) > 0 { stepped[0][i] += 8e-6; stepped[1][i] -= 5e-6 }
            }
            for null in [NanodiffBoundaryNull.simulated, .bootstrap] {
                spurious[null, default: 0] += NanodiffBoundaryFinder.find(tilts: tilts, sigmas: sigmas, width: w, height: h, cores: [core], null: null).count
                guard seed <= 4 else { continue }
                let found = NanodiffBoundaryFinder.find(tilts: stepped, sigmas: sigmas, width: w, height: h, cores: [core], null: null)
                let score = NanodiffEvaluation.scoreBoundaries(truth: [SIMD3(Double(w - 1) / 2, y0, angle)], detected: found)
                XCTAssertEqual(score.truePositives, 1, "\(null), seed \(seed): the step at \(angle)° through y \(y0) was not found: \(found)")
            }
        }
        XCTAssertLessThanOrEqual(spurious[.simulated, default: 0], 1, "simulated null: \(spurious)")
        XCTAssertLessThanOrEqual(spurious[.bootstrap, default: 0], 1, "bootstrap null: \(spurious)")
    }
}
