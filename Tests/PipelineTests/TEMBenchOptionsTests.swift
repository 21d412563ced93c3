import Foundation
import SliplineTestSupport
import XCTest

/// `ctl bench tem --detector-json`: any subset of the detector's fields, laid over the chosen
/// detector (a setting written before a field existed still runs); a misspelt field is refused
/// by name instead of silently ignored. Real `ctl`.
final class TEMBenchOptionsTests: XCTestCase {
    func testDetectorJSONTakesAnySubsetAndRefusesUnknownFields() throws {
        let partial = try CtlProcess.run(["bench", "tem", "--frames", "2", "--no-quality", "--detector", "video5",
                                          "--detector-json", #"{"highThreshold": 6, "minLength": 30}"#], timeout: 300)
        XCTAssertEqual(partial.status, 0, partial.output)
        XCTAssertTrue(partial.output.contains("frames/CPU-s"), partial.output)

        let misspelt = try CtlProcess.run(["bench", "tem", "--frames", "2", "--no-quality",
                                           "--detector-json", #"{"highTreshold": 6}"#], timeout: 120)
        XCTAssertNotEqual(misspelt.status, 0, misspelt.output)
        XCTAssertTrue(misspelt.output.contains("TEMDetectorConfig has no field highTreshold"), misspelt.output)
        XCTAssertTrue(misspelt.output.contains("highThreshold"), "the known fields are listed: \(misspelt.output)")

        let notJSON = try CtlProcess.run(["bench", "tem", "--frames", "2", "--no-quality", "--detector-json", "highThreshold=6"], timeout: 120)
        XCTAssertNotEqual(notJSON.status, 0, notJSON.output)
        XCTAssertTrue(notJSON.output.contains("--detector-json: not valid JSON"), notJSON.output)
    }
}
