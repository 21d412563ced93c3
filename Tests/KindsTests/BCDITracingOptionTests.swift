import Foundation
import Kernels
import Shared
import Kinds
import SliplineTestSupport
import XCTest

/// `--param tracing=`: how a bcdi job turns core regions into lines.
final class BCDITracingOptionTests: XCTestCase {
    func testEveryTracingFindsTheDemoLinesAndABadNameIsRefused() throws {
        let dir = try BCDIFixtures.temporaryDirectory("tracing")
        let v = BCDIFixtures.volume(BCDIShape(nz: 32, ny: 32, nx: 32))
        try BCDIFixtures.writeCXI(v, to: "\(dir)/v.cxi")
        for tracing in BCDILineTracing.allCases {
            let result = try KindHarness(BCDIKind(), input: "\(dir)/v.cxi", params: ["tracing": tracing.rawValue]).run()
            XCTAssertTrue(result.errors.isEmpty, "\(tracing): \(result.errors)")
            let lines = result.mergeRows.rows(of: "bcdi_line_results")
            XCTAssertGreaterThanOrEqual(lines.count, 3, "\(tracing): the screw line, the edge line and the loop")
        }
        XCTAssertThrowsError(try KindHarness(BCDIKind(), input: "\(dir)/v.cxi", params: ["tracing": "voxels"]).plan()) { error in
            XCTAssertTrue("\(error)".contains("tracing=voxels"), "\(error)")
        }
    }
}
