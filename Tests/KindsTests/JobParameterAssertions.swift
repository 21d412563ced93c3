import Foundation
import Kernels
@testable import Kinds
import Shared
import XCTest

/// Asserts one job parameter the way every kind's parameter tests state it: the value the options
/// hold when nothing is given, the value each text given reads as, and that each malformed text
/// is refused at submission by an error that names the parameter (so a user sees which `--param`
/// to fix). `options` builds the kind's options from the parameters as submission does.
func assertJobParameter<Options, Value: Equatable>(
    _ name: String, of options: ([String: String]) throws -> Options, _ value: (Options) -> Value,
    byDefault: Value, reads: [(String, Value)], refuses: [String],
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(try value(options([:])), byDefault, "\(name) by default", file: file, line: line)
    for (text, expected) in reads {
        XCTAssertEqual(try value(options([name: text])), expected, "\(name)=\(text)", file: file, line: line)
    }
    for text in refuses {
        XCTAssertThrowsError(try options([name: text]), "\(name)=\(text)", file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(name), "\(name)=\(text): \(error)", file: file, line: line)
        }
    }
}

/// The 4D-STEM job's options as submission reads them.
func stem4dOptions(_ params: [String: String]) throws -> STEM4DJobOptions {
    try STEM4DJobOptions(JobParams(params))
}

/// The detector settings a TEM shard reads for these job parameters (`TEMJobOptions` as submission
/// reads them, then `TEMFrameAnalysis.detectorConfig` as the shard does).
func temShardDetectorConfig(_ params: [String: String]) throws -> TEMDetectorConfig {
    TEMFrameAnalysis.detectorConfig(try TEMJobOptions(JobParams(params)))
}
