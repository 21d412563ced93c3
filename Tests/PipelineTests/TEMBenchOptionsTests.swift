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

    /// With `temporalMeanFrames` the speed lines time the temporal mean too: its kernel checked
    /// against the plain per-pixel reference on a faint draw and on the clear hard video, and with
    /// `temporalProbeInterval` the clear video's mean read on few frames.
    func testTheTemporalMeanIsTimed() throws {
        let r = try CtlProcess.run(["bench", "tem", "--frames", "16", "--no-quality", "--detector", "video5",
                                    "--detector-json", #"{"temporalMeanFrames": 3, "temporalProbeInterval": 8}"#], timeout: 600)
        XCTAssertEqual(r.status, 0, r.output)
        let lines = r.output.split(separator: "\n").filter { $0.hasPrefix("tem temporal mean (K = 3") }
        XCTAssertEqual(lines.count, 2, r.output)
        for line in lines {
            let error = line.components(separatedBy: "reference max error ").dropFirst().first?.split(separator: " ").first.flatMap { Double($0) }
            XCTAssertLessThan(try XCTUnwrap(error, String(line)), 1e-5, String(line))
        }
        let clear = try XCTUnwrap(lines.first { $0.contains("hard preset seed 1") })
        let read = clear.components(separatedBy: "mean read on ").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) }
        XCTAssertEqual(read, 2, "the clear video's mean read on the probes alone (frames 0 and 8 of 16): \(clear)")
    }
}
