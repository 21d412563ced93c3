import Foundation
import Kernels
@testable import Kinds
import XCTest

/// The merge's helpers: the stored point text and the pile-up neighbours.
final class TEMMergeTests: XCTestCase {
    func testPointTextRoundTripsAndReadsPostgresSpacing() throws {
        let points = [TEMPoint(0, 0), TEMPoint(-1.23456, 511.9999), TEMPoint(12.0005, -0.0004)]
        let text = TEMPointsText.render(points)
        XCTAssertEqual(text, "[[0.000,0.000],[-1.235,512.000],[12.001,0.000]]")
        let back = try TEMPointsText.parse(text)
        XCTAssertEqual(back.count, 3)
        for (a, b) in zip(back, points) { XCTAssertEqual(a.x, b.x, accuracy: 5e-4); XCTAssertEqual(a.y, b.y, accuracy: 5e-4) }
        XCTAssertEqual(try TEMPointsText.parse("[[1.5, 2], [3e1, -4.25]]"), [TEMPoint(1.5, 2), TEMPoint(30, -4.25)])
        XCTAssertEqual(try TEMPointsText.parse("[]"), [])
        XCTAssertThrowsError(try TEMPointsText.parse("[[1, 2], [3]]"))
        XCTAssertThrowsError(try TEMPointsText.parse("[[1, x]]"))
    }

    /// `render` (bytes into one buffer) against its plain twin `referenceRender`, character for
    /// character: signs, values rounding to ±0 and up to the next whole, non-finite values, large
    /// values, empty and one-point curves.
    func testPointTextIsThePlainRenderCharacterForCharacter() {
        var rng = SeededRandom(seed: 5)
        var cases: [[TEMPoint]] = [[], [TEMPoint(0, 0)], [TEMPoint(-0.0004, 0.0005), TEMPoint(-0.0005, 0.9995)],
                                   [TEMPoint(.nan, .infinity), TEMPoint(-.infinity, -0.0)], [TEMPoint(9_007_199_254.5, -123_456_789.0126)],
                                   [TEMPoint(99.9996, -99.9995), TEMPoint(1e-9, -1e-9), TEMPoint(10, 100), TEMPoint(0.01, 0.1)]]
        for count in [2, 7, 50] {
            cases.append((0..<count).map { _ in TEMPoint(rng.uniform(-600...600), rng.uniform(-5...5)) })
        }
        for points in cases {
            XCTAssertEqual(TEMPointsText.render(points), TEMPointsText.referenceRender(points), "\(points)")
        }
    }

    func testNeighbourIsTheNearestRoughlyParallelCurve() {
        func line(x: Double, tilt: Double = 0) -> [TEMPoint] {
            (0...49).map { TEMPoint(x + tilt * Double($0), Double($0) * 2) }
        }
        // Three parallel lines at x = 10, 14, 24 and a crossing one (≈ 45°) through them.
        let curves = [line(x: 10), line(x: 14), line(x: 24), (0...49).map { TEMPoint(Double($0) * 1.5, Double($0) * 1.5) }]
        let coarse = curves.map { TEMPolyline.resample($0, count: 24) }
        let found = TEMNeighbours.find([curves, [], [curves[0]]], coarse: [coarse, [], [coarse[0]]], maxAngleDegrees: 25)
        XCTAssertEqual(found.count, 3)
        XCTAssertEqual(found[0].map { $0?.index }, [1, 0, 1, nil])
        XCTAssertEqual(found[0][0]!.distance, 4, accuracy: 1e-9)
        XCTAssertEqual(found[0][2]!.distance, 10, accuracy: 1e-9)
        XCTAssertTrue(found[1].isEmpty)
        XCTAssertEqual(found[2].count, 1)
        XCTAssertNil(found[2][0])
    }
}
