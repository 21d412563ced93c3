import XCTest
@testable import Kernels

/// `STEM4DLineDepthBackgroundTest`: the background terms are kept on a line only where the
/// shift they make to its depth (d = z_with − z_without, the mean along the line) outweighs the
/// variance they add, both measured on the line.
final class STEM4DLineDepthBackgroundTests: XCTestCase {
    /// d along a line of `points`: `shift` plus noise of spread `noise` that is shared by blocks
    /// of `block` points (the fit pools a window of neighbours, so its errors come in blocks).
    func differences(points: Int, shift: Double, noise: Double, block: Int, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        var out: [Double] = []
        var level = 0.0
        for i in 0..<points {
            if i % block == 0 { level = rng.gaussian() * noise }
            out.append(shift + level)
        }
        return out
    }

    func keeps(points: Int, shift: Double, noise: Double, seed: UInt64) -> Bool {
        let d = differences(points: points, shift: shift, noise: noise, block: 7, seed: seed)
        return STEM4DLineDepthBackgroundTest.keepsTerms(without: [Double](repeating: 0, count: points), with: d,
                                                        posed: [Bool](repeating: true, count: points), block: 7, span: 13)
    }

    /// A shift the terms make all along a 60-point line, large against the scatter: kept on all
    /// of 40 lines; no shift at all (pure scatter): kept on few (the test's own false rate);
    /// a shift well under the scatter: kept on few (the variance added outweighs it).
    func testKeepsTermsOnlyWhereTheirShiftOutweighsTheirVariance() {
        let seeds: [UInt64] = Array(1...40)
        let systematic = seeds.filter { keeps(points: 60, shift: 1.0, noise: 0.3, seed: $0) }.count
        let none = seeds.filter { keeps(points: 60, shift: 0, noise: 0.5, seed: $0) }.count
        let small = seeds.filter { keeps(points: 60, shift: 0.15, noise: 1.0, seed: $0) }.count
        XCTAssertEqual(systematic, 40)
        XCTAssertLessThanOrEqual(none, 6, "kept on \(none) of 40 lines with no shift")
        XCTAssertLessThanOrEqual(small, 8, "kept on \(small) of 40 lines with a shift under the scatter")
    }

    /// The same shift on a line of under two blocks is not judged (its scatter is not measured):
    /// the fit without the terms is kept; points not posed do not count.
    func testShortLineOrUnposedPointsKeepTheFitWithout() {
        XCTAssertFalse(STEM4DLineDepthBackgroundTest.keepsTerms(without: [Double](repeating: 0, count: 13), with: (0..<13).map { 1 + 0.01 * Double($0) },
                                                                posed: [Bool](repeating: true, count: 13), block: 7, span: 13))
        var posed = [Bool](repeating: false, count: 60)
        for i in 0..<10 { posed[i] = true }
        let d = differences(points: 60, shift: 1.0, noise: 0.3, block: 7, seed: 1)
        XCTAssertFalse(STEM4DLineDepthBackgroundTest.keepsTerms(without: [Double](repeating: 0, count: 60), with: d, posed: posed, block: 7, span: 13))
        XCTAssertTrue(STEM4DLineDepthBackgroundTest.keepsTerms(without: [Double](repeating: 0, count: 60), with: d,
                                                               posed: [Bool](repeating: true, count: 60), block: 7, span: 13))
    }
}
