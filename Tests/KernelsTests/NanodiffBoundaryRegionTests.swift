import Foundation
import XCTest
@testable import Kernels

/// Tilt-boundary detection (a likelihood-ratio test against a model of the dislocation fields
/// and the per-position noise) and region tracking through a series of scans.
final class NanodiffBoundaryRegionTests: XCTestCase {
    /// A smooth tilt field: an edge dislocation's rotation field of random Burgers-vector
    /// direction at (17.3, 6.6) (isotropic elasticity, a Poisson ratio drawn in 0.2…0.4), a
    /// quadratic large-scale bend, and Gaussian noise of σ at every position.
    func smoothField(width: Int, height: Int, sigma: Double, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        let phi = rng.uniform(0...(2 * Double.pi)), nu = rng.uniform(0.2...0.4), b = rng.uniform(2e-4...6e-4)
        let bend = (rng.uniform(-3e-6...3e-6), rng.uniform(-3e-6...3e-6), rng.uniform(-1e-5...1e-5))
        return (0..<(width * height)).map { i in
            let x = Double(i % width), y = Double(i / width)
            let (dx, dy) = (x - 17.3, y - 6.6)
            let r2 = dx * dx + dy * dy + 0.01, r4 = r2 * r2, k = 1 / (2 * (1 - nu))
            // ∂u/∂x-type field of an edge dislocation with b at angle φ: a degree −1 field.
            let ex = -dy / r2 + k * dy * (dy * dy - dx * dx) / r4, ey = dx / r2 + k * dx * (dx * dx - dy * dy) / r4
            let field = b * (cos(phi) * ex + sin(phi) * ey)
            return bend.0 * x * x + bend.1 * x * y + bend.2 * y + field + sigma * rng.gaussian()
        }
    }

    func testFindsAStepLineAndNotTheSmoothFieldAroundIt() {
        let w = 24, h = 22, sigma = 3e-6
        for seed in UInt64(1)...4 {
            var rng = SeededRandom(seed: seed + 100)
            let angle = rng.uniform(-25...25), y0 = rng.uniform(8...14), jump = (rng.unit() < 0.5 ? -1 : 1) * rng.uniform(6e-5...4e-4)
            let t = angle * .pi / 180
            var map = smoothField(width: w, height: h, sigma: sigma, seed: seed)
            for i in map.indices {
                let x = Double(i % w) - Double(w) / 2, y = Double(i / w) - y0
                if -x * sin(t) + y * cos(t) > 0 { map[i] += jump }
            }
            let noise = [Double](repeating: sigma, count: w * h)
            // The second tilt map holds only noise: the joint test must still find the step.
            let other = (0..<(w * h)).map { _ in sigma * rng.gaussian() }
            let found = NanodiffBoundaryFinder.find(tilts: [map, other], sigmas: [noise, noise], width: w, height: h, cores: [SIMD2(17.3, 6.6)])
            let score = NanodiffEvaluation.scoreBoundaries(truth: [SIMD3(Double(w) / 2, y0, angle)], detected: found)
            XCTAssertEqual(score.truePositives, 1, "seed \(seed): angle \(angle), jump \(jump): \(found)")
            XCTAssertEqual(found.count, 1, "seed \(seed): spurious lines \(found)")
            // The sign is relative to the line's direction (from points[0] to points[1]); the size is the jump.
            if let b = found.first { XCTAssertEqual(abs(b.strength), abs(jump), accuracy: 0.2 * abs(jump)) }

            // The same field without the step: nothing.
            let smooth = smoothField(width: w, height: h, sigma: sigma, seed: seed)
            XCTAssertEqual(NanodiffBoundaryFinder.find(tilts: [smooth, other], sigmas: [noise, noise], width: w, height: h, cores: [SIMD2(17.3, 6.6)]), [],
                           "seed \(seed): a smooth field gave a boundary")
        }
    }

