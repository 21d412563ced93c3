import Foundation
import XCTest
@testable import Kernels

/// Tilt-boundary detection (hypothesis tests against the per-position noise) and region
/// tracking through a series of scans.
final class NanodiffBoundaryRegionTests: XCTestCase {
    /// A smooth tilt field that curves (a dilatation bump and a dislocation-like 1/r dipole) plus
    /// a linear ramp, with Gaussian noise of σ at every position.
    func smoothField(width: Int, height: Int, sigma: Double, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<(width * height)).map { i in
            let x = Double(i % width), y = Double(i / width)
            let bump = 3e-4 * exp(-((x - 6) * (x - 6) + (y - 15) * (y - 15)) / 8) * (x - 6) / 2
            let (dx, dy) = (x - 17.3, y - 6.6)
            let dipole = 4e-4 * dy / max(0.5, dx * dx + dy * dy).squareRoot() / max(1, (dx * dx + dy * dy).squareRoot())
            return 2e-5 * x - 1e-5 * y + bump + dipole + sigma * rng.gaussian()
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
            let found = NanodiffBoundaryFinder.find(tilt: map, sigma: noise, width: w, height: h, avoid: [SIMD2(17.3, 6.6)])
            let score = NanodiffEvaluation.scoreBoundaries(truth: [SIMD3(Double(w) / 2, y0, angle)], detected: found)
            XCTAssertEqual(score.truePositives, 1, "seed \(seed): angle \(angle), jump \(jump): \(found)")
            XCTAssertEqual(found.count, 1, "seed \(seed): spurious lines \(found)")
            // The sign is relative to the line's direction (from points[0] to points[1]); the size is the jump.
            if let b = found.first { XCTAssertEqual(abs(b.strength), abs(jump), accuracy: 0.2 * abs(jump)) }

            // The same field without the step: nothing.
            let smooth = smoothField(width: w, height: h, sigma: sigma, seed: seed)
            XCTAssertEqual(NanodiffBoundaryFinder.find(tilt: smooth, sigma: noise, width: w, height: h, avoid: [SIMD2(17.3, 6.6)]), [],
                           "seed \(seed): a smooth field gave a boundary")
        }
    }

    func testPureNoiseRarelyGivesALine() {
        // The per-map false-alarm rate is 1 %: 20 noise maps should give no line at all.
        var lines = 0
        for seed in UInt64(1)...20 {
            var rng = SeededRandom(seed: seed)
            let map = (0..<(20 * 20)).map { _ in 1e-5 * rng.gaussian() }
            lines += NanodiffBoundaryFinder.find(tilt: map, sigma: [Double](repeating: 1e-5, count: 400), width: 20, height: 20).count
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
