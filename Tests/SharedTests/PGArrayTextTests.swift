import Foundation
import Shared
import XCTest

/// `PGArray.pgText` (UTF-8 bytes into one buffer) against its plain twin `referenceText` (scalar
/// by scalar), character for character.
final class PGArrayTextTests: XCTestCase {
    func testArrayTextIsThePlainTextCharacterForCharacter() {
        let cases: [[String?]] = [
            [], [nil], [""], ["", nil, ""],
            ["plain", "with \"quotes\"", "back\\slash", "\\\"", "\"\\\\\""],
            ["[[1.000,2.000],[-3.500,4.250]]", "{\"a\": [1, 2]}", "NULL", "null"],
            ["é", "Å∂ƒ", "emoji 🧪 and \"quote\"", "中文\\路径", "a\u{0301}", "\u{FEFF}bom"],
            (0..<200).map { i in i % 7 == 0 ? nil : String(repeating: i % 3 == 0 ? "\\\"x" : "yé", count: i % 11) },
        ]
        for elements in cases {
            let array = PGArray(elements.map { $0 as (any PGValue)? })
            XCTAssertEqual(array.pgText, array.referenceText, "\(elements)")
            XCTAssertEqual(Array(array.pgText.utf8), Array(array.referenceText.utf8), "\(elements)")
        }
        XCTAssertEqual(PGArray(["a\"b", "c\\d"]).pgText, #"{"a\"b","c\\d"}"#)
        XCTAssertEqual(PGArray([nil, "x"] as [(any PGValue)?]).pgText, #"{NULL,"x"}"#)
    }
}
