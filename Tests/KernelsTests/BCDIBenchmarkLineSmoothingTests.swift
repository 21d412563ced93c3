@testable import Kernels
import XCTest

/// `ctl bench bcdi`'s line-smoother cases: on the comparison crystal the precision map agrees with
/// the plain Double loop and the RTS pass with the dense batch solution on the traced chains.
final class BCDIBenchmarkLineSmoothingTests: XCTestCase {
    func testLineSmoothingCasesMatchTheirReferences() {
        let cases = BCDIBenchmark.timeLineSmoothing(repetitions: 1)
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            XCTAssertEqual(c.matchesReference, true, c.name)
            XCTAssertNotNil(c.note, c.name)
        }
        // The crystal's three lines (screw, edge, loop) are traced and smoothed.
        XCTAssertTrue(cases[1].name.hasPrefix("line smoothing(3 chains"), cases[1].name)
    }
}
