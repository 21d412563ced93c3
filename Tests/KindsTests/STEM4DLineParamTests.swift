import Kernels
@testable import Kinds
import Shared
import XCTest

/// The lines' depth smoothing is a job parameter (recorded with the job), not a worker's
/// environment: its default is the fitter's, a value reaches the reconstruction, and a bad one
/// is refused naming the parameter.
final class STEM4DLineParamTests: XCTestCase {
    func testLineDepthWindowDefaultsToTheFittersAndIsValidated() throws {
        XCTAssertEqual(try STEM4DJobOptions(JobParams([:])).lineDepthWindow, STEM4DLineDepthFit.defaultSmoothing)
        XCTAssertEqual(try STEM4DJobOptions(JobParams(["line_depth_window": "3"])).lineDepthWindow, 3)
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_depth_window": "-1"]))) { error in
            XCTAssertTrue("\(error)".contains("line_depth_window"), "\(error)")
        }
        XCTAssertThrowsError(try STEM4DJobOptions(JobParams(["line_depth_window": "wide"])))
        XCTAssertEqual(STEM4DLineSweepStereo(zRange: 40, minLength: nil).depthSmoothingHalf, STEM4DLineDepthFit.defaultSmoothing)
    }
}