    func testTheDislocationModelFollowsAnyBurgersVectorToTheNoise() {
        // 13×9 (awkward), one core off the grid: the fitted model leaves only the noise.
        for seed in UInt64(1)...3 {
            let w = 13, h = 9, sigma = 2e-6
            var rng = SeededRandom(seed: seed + 7)
            let core = SIMD2(rng.uniform(4...8), rng.uniform(3...5))
            let phi = rng.uniform(0...(2 * Double.pi)), nu = rng.uniform(0.2...0.4)
            let map = (0..<(w * h)).map { i -> Double in
                let dx = Double(i % w) - core.x, dy = Double(i / w) - core.y
                let r2 = dx * dx + dy * dy, k = 1 / (2 * (1 - nu))
                let ex = -dy / r2 + k * dy * (dy * dy - dx * dx) / (r2 * r2), ey = dx / r2 + k * dx * (dx * dx - dy * dy) / (r2 * r2)
                return 4e-4 * (cos(phi) * ex + sin(phi) * ey) + 1e-5 * Double(i % w) + sigma * rng.gaussian()
            }
            let model = NanodiffTiltModel(width: w, height: h, usable: [Bool](repeating: true, count: w * h), cores: [core])
            XCTAssertTrue(model.positions.allSatisfy { i in
                let d = SIMD2(Double(i % w), Double(i / w)) - core
                return (d * d).sum() > NanodiffTiltModel.coreExclusion * NanodiffTiltModel.coreExclusion
            })
            let fit = model.fit(model.positions.map { map[$0] }, sigma: [Double](repeating: sigma, count: model.positions.count))
            let rms = (fit!.residuals.reduce(0) { $0 + $1 * $1 } / Double(model.positions.count)).squareRoot()
            XCTAssertLessThan(rms, 2 * sigma, "seed \(seed): the model leaves \(rms) rad of a pure dislocation field")
        }
    }

    func testTheLineStatisticMatchesARefitWithTheStep() {
        // The prefix-sum F of the best line equals the drop of the weighted residual sum of
        // squares when the step column is really added (same weights), on a 11×17 map.
        let w = 11, h = 17, sigma = 5e-6
        var rng = SeededRandom(seed: 3)
        var maps: [[Double]] = [[], []]
        for m in 0..<2 {
            for i in 0..<(w * h) {
                let above = Double(i / w) > 0.3 * Double(i % w) + 6
                let step: Double = above ? 4e-5 * Double(m + 1) : 0
                maps[m].append(step + sigma * rng.gaussian())
            }
        }
        let sigmas = [[Double](repeating: sigma, count: w * h), [Double](repeating: 2 * sigma, count: w * h)]
        let model = NanodiffTiltModel(width: w, height: h, usable: [Bool](repeating: true, count: w * h), cores: [])
        let fits = (0..<2).map { m in model.fit(model.positions.map { maps[m][$0] }, sigma: model.positions.map { sigmas[m][$0] })! }
        let lines = LineGrid(width: w, height: h)
        guard let best = NanodiffBoundaryFinder.bestLine(model: model, fits: fits, lines: lines, width: w) else { return XCTFail("no line") }
        var withStep = model
        withStep.append(column: model.positions.map { lines.side(best.line, position: $0, width: w) ? 1 : 0 })
        var f = 0.0
        for (m, fit) in fits.enumerated() {
            let y = model.positions.map { maps[m][$0] }
            var rss0 = 0.0
            for (weight, r) in zip(fit.weights, fit.residuals) { rss0 += weight * r * r }
            let (beta, _) = withStep.solve(y, weights: fit.weights)!
            let k = withStep.columns
            let rss1 = (0..<y.count).reduce(0.0) { s, i in
                let r = y[i] - (0..<k).reduce(0) { $0 + withStep.design[i * k + $1] * beta[$1] }
                return s + fit.weights[i] * r * r
            }
            f += (rss0 - rss1) / rss1 * Double(fit.dof)
            XCTAssertEqual(best.steps[m], beta[k - 1], accuracy: 1e-3 * abs(beta[k - 1]))
        }
        XCTAssertEqual(best.f, f / 2, accuracy: 1e-6 * best.f)
    }

