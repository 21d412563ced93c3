import Foundation
import XCTest

@testable import Shared

/// Names from damaged EMPAD descriptions (inputs the fuzzer found) are parsed without trapping:
/// corelibs Foundation's NSString path methods trap on `//` followed by invalid UTF-8.
final class FormatsEMPADNameTests: XCTestCase {
    func testNamesWithSlashesAndInvalidUTF8AreNotATrap() throws {
        let damaged = String(decoding: [0x2F, 0x2F, 0xBC] as [UInt8], as: UTF8.self)
        XCTAssertNil(EMPADFile.scanFromName(damaged))
        XCTAssertEqual(EMPADFile.lastComponent("scan_x1_y1." + damaged), "\u{FFFD}")
        XCTAssertEqual(EMPADFile.scanFromName("dir/scan_x256_y128.raw").map { [$0.width, $0.height] }, [256, 128])
        let dir = try FormatsTempDirectory()
        let xml = dir.file("d.xml")
        try Data(("<raw_file filename=\"scan_x1_y1.//" + damaged + "\"/>").utf8).writeFixture(toPath: xml)
        XCTAssertThrowsError(try EMPADFile.open(path: xml))  // the raw file it names does not exist: an error, not a trap
    }
}
