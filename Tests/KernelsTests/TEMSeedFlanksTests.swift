import XCTest
@testable import Kernels

/// Extra seeds that are the other polarity's flank (`TEMDetectorConfig.seedFlankReach`,
/// `SeedFlanks`): an extra seed beside a ridge of the other polarity at least as high is dropped.
final class TEMSeedFlanksTests: XCTestCase {
    /// Hand-built maps on an awkward 13 × 11 frame: an extra seed (averaged map ≥ its level, plain
    /// map below the plain seed level) is dropped when the opposite map is at least as high at
    /// it or within `reach` steps along its normal, kept when the opposite peak is beyond the
    /// reach, off its normal, or lower; a pixel that seeds on the plain map is never touched.
    func testAnExtraSeedBesideAStrongerOppositeRidgeIsDropped() {
        let w = 13, h = 11, n = w * h
        let seedHigh: Float = 5, high: Float = 4
        func run(opposite peak: (x: Int, y: Int, value: Float), normal code: Float, plain: Float = 1) -> Bool {
            var seeds = [Float](repeating: 0, count: n), opposite = seeds, response = seeds
            let normal = [Float](repeating: code, count: n)
            let i = 5 * w + 6 // the seed at (6, 5)
            seeds[i] = 6; response[i] = plain
            opposite[peak.y * w + peak.x] = peak.value
            let dropped = seeds.withUnsafeMutableBufferPointer { s in opposite.withUnsafeBufferPointer { o in
                response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in
                    SeedFlanks.suppress(seeds: s, opposite: o, response: r, normal: nb, width: w, height: h,
                                        seedHigh: seedHigh, high: high, reach: 3)
                } }
            } }
            XCTAssertEqual(dropped, seeds[i] < seedHigh ? 1 : 0)
            return seeds[i] < seedHigh
        }
        XCTAssertTrue(run(opposite: (9, 5, 7), normal: 0), "opposite ridge 3 px along the x normal")
        XCTAssertTrue(run(opposite: (4, 3, 6), normal: 1), "opposite ridge 2 steps back along the (1, 1) normal, as high")
        XCTAssertTrue(run(opposite: (7, 4, 9), normal: 3), "one step along the (1, −1) normal")
        XCTAssertTrue(run(opposite: (6, 5, 6), normal: 2), "at the seed itself")
        XCTAssertFalse(run(opposite: (10, 5, 9), normal: 0), "4 px away is beyond the reach")
        XCTAssertFalse(run(opposite: (6, 7, 9), normal: 0), "along the line (x normal: the line runs along y), not across it")
        XCTAssertFalse(run(opposite: (8, 5, 5.9), normal: 0), "a lower opposite ridge does not explain the seed")
        XCTAssertFalse(run(opposite: (8, 5, 9), normal: 0, plain: 4), "a pixel that seeds on the plain map is kept")
        XCTAssertFalse(run(opposite: (12, 5, 9), normal: 0), "a seed near no opposite ridge is kept")
    }
}
