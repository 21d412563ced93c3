@testable import Kernels
import XCTest

/// A line imaged as two edges read as one observation (`TEMTrackerConfig.doubleLines`,
/// `TEMDoubleLines`), as on medium draw 205 (docs/tem.md, tem-track24), and close pairs left two.
final class TEMDoubleLinesTests: XCTestCase {
    /// A bowed, roughly vertical curve through x at y 20–140 (one point per 2 px), moved `dx`
    /// along its normal, jittered across by ±0.15 px.
    func curve(x: Double, dx: Double = 0, frame: Int, salt: Int) -> [TEMPoint] {
        TEMBowedTestCurve.points(x: x, dx: dx, frame: frame, salt: salt)
    }

    func track(_ curves: [[[TEMPoint]]], double: Bool) -> [TEMTrack] {
        var c = TEMTrackerConfig()
        c.doubleLines = double
        return TEMPiecewiseTracking.track(curves, framesPerPiece: 20, config: c)
    }

    /// Two lines 40 px apart, each imaged as two edges 2.4 px apart, gliding 0.4 px a frame; the
    /// detector sees the left edge in two frames of three and the right edge in two of three
    /// (both in every third). Each edge is tracked as a line of its own without the field; with
    /// it each line is one track holding every curve of its edges.
    func testADoubleLinesTwoEdgesAreOneTrack() {
        let curves: [[[TEMPoint]]] = (0..<40).map { f in
            let g = 0.4 * Double(f)
            return [100.0, 140].enumerated().flatMap { k, x -> [[TEMPoint]] in
                var edges: [[TEMPoint]] = []
                if f % 3 != 2 { edges.append(curve(x: x + g, dx: -1.2, frame: f, salt: 2 * k)) }
                if f % 3 != 0 { edges.append(curve(x: x + g, dx: 1.2, frame: f, salt: 2 * k + 1)) }
                return edges
            }
        }
        let plain = track(curves, double: false)
        XCTAssertGreaterThan(plain.count, 2, "each edge a track of its own")
        let folded = track(curves, double: true)
        XCTAssertEqual(folded.count, 2)
        XCTAssertEqual(folded.map(\.frames.count).reduce(0, +), curves.map(\.count).reduce(0, +), "every curve on a track")
        for t in folded {
            let xs = zip(t.frames, t.curveIndices).map { curves[$0][$1][30].x - 0.4 * Double($0) }
            XCTAssertLessThan(xs.max()! - xs.min()!, 4, "one line per track")
        }
    }

    /// Close pairs: one pair 4 px apart (one shape, gliding together) beside a single line is one
    /// twin in a frame — no doubling — and stays two tracks; two pairs whose separations differ
    /// (3.2 and 5.5 px) do not agree and stay four.
    func testClosePairsStayTwoLines() {
        let one: [[[TEMPoint]]] = (0..<40).map { f in
            let g = 0.4 * Double(f)
            return [curve(x: 100 + g, frame: f, salt: 0), curve(x: 104 + g, frame: f, salt: 1), curve(x: 160 + g, frame: f, salt: 2)]
        }
        XCTAssertEqual(track(one, double: true).count, 3)
        let two: [[[TEMPoint]]] = (0..<40).map { f in
            let g = 0.4 * Double(f)
            return [curve(x: 100 + g, frame: f, salt: 0), curve(x: 103.2 + g, frame: f, salt: 1),
                    curve(x: 160 + g, frame: f, salt: 2), curve(x: 165.5 + g, frame: f, salt: 3)]
        }
        XCTAssertEqual(track(two, double: true).count, 4)
        let frame = two[0]
        XCTAssertEqual(TEMDoubleLines.twins(frame, gate: 6).map(\.separation).map { ($0 * 10).rounded() / 10 }.sorted(), [3.2, 5.5])
        XCTAssertFalse(TEMDoubleLines.fold(TEMFragmentGrouping.observations(two), gate: 6).contains { $0.curves.count != 4 })
        let c = try? JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"doubleLines":true}"#.utf8))
        XCTAssertEqual(c?.doubleLines, true)
        XCTAssertFalse(TEMTrackerConfig().doubleLines)
    }
}
