import Foundation
import XCTest
@testable import Kernels

/// The effective correlation area of a residual map, and the boundary test's correction for
/// correlated model misfit.
final class NanodiffResidualCorrelationTests: XCTestCase {
    /// White noise smoothed by a (2s+1)² box (s = 0: white), on a width×height map.
    func smoothedNoise(width: Int, height: Int, half s: Int, amplitude: Double, rng: inout SeededRandom) -> [Double] {
        let pw = width + 2 * s, ph = height + 2 * s
        let white = (0..<(pw * ph)).map { _ in rng.gaussian() }
        let norm = Double(2 * s + 1)  // keeps the amplitude: the box sum's σ is (2s+1)
        return (0..<(width * height)).map { i in
            let x = i % width + s, y = i / width + s
            var v = 0.0
            for dy in -s...s { for dx in -s...s { v += white[(y + dy) * pw + x + dx] } }
            return amplitude * v / norm
        }
    }

    func testWhiteNoiseCountsEveryPositionAndABoxCountsItsArea() {
        var rng = SeededRandom(seed: 5)
        // 41×37 with holes (NaN): κ = 1 for white noise, (Σk)²/Σk² = 9 for a 3×3 box.
        for (s, expected, tolerance) in [(0, 1.0, 0.5), (1, 9.0, 3.5)] {
            var kappas: [Double] = []
            for _ in 0..<6 {
                var map = smoothedNoise(width: 41, height: 37, half: s, amplitude: 1, rng: &rng)
                for i in stride(from: 3, to: map.count, by: 29) { map[i] = .nan }
                kappas.append(NanodiffResidualCorrelation.effectiveArea(map, width: 41, height: 37))
            }
            let median = kappas.sorted()[kappas.count / 2]
            XCTAssertEqual(median, expected, accuracy: tolerance, "box half-width \(s): κ \(kappas)")
            XCTAssertTrue(kappas.allSatisfy { $0 >= 1 })
        }
        // A map too small or constant: 1, not a crash.
        XCTAssertEqual(NanodiffResidualCorrelation.effectiveArea([0, 0, 0, 0], width: 2, height: 2), 1)
        XCTAssertEqual(NanodiffResidualCorrelation.effectiveArea([Double](repeating: .nan, count: 30), width: 6, height: 5), 1)
    }

    func testCorrelatedMisfitAloneGivesNoLineAndAStepAcrossItIsFound() {
        // The per-position errors σ say 10⁻⁶ rad, but the maps also hold a smooth misfit ten
        // times larger that no model column follows (a 5×5-box-smoothed field): without the
        // correction its half-plane sums look like steps.
        let w = 26, h = 23, sigma = 1e-6
        let noise = [Double](repeating: sigma, count: w * h)
        var spurious = 0
        for seed in UInt64(1)...5 {
            var rng = SeededRandom(seed: seed + 40)
            let maps = (0..<2).map { _ in
                zip(smoothedNoise(width: w, height: h, half: 2, amplitude: 1e-5, rng: &rng), (0..<(w * h)).map { _ in sigma * rng.gaussian() }).map { $0 + $1 }
            }
            spurious += NanodiffBoundaryFinder.find(tilts: maps, sigmas: [noise, noise], width: w, height: h).count

            // A step of 20 misfit amplitudes on the second map: found, and alone.
            let angle = rng.uniform(-30...30), y0 = rng.uniform(9...14), t = angle * .pi / 180
            var stepped = maps
            for i in 0..<(w * h) {
                let x = Double(i % w) - Double(w) / 2, y = Double(i / w) - y0
                if -x * sin(t) + y * cos(t) > 0 { stepped[1][i] += 2e-4 }
            }
            let found = NanodiffBoundaryFinder.find(tilts: stepped, sigmas: [noise, noise], width: w, height: h)
            let score = NanodiffEvaluation.scoreBoundaries(truth: [SIMD3(Double(w) / 2, y0, angle)], detected: found)
            XCTAssertEqual(score.truePositives, 1, "seed \(seed): the step at \(angle)° was not found: \(found)")
        }
        XCTAssertEqual(spurious, 0, "smooth misfit gave \(spurious) lines in 5 map pairs")
    }

    func testAStrainedRegionIsMaskedAndNoiseIsNot() {
        // 23×19: a Gaussian dilatation (radius 2 steps) at a random place, a core's dipolar strain,
        // a gradient and noise; the mask covers the region's centre and stays off the far corner.
        let w = 23, h = 19
        for seed in UInt64(1)...4 {
            var rng = SeededRandom(seed: seed + 70)
            let centre = SIMD2(rng.uniform(6...16), rng.uniform(6...12)), core = SIMD2(3.4, 15.6)
            let amplitude = (rng.unit() < 0.5 ? -1 : 1) * rng.uniform(1e-4...1e-3), sigma = 2e-6
            func strain(_ region: Bool) -> [Double] {
                (0..<(w * h)).map { i in
                    let p = SIMD2(Double(i % w), Double(i / w)), d = p - centre, c = p - core
                    let bump = region ? amplitude * exp(-(d * d).sum() / 8) : 0
                    return bump + 3e-4 * c.y / max(0.3, (c * c).sum()) + 1e-6 * p.x + sigma * rng.gaussian()
                }
            }
            let mask = NanodiffStrainRegionMask.mask(strain: strain(true), width: w, height: h, cores: [core])
            let at = Int(centre.y.rounded()) * w + Int(centre.x.rounded())
            XCTAssertTrue(mask[at], "seed \(seed): the region at \(centre) is not masked")
            // Where the bump is detectable (≥ 4.5 noise σ) lies within 6 steps of its centre.
            for i in mask.indices where mask[i] {
                let d = SIMD2(Double(i % w), Double(i / w)) - centre
                XCTAssertLessThan((d * d).sum(), 36.5, "seed \(seed): masked position \(i % w), \(i / w) far from the region at \(centre)")
            }
            let far = centre.x < 11.5 ? w * (h - 1) + w - 1 : w * (h - 1)
            XCTAssertFalse(mask[far])
            XCTAssertEqual(NanodiffStrainRegionMask.mask(strain: strain(false), width: w, height: h, cores: [core]).filter { $0 }.count, 0,
                           "seed \(seed): noise and a core's field were masked")
        }
    }
}
