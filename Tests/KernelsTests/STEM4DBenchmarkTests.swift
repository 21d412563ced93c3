import XCTest
@testable import Kernels

final class STEM4DBenchmarkTests: XCTestCase {
    /// A tiny run: every configuration agrees with the naive reference.
    func testTinyBenchmarkMatchesReference() {
        var lines: [String] = []
        let r = STEM4DBenchmark.run(scanRows: 6, scanCols: 7, detRows: 16, detCols: 24, repeats: 1,
                                    gemm: .naive) { lines.append($0) }
        XCTAssertEqual(r.rows.count, 8)
        XCTAssertTrue(r.rows.allSatisfy(\.matchesReference))
        XCTAssertGreaterThan(r.bandwidthGibPerSecond, 0)
        XCTAssertTrue(lines.contains { $0.contains("% of the best bandwidth") })
    }
}
