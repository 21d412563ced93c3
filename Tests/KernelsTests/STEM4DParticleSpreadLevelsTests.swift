import XCTest
@testable import Kernels

/// A view's tilt spread pooled per depth (`STEM4DParticleSpreadLevels`), from a quadrant of a
/// bright-field disk (radius 9.3 px off the detector's centre, 100 mrad, uniform pattern).
final class STEM4DParticleSpreadLevelsTests: XCTestCase {
    let bf = STEM4DBrightField(cx: 15.6, cy: 14.3, radius: 9.3)
    let shape = STEM4DDetectorShape(rows: 30, cols: 32)

    func spread(bins: Int) -> [STEM4DParticleModelFit.Spread] {
        let q = STEM4DStereoGeometry.quadrants(brightField: bf)[1]
        return STEM4DStereoGeometry.viewTiltSpread(of: q, brightField: bf, convergenceMrad: 100, shape: shape,
                                                   meanPattern: [Float](repeating: 1, count: 30 * 32), scanRotationDeg: 17, bins: bins)
            .map { STEM4DParticleModelFit.Spread(dtx: $0.dtx, dty: $0.dty, weight: $0.weight) }
    }

    /// Every level keeps the total weight and the mean offset (0) of the detector pixels; the
    /// coarsest is the 3 × 3 pooling of `viewTiltSpread` (the method without levels); the
    /// finest is a detector pixel each; at each depth the cells chosen smear by at most the
    /// cell width asked for, or are the finest; with no width asked, the spread as given.
    func testLevelsKeepWeightAndMeanAndMeetTheCellWidth() {
        let fine = spread(bins: 32), coarse = spread(bins: 3)
        XCTAssertGreaterThan(fine.count, 50)
        let levels = STEM4DParticleSpreadLevels(fine, cellPx: 0.5)
        XCTAssertGreaterThan(levels.levels.count, 3)
        for level in levels.levels {
            XCTAssertEqual(level.map(\.weight).reduce(0, +), 1, accuracy: 1e-9)
            XCTAssertEqual(level.map { $0.weight * $0.dtx }.reduce(0, +), 0, accuracy: 1e-12)
            XCTAssertEqual(level.map { $0.weight * $0.dty }.reduce(0, +), 0, accuracy: 1e-12)
        }
        XCTAssertEqual(levels.levels[0].count, coarse.count)
        for (a, b) in zip(levels.levels[0], coarse) {
            XCTAssertEqual(a.dtx, b.dtx, accuracy: 1e-12); XCTAssertEqual(a.dty, b.dty, accuracy: 1e-12)
            XCTAssertEqual(a.weight, b.weight, accuracy: 1e-12)
        }
        XCTAssertEqual(levels.levels.last!.count, fine.count)
        XCTAssertEqual(levels.cells(depth: 0).count, coarse.count)
        var previous = 0
        for z in stride(from: 0.0, through: 60, by: 2.5) {
            let cells = levels.cells(depth: -z), k = levels.levels.firstIndex(of: cells)!
            XCTAssertTrue(levels.cellWidth[k] * z <= 0.5 || k == levels.levels.count - 1, "z \(z): level \(k)")
            XCTAssertTrue(k == 0 || levels.cellWidth[k - 1] * z > 0.5, "z \(z): level \(k) finer than needed")
            XCTAssertGreaterThanOrEqual(k, previous)
            previous = k
        }
        XCTAssertEqual(previous, levels.levels.count - 1, "far from focus the finest")
        let given = STEM4DParticleSpreadLevels(coarse, cellPx: 0)
        XCTAssertEqual(given.cells(depth: 60), coarse)
        XCTAssertEqual(STEM4DParticleSpreadLevels([STEM4DParticleModelFit.Spread(dtx: 0, dty: 0, weight: 1)], cellPx: 0.5).cells(depth: 40).count, 1)
    }
}
