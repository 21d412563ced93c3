import XCTest

@testable import Shared

final class FormatsNaturalSortTests: XCTestCase {
    func testNumbersCompareByValue() {
        let names = ["f10.png", "f2.png", "f1.png", "f100.png", "f20.png", "f3.png"]
        XCTAssertEqual(names.naturallySorted(), ["f1.png", "f2.png", "f3.png", "f10.png", "f20.png", "f100.png"])
    }

    func testMixedPrefixesAndMultipleNumberRuns() {
        let names = ["b1.png", "a10_2.png", "a10_10.png", "a9_99.png", "a10_1.png"]
        XCTAssertEqual(names.naturallySorted(), ["a9_99.png", "a10_1.png", "a10_2.png", "a10_10.png", "b1.png"])
    }

    func testLeadingZerosAndTies() {
        XCTAssertTrue(NaturalSort.areInIncreasingOrder("f0002.png", "f10.png"))
        XCTAssertTrue(NaturalSort.areInIncreasingOrder("f1.png", "f01.png"), "fewer leading zeros first on a numeric tie")
        XCTAssertEqual(NaturalSort.compare("f1.png", "f1.png"), 0)
        XCTAssertTrue(NaturalSort.areInIncreasingOrder("f0.png", "f00.png"))
    }

    func testCaseInsensitiveWithDeterministicTieBreak() {
        XCTAssertTrue(NaturalSort.areInIncreasingOrder("a2.png", "B1.png"))
        XCTAssertTrue(NaturalSort.areInIncreasingOrder("F1.png", "f1.png"))
        XCTAssertNotEqual(NaturalSort.compare("F1.png", "f1.png"), 0)
    }

    func testPrefixAndHugeNumbers() {
        XCTAssertTrue(NaturalSort.areInIncreasingOrder("f", "f1"))
        XCTAssertTrue(NaturalSort.areInIncreasingOrder("f99999999999999999999998", "f99999999999999999999999"))
        XCTAssertTrue(NaturalSort.areInIncreasingOrder("f9", "f99999999999999999999999"))
    }

    func testTotalOrderIsConsistent() {
        let names = ["x", "x0", "x00", "x1", "X1", "x01", "x1a", "x1A", "x10", "x2", "é2", "e2", "", "1", "01"]
        for a in names {
            XCTAssertEqual(NaturalSort.compare(a, a), 0)
            for b in names where a != b {
                XCTAssertEqual(NaturalSort.compare(a, b), -NaturalSort.compare(b, a), "\(a) vs \(b)")
                XCTAssertNotEqual(NaturalSort.compare(a, b), 0, "\(a) vs \(b)")
                for c in names where NaturalSort.compare(a, b) < 0 && NaturalSort.compare(b, c) < 0 {
                    XCTAssertLessThan(NaturalSort.compare(a, c), 0, "transitivity \(a) < \(b) < \(c)")
                }
            }
        }
    }
}
