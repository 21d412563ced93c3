import Foundation
import XCTest
@testable import Kernels

/// Session 6's models of what the tilt-boundary model cannot follow: the local misfit variance
/// (`NanodiffLocalMisfit`) and the blurred step a found boundary enters the model as
/// (`NanodiffBlurredStep`).
final class NanodiffMisfitModelTests: XCTestCase {
    /// The separable grid smoothing equals the direct sum over the fitted positions in the
    /// kernel's square support (the naive reference), on awkward maps with holes.
    func testLocalMisfitEqualsTheDirectKernelSum() {
        for (seed, (w, h, bandwidth)) in [(9, 7, 1.5), (13, 21, 1.0), (31, 4, 2.5), (5, 5, 0.7)].enumerated() {
            var rng = SeededRandom(seed: UInt64(seed) + 40)
            let positions = (0..<(w * h)).filter { _ in rng.unit() > 0.25 }
            let residuals = positions.map { _ in rng.gaussian() * rng.uniform(0.5...3) }
            let sigma = positions.map { _ in rng.uniform(0.1...0.8) }
            let local = NanodiffLocalMisfit(width: w, height: h, positions: positions, bandwidth: bandwidth)
            let fast = local.variance(residuals: residuals, sigma: sigma)
            let radius = Int((3 * bandwidth).rounded(.up))
            for (k, i) in positions.enumerated() {
                var num = 0.0, den = 0.0
                for (j, p) in positions.enumerated() {
                    let dx = p % w - i % w, dy = p / w - i / w
                    guard abs(dx) <= radius, abs(dy) <= radius else { continue }
                    let kernel = exp(-Double(dx * dx + dy * dy) / (2 * bandwidth * bandwidth))
                    num += kernel * residuals[j] * residuals[j]
                    den += kernel
                }
                let direct = max(0, num / den - sigma[k] * sigma[k])
                XCTAssertEqual(fast[k], direct, accuracy: 1e-12 * max(1, direct), "\(w)×\(h), bandwidth \(bandwidth), position \(i)")
            }
        }
    }

    /// Misfit confined to a patch raises τ² there and leaves it near zero far away, and the fit's
    /// weights follow it: the patch weighs far less than the clean map.
    func testLocalMisfitFollowsAPatchOfMisfit() {
        let w = 24, h = 20, sigma = 1e-6
        var rng = SeededRandom(seed: 77)
        let centre = SIMD2(17.0, 6.0)
        // A bump the quadratic model cannot follow: a narrow ring-shaped field around `centre`.
        let map = (0..<(w * h)).map { i -> Double in
            let d = SIMD2(Double(i % w), Double(i / w)) - centre
            let r2 = (d * d).sum()
            return 4e-5 * d.x * d.y / 4 * exp(-r2 / 8) + 2e-7 * Double(i % w) + sigma * rng.gaussian()
        }
        var model = NanodiffTiltModel(width: w, height: h, usable: [Bool](repeating: true, count: w * h), cores: [])
        model.localMisfit = NanodiffLocalMisfit(width: w, height: h, positions: model.positions)
        let errors = [Double](repeating: sigma, count: model.positions.count)
        guard let fit = model.fit(model.positions.map { map[$0] }, sigma: errors) else { return XCTFail("no fit") }
        func meanWeight(_ near: Bool) -> Double {
            let picked = model.positions.indices.filter { k in
                let i = model.positions[k]
                let d = SIMD2(Double(i % w), Double(i / w)) - centre
                return near ? (d * d).sum() < 9 : (d * d).sum() > 64
            }
            return picked.reduce(0) { $0 + fit.weights[$1] } / Double(picked.count)
        }
        XCTAssertGreaterThan(meanWeight(false), 10 * meanWeight(true), "the patch should weigh far less than the clean map")
        XCTAssertGreaterThan(meanWeight(false), 0.3 / (sigma * sigma), "far from the patch the weight should be near 1/σ²")
    }

