import XCTest
@testable import Kernels

/// `CurveCorners.split` against its plain twin, and on shapes whose answer is known.
final class TEMCurveCornersTests: XCTestCase {
    /// A path along x then turning 60° cuts once, at the corner; a smooth bow (radius 60 px)
    /// and a straight line do not cut.
    func testCornerCutSmoothBowKept() {
        var l: [TEMPoint] = (0..<40).map { TEMPoint(Double($0), 10) }
        let u = TEMPoint(cos(Double.pi / 3), sin(Double.pi / 3))
        l += (1..<40).map { TEMPoint(39, 10) + Double($0) * u }
        let pieces = CurveCorners.split(l, span: 8, maxTurnDegrees: 35)
        XCTAssertEqual(pieces.count, 2)
        XCTAssertEqual(pieces[0].last!.x, 39, accuracy: 1.01)
        XCTAssertEqual(pieces[0].count + pieces[1].count, l.count + 1, "the corner point is in both pieces")
        let bow = (0..<120).map { k -> TEMPoint in
            let a = Double(k) / 60
            return TEMPoint(60 * sin(a), 60 * (1 - cos(a)))
        }
        XCTAssertEqual(CurveCorners.split(bow, span: 8, maxTurnDegrees: 35).count, 1)
        XCTAssertEqual(CurveCorners.split((0..<5).map { TEMPoint(Double($0), 0) }, span: 8, maxTurnDegrees: 35).count, 1)
        XCTAssertEqual(CurveCorners.split([], span: 8, maxTurnDegrees: 35).count, 1)
    }

    /// Random pixel-like walks (with repeated points and hairpins) give the reference's pieces.
    func testMatchesReferenceOnRandomWalks() {
        var rng = SeededRandom(seed: 9)
        for trial in 0..<200 {
            let n = Int(rng.unit() * 90)
            var p: [TEMPoint] = []
            var q = TEMPoint(50, 50), heading = rng.unit() * 2 * Double.pi
            for _ in 0..<n {
                if rng.unit() < 0.1 { heading += (rng.unit() - 0.5) * 3 }
                if rng.unit() < 0.03 { p.append(q); continue } // a repeated point
                q += TEMPoint(cos(heading), sin(heading)).rounded(.toNearestOrAwayFromZero)
                p.append(q)
            }
            for span in [1, 4, 8] {
                // Limits that are no angle of small integer vectors: no run boundary decided by rounding.
                for turn in [33.3, 51.7, 97.1] {
                    let fast = CurveCorners.split(p, span: span, maxTurnDegrees: turn)
                    let slow = CurveCorners.referenceSplit(p, span: span, maxTurnDegrees: turn)
                    XCTAssertEqual(fast, slow, "trial \(trial) span \(span) turn \(turn)")
                }
            }
        }
    }
}
