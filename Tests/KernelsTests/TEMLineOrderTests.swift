@testable import Kernels
import XCTest

/// A double line's pieces, which change order across the line from frame to frame, made one track
/// (`TEMTrackerConfig.doubleLineOrder`, `TEMLineOrder`), as on medium draw 205 (docs/tem.md,
/// tem-track25); a close pair, which keeps its order, left two.
final class TEMLineOrderTests: XCTestCase {
    /// A bowed, roughly vertical curve through x over rows `i` (y = 20 + 2i), moved `dx` along its
    /// normal, jittered across by ±0.15 px.
    func curve(x: Double, dx: Double = 0, rows: ClosedRange<Int> = 0...60, frame: Int, salt: Int) -> [TEMPoint] {
        TEMBowedTestCurve.points(x: x, dx: dx, rows: rows, frame: frame, salt: salt)
    }

    func track(_ curves: [[[TEMPoint]]], order: Bool) -> [TEMTrack] {
        var c = TEMTrackerConfig()
        c.doubleLineOrder = order
        return TEMPiecewiseTracking.track(curves, framesPerPiece: 20, config: c)
    }

    /// Which edge the upper piece of the double line lies on in frame `f` (a fixed scramble, no
    /// pattern the runs test would call clustered).
    static let upperLeft = [true, false, false, true, false, true, true, false, true, false,
                            false, true, false, true, true, false, false, true, false, true]

    /// Per frame: a double line at x 100 (edges 2.4 px apart) read as two overlapping pieces, the
    /// upper (rows 0–45) and the lower (rows 15–60), on opposite edges, which edge changing from
    /// frame to frame; a close pair 4 px apart at x 160 (one shape, gliding together). All glide
    /// 0.4 px a frame.
    func video(frames: Int = 40) -> [[[TEMPoint]]] {
        (0..<frames).map { f in
            let g = 0.4 * Double(f), side = Self.upperLeft[f % Self.upperLeft.count] ? -1.2 : 1.2
            return [curve(x: 100 + g, dx: side, rows: 0...45, frame: f, salt: 0),
                    curve(x: 100 + g, dx: -side, rows: 15...60, frame: f, salt: 1),
                    curve(x: 160 + g, frame: f, salt: 2), curve(x: 164 + g, frame: f, salt: 3)]
        }
    }

    func testADoubleLinesSwappingPiecesAreOneTrackAndAClosePairStaysTwo() {
        let curves = video()
        let plain = track(curves, order: false)
        XCTAssertEqual(plain.count, 4, "each piece a track of its own")
        let folded = track(curves, order: true)
        XCTAssertEqual(folded.count, 3)
        XCTAssertEqual(folded.map(\.frames.count).reduce(0, +), curves.map(\.count).reduce(0, +), "every curve on a track")
        for t in folded {
            // One line per track, read at y = 80 (on every piece): the double line's edges at
            // x ≈ 106 ± 1.2 + glide, the pair at 166 / 170 + glide.
            let xs = zip(t.frames, t.curveIndices).map { f, c in
                (curves[f][c].min { abs($0.y - 80) < abs($1.y - 80) }?.x ?? 0) - 0.4 * Double(f)
            }
            XCTAssertLessThan(xs.max()! - xs.min()!, 3, "one line per track")
        }
        let pair = folded.filter { t in zip(t.frames, t.curveIndices).allSatisfy { $1 >= 2 } }
        XCTAssertEqual(pair.count, 2, "the close pair keeps two identities")
    }

    /// The rule on offsets alone: a kept order, the tracker's exchange of two lines (one change,
    /// two long runs), a braid, and pieces on top of each other.
    func testOrderKeptOrExchangedOnceIsTwoLinesAndABraidIsOne() {
        func sides(_ shifts: [Double]) -> [TEMLineOrder.Side] {
            shifts.enumerated().map { TEMLineOrder.Side(frame: $0, shift: $1, deviation: 0.2) }
        }
        XCTAssertFalse(TEMLineOrder.swaps(sides(Array(repeating: 4, count: 20))))
        // Exchanged after 12 frames: the mean (0.8 px) is still definite.
        XCTAssertFalse(TEMLineOrder.swaps(sides(Array(repeating: 4, count: 12) + Array(repeating: -4, count: 8))))
        // Exchanged half way: no definite order, but two runs of ten are not a random order.
        XCTAssertFalse(TEMLineOrder.swaps(sides(Array(repeating: 4, count: 10) + Array(repeating: -4, count: 10))))
        XCTAssertTrue(TEMLineOrder.swaps(sides(Self.upperLeft.map { $0 ? 2.4 : -2.4 })))
        // Pieces on top of each other, their signs changing within the noise: one line too.
        XCTAssertTrue(TEMLineOrder.swaps(sides(Self.upperLeft.map { $0 ? 0.3 : -0.3 })))
        XCTAssertFalse(TEMLineOrder.swaps(sides([0.3, 0.2, 0.4])), "no change")
    }

    /// The runs distribution against counting every arrangement of the signs.
    func testRunsTailMatchesEnumeration() {
        for (n1, n2) in [(1, 1), (1, 4), (3, 2), (4, 4), (5, 7), (2, 9)] {
            var counts = [Int](repeating: 0, count: n1 + n2 + 2), total = 0
            for mask in 0..<(1 << (n1 + n2)) where mask.nonzeroBitCount == n1 {
                let bits = (0..<(n1 + n2)).map { mask >> $0 & 1 }
                counts[1 + zip(bits, bits.dropFirst()).filter { $0 != $1 }.count] += 1
                total += 1
            }
            var cumulative = 0
            for r in 1...(n1 + n2) {
                cumulative += counts[r]
                XCTAssertEqual(TEMLineOrder.runsTail(runs: r, n1, n2), Double(cumulative) / Double(total), accuracy: 1e-9, "\(n1) \(n2) \(r)")
            }
        }
        let c = try? JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"doubleLineOrder":true}"#.utf8))
        XCTAssertEqual(c?.doubleLineOrder, true)
        XCTAssertFalse(TEMTrackerConfig().doubleLineOrder)
    }
}