    /// A boundary seen through a beam of σ 0.3 step: the blurred column fits the measured profile
    /// better than the sharp one, and the finder with `step: .blurred` reports that one line and
    /// no second line beside it, on 6 random lines.
    func testABlurredStepIsFoundOnceAndFitted() {
        let w = 22, h = 18, sigma = 2e-6
        for seed in UInt64(1)...6 {
            var rng = SeededRandom(seed: seed + 300)
            let angle = rng.uniform(-20...20), y0 = rng.uniform(7...11), jump = (rng.unit() < 0.5 ? -1 : 1) * rng.uniform(2e-4...6e-4)
            let blur = rng.uniform(0.2...0.4)
            let t = angle * .pi / 180
            let profile = (0..<(w * h)).map { i -> Double in
                let x = Double(i % w) - Double(w) / 2, y = Double(i / w) - y0
                return 0.5 * erfc(-(-x * sin(t) + y * cos(t)) / (blur * 2.0.squareRoot()))
            }
            let map = profile.map { jump * $0 + sigma * rng.gaussian() }
            let other = profile.map { 0.2 * jump * $0 + sigma * rng.gaussian() }
            let noise = [Double](repeating: sigma, count: w * h)
            let found = NanodiffBoundaryFinder.find(tilts: [map, other], sigmas: [noise, noise], width: w, height: h, step: .blurred)
            let score = NanodiffEvaluation.scoreBoundaries(truth: [SIMD3(Double(w) / 2, y0, angle)], detected: found)
            XCTAssertEqual(score.truePositives, 1, "seed \(seed): \(found)")
            XCTAssertEqual(found.count, 1, "seed \(seed): a second line beside the blurred boundary: \(found)")

            // The chosen column against the sharp one: a smaller residual once added to the model.
            let model = NanodiffTiltModel(width: w, height: h, usable: [Bool](repeating: true, count: w * h), cores: [])
            let errors = [Double](repeating: sigma, count: model.positions.count)
            let fits = [map, other].map { values in model.fit(model.positions.map { values[$0] }, sigma: errors)! }
            let lines = LineGrid(width: w, height: h)
            guard let best = NanodiffBoundaryFinder.bestLine(model: model, fits: fits, lines: lines, width: w) else { return XCTFail("no line") }
            let sharp = model.positions.map { lines.side(best.line, position: $0, width: w) ? 1.0 : 0 }
            let blurred = NanodiffBlurredStep.column(line: best.line, lines: lines, model: model, fits: fits, width: w)
            func rss(_ column: [Double]) -> Double {
                var m = model
                m.append(column: column)
                let fit = m.fit(m.positions.map { map[$0] }, sigma: errors)!
                return fit.residuals.reduce(0) { $0 + $1 * $1 }
            }
            XCTAssertLessThan(rss(blurred), 0.8 * rss(sharp), "seed \(seed): the blurred step should fit a blurred boundary better")
        }
    }

    /// Pure noise (with a bend) gives no line with the local misfit and the blurred step, and a
    /// step of 8 σ across a random line is still found, on 10 random maps.
    func testLocalMisfitKeepsTheFalseAlarmRateAndFindsAStep() {
        let w = 20, h = 19, sigma = 3e-6
        var spurious = 0, found = 0
        for seed in UInt64(1)...10 {
            var rng = SeededRandom(seed: seed + 500)
            let bend = (rng.uniform(-2e-7...2e-7), rng.uniform(-2e-7...2e-7))
            let a = (0..<(w * h)).map { i in bend.0 * Double((i % w) * (i % w)) + bend.1 * Double(i / w) + sigma * rng.gaussian() }
            let b = (0..<(w * h)).map { _ in sigma * rng.gaussian() }
            let noise = [Double](repeating: sigma, count: w * h)
            spurious += NanodiffBoundaryFinder.find(tilts: [a, b], sigmas: [noise, noise], width: w, height: h, step: .blurred, misfit: .local).count
            let angle = rng.uniform(-30...30) * .pi / 180, y0 = rng.uniform(7...12)
            let stepped = a.indices.map { i -> Double in
                let x = Double(i % w) - Double(w) / 2, y = Double(i / w) - y0
                return a[i] + (-x * sin(angle) + y * cos(angle) > 0 ? 8 * sigma : 0)
            }
            let lines = NanodiffBoundaryFinder.find(tilts: [stepped, b], sigmas: [noise, noise], width: w, height: h, step: .blurred, misfit: .local)
            found += NanodiffEvaluation.scoreBoundaries(truth: [SIMD3(Double(w) / 2, y0, angle * 180 / .pi)], detected: lines).truePositives
        }
        XCTAssertEqual(spurious, 0, "lines reported on pure noise")
        XCTAssertGreaterThanOrEqual(found, 9, "an 8σ step should be found")
    }
}
