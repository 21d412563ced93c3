import XCTest
@testable import Kernels

/// Lines of later pairs add only what the first pair does not cover.
final class STEM4DLineUnionTests: XCTestCase {
    func testLaterPairsAddOnlyUncoveredStretches() {
        let first = [STEM4DLine3D(points: (0..<20).map { [10, Double($0), 1] })]
        // The second pair sees the same line (offset 0.5 px) plus a line along x that crosses it.
        let again = STEM4DLine3D(points: (0..<20).map { [10.5, Double($0), 1.2] })
        let across = STEM4DLine3D(points: (0..<30).map { [Double($0), 8, 3] })
        let out = STEM4DLineUnion.union([first, [again, across]], tolerance: 2, minPoints: 5)
        // The crossing line is split where it passes within 2 px of the kept one: x 0…7 and 13…29.
        XCTAssertEqual(out.count, 3)
        XCTAssertEqual(out[0], first[0])
        XCTAssertEqual(out[1].points.map { $0[0] }, (0..<8).map(Double.init))
        XCTAssertEqual(out[2].points.map { $0[0] }, (13..<30).map(Double.init))
        // Stretches shorter than minPoints are dropped; no sets, nothing.
        XCTAssertEqual(STEM4DLineUnion.union([first, [across]], tolerance: 2, minPoints: 10).count, 2)
        XCTAssertEqual(STEM4DLineUnion.union([]), [])
    }
}