    func testPureNoiseRarelyGivesALine() {
        // The per-map false-alarm rate is 1 %: 20 noise maps should give no line at all.
        var lines = 0
        for seed in UInt64(1)...20 {
            var rng = SeededRandom(seed: seed)
            let maps = (0..<2).map { _ in (0..<(20 * 20)).map { _ in 1e-5 * rng.gaussian() } }
            let sigma = [Double](repeating: 1e-5, count: 400)
            lines += NanodiffBoundaryFinder.find(tilts: maps, sigmas: [sigma, sigma], width: 20, height: 20).count
        }
        XCTAssertEqual(lines, 0)
    }

    func testQuantiles() {
        XCTAssertEqual(NanodiffStatistics.normalQuantile(0.975), 1.959964, accuracy: 1e-5)
        XCTAssertEqual(NanodiffStatistics.normalQuantile(1e-7), -5.199338, accuracy: 1e-4)
        // t(0.995, 30) = 2.749996.
        XCTAssertEqual(NanodiffStatistics.studentQuantile(z: NanodiffStatistics.normalQuantile(0.995), dof: 30), 2.75, accuracy: 0.01)
    }

    /// Three scans: region A grows, region B (the same cluster label as A) appears in the third.
    func testRegionThatGrowsKeepsItsTrackAndANewOneStartsOne() {
        let w = 20, h = 18
        func scan(radiusA: Double, withB: Bool) -> (labels: [Int?], embedding: [Double]) {
            var labels = [Int?](repeating: 0, count: w * h), embedding = [Double](repeating: 0, count: w * h * 3)
            for i in 0..<(w * h) {
                let x = Double(i % w), y = Double(i / w)
                if (x - 5) * (x - 5) + (y - 5) * (y - 5) <= radiusA * radiusA { labels[i] = 1 }
                if withB && (x - 15) * (x - 15) + (y - 13) * (y - 13) <= 6.25 { labels[i] = 1 }
                if i % 37 == 0 { labels[i] = nil }  // positions where nothing diffracted
                embedding[i * 3] = labels[i] == 1 ? 2 + 0.01 * Double(i % 7) : -0.01 * Double(i % 5)
                embedding[i * 3 + 1] = 0.1 * sin(Double(i))
            }
            // Speckle: a single position of label 2 is no region.
            labels[w * 16 + 2] = 2
            return (labels, embedding)
        }
        let scans = [scan(radiusA: 2.5, withB: false), scan(radiusA: 3.5, withB: false), scan(radiusA: 4.5, withB: true)]
        let found = scans.map { NanodiffRegionTracker.regions(labels: $0.labels, width: w, height: h, embedding: $0.embedding, dims: 3) }
        XCTAssertEqual(found.map(\.regions.count), [2, 2, 3], "matrix + A, matrix + A, matrix + A + B")
        XCTAssertNil(found[0].regionOf[w * 16 + 2], "speckle is no region")
        let spread = NanodiffRegionTracker.spread(found.map(\.regions), embedding: scans.map(\.embedding), dims: 3)
        let tracks = NanodiffRegionTracker.track(found.map(\.regions), spread: spread)
        func track(_ s: Int, x: Int, y: Int) -> Int? { found[s].regionOf[y * w + x].map { tracks[s][$0] } }
        let a = track(0, x: 5, y: 5), matrix = track(0, x: 12, y: 2)
        XCTAssertNotNil(a)
        XCTAssertNotEqual(a, matrix)
        XCTAssertEqual(track(1, x: 5, y: 5), a)
        XCTAssertEqual(track(2, x: 5, y: 5), a, "the grown region keeps its track")
        XCTAssertEqual(track(2, x: 12, y: 2), matrix)
        let b = track(2, x: 15, y: 13)
        XCTAssertNotNil(b)
        XCTAssertNotEqual(b, a, "the new region shares A's label but not its track")
        XCTAssertNotEqual(b, matrix)
        XCTAssertEqual(found[2].regions[found[2].regionOf[13 * w + 15]!].cluster, found[2].regions[found[2].regionOf[5 * w + 5]!].cluster)
    }
}
