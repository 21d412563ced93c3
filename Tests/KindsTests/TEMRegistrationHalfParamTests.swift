import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// `--param registration=half` (off): registration at half size (`TEMRegistration.Config.halfSize`).
final class TEMRegistrationHalfParamTests: XCTestCase {
    func testParameter() {
        assertJobParameter("registration", of: { try TEMJobOptions(JobParams($0)) }, { $0.registration.halfSize }, byDefault: false,
                           reads: [("half", true), ("masked", false), ("v4", false)], refuses: ["quarter"])
    }
}
