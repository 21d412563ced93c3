import Foundation
import XCTest
@testable import Kernels

/// The per-position point-cloud tools: 3D LPA-ICI, the voxelised descriptor, and the adjusted
/// Rand index used to score embeddings.
final class NanodiffCloudTests: XCTestCase {
    /// A Poisson volume with a Gaussian peak on a flat background, on an awkward shape.
    func volume(angles: Int, rows: Int, cols: Int, seed: UInt64, peak: Double, background: Double) -> (counts: [UInt16], rate: [Double]) {
        var rng = SeededRandom(seed: seed)
        let c = SIMD3(Double(angles) / 2 - 0.3, Double(rows) / 2 + 0.4, Double(cols) / 2 - 0.2)
        var counts: [UInt16] = [], rate: [Double] = []
        for a in 0..<angles {
            for r in 0..<rows {
                for k in 0..<cols {
                    let d = SIMD3(Double(a), Double(r), Double(k)) - c
                    let lambda = background + peak * exp(-(d * d).sum() / (2 * 2.0 * 2.0))
                    rate.append(lambda)
                    counts.append(UInt16(min(65535, rng.poisson(lambda))))
                }
            }
        }
        return (counts, rate)
    }

    func testCloudLPAICISmoothsTheBackgroundAndKeepsThePeak() {
        for (angles, rows, cols) in [(13, 17, 19), (9, 24, 11)] {
            let (counts, rate) = volume(angles: angles, rows: rows, cols: cols, seed: UInt64(angles), peak: 40, background: 0.5)
            var out = [Float](repeating: 0, count: counts.count)
            counts.withUnsafeBufferPointer { c in out.withUnsafeMutableBufferPointer { NanodiffCloudLPAICI.denoise(c, angles: angles, rows: rows, cols: cols, into: $0) } }
            func rms(_ x: [Double], where keep: (Int) -> Bool) -> Double {
                let d = x.indices.filter(keep).map { x[$0] - rate[$0] }
                return (d.reduce(0) { $0 + $1 * $1 } / Double(d.count)).squareRoot()
            }
            let flat: (Int) -> Bool = { rate[$0] < 0.6 }
            XCTAssertLessThan(rms(out.map(Double.init), where: flat), 0.6 * rms(counts.map(Double.init), where: flat), "\(angles)×\(rows)×\(cols)")
            // The peak keeps most of its height: zero-order LPA flattens a σ = 2-voxel peak by about
            // 30 % (the bias behind the broader widths in docs/nanodiff.md, Measured), not more.
            let top = rate.indices.max { rate[$0] < rate[$1] }!
            XCTAssertGreaterThan(Double(out[top]), 0.6 * rate[top])
        }
        // A single voxel comes back as itself, up to the unbiased inverse Anscombe's +1/4.
        var one: [Float] = [0]
        [UInt16(7)].withUnsafeBufferPointer { c in one.withUnsafeMutableBufferPointer { NanodiffCloudLPAICI.denoise(c, angles: 1, rows: 1, cols: 1, into: $0) } }
        XCTAssertEqual(one[0], 7.25, accuracy: 1e-4)
    }

    func testAdjustedRandIndex() {
        XCTAssertEqual(NanodiffStatistics.adjustedRandIndex([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9]), 1, accuracy: 1e-12)
        // The textbook example (Hubert & Arabie's contingency table reduced): known value 0.24242…
        XCTAssertEqual(NanodiffStatistics.adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]), 0.242424, accuracy: 1e-5)
        var rng = SeededRandom(seed: 3)
        let a = (0..<2000).map { _ in Int(rng.unit() * 3) }, b = (0..<2000).map { _ in Int(rng.unit() * 3) }
        XCTAssertEqual(NanodiffStatistics.adjustedRandIndex(a, b), 0, accuracy: 0.02)
    }

    func testCloudDescriptorSeesAStrainedPosition() {
        // Two positions: the reference lattice and one strained by 0.3 %; the descriptor's mass
        // moves along n₀ for the strained one only.
        var p = NanodiffSynthParams()
        p.scanRows = 1; p.scanCols = 2; p.dose = 1e6; p.background = 0.01
        p.rockingHalfRangeDeg = p.suggestedHalfRangeDeg
        p.region = .init(x: 1, y: 0, radius: 0.3, strain: 3e-3)
        let (data, _) = NanodiffSynthesizer.render(p, threads: 1)
        let features = data.withUnsafeBufferPointer {
            NanodiffPositionAnalysis.analyse($0, angles: p.angles, positions: 2, width: p.detCols, height: p.detRows,
                                             anglesDeg: p.anglesDeg, geometry: p.geometry)
        }.map { $0! }
        let frame = NanodiffLatticeFrame(q0: features[0].q)
        let spread = NanodiffCloudDescriptor.spread(features, frame: frame)
        let d = data.withUnsafeBufferPointer {
            NanodiffCloudDescriptor.describe($0, angles: p.angles, positions: 2, width: p.detCols, height: p.detRows, anglesDeg: p.anglesDeg,
                                             geometry: p.geometry, frame: frame, spread: spread)
        }
        let n = NanodiffCloudDescriptor.bins
        func meanBinAlongN0(_ h: [Double]) -> Double { h.indices.reduce(0) { $0 + h[$1] * Double($1 / (n * n)) } }
        XCTAssertEqual(d[0].reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertEqual(meanBinAlongN0(d[0]), Double(n) / 2 - 0.5, accuracy: 0.5)
        // Larger spacing: |q| smaller, the mass moves to lower bins along n₀.
        XCTAssertLessThan(meanBinAlongN0(d[1]), meanBinAlongN0(d[0]) - 0.3)
    }
}
