import XCTest
@testable import Kernels

/// The straight parts of the extra seeds' runs (`TEMDetectorConfig.extraStraightParts`,
/// `ExtraStraightParts`).
final class TEMExtraStraightPartsTests: XCTestCase {
    /// The longest straight run read from prefix moments equals the plain search over every run
    /// (its own principal axis, point by point) on awkward shapes: wandering pixel paths, arcs, a straight
    /// piece with a hook, vertical and horizontal lines, repeated points, paths of 0–3 points,
    /// tolerances from 0 up, with and without a minimum length.
    func testLongestStraightRunMatchesThePlainSearch() {
        var rng = SeededRandom(seed: 23)
        var shapes: [[TEMPoint]] = [[], [TEMPoint(1, 1)], [TEMPoint(1, 1), TEMPoint(2, 2)], [TEMPoint(0, 0), TEMPoint(1, 0), TEMPoint(2, 1)]]
        shapes.append((0..<37).map { TEMPoint(5, Double($0)) })
        shapes.append((0..<29).map { TEMPoint(Double($0), 7) })
        shapes.append([TEMPoint](repeating: TEMPoint(3, 4), count: 9))
        shapes.append((0..<53).map { (i: Int) -> TEMPoint in TEMPoint(40 * cos(Double(i) / 40), 40 * sin(Double(i) / 40)) })
        let straight: [TEMPoint] = (0..<41).map { (i: Int) -> TEMPoint in TEMPoint(Double(i), (0.37 * Double(i)).rounded()) }
        let turn: [TEMPoint] = (1...13).map { (k: Int) -> TEMPoint in TEMPoint(40 + Double(k) * 0.4, 15 + Double(k)) }
        shapes.append(straight + turn)
        for _ in 0..<40 {
            var p = TEMPoint(rng.uniform(0...50), rng.uniform(0...50))
            var a = rng.uniform(0...(2 * Double.pi))
            let bend = rng.uniform(-0.08...0.08)
            let count = Int(rng.uniform(4...71))
            shapes.append((0..<count).map { (_: Int) -> TEMPoint in
                a += bend + 0.2 * (rng.unit() - 0.5)
                p += TEMPoint(cos(a), sin(a))
                return TEMPoint(p.x.rounded(), p.y.rounded())
            })
        }
        var checked = 0
        for p in shapes {
            // Not at a digital line's exact RMS (0.2 is one: rounding would decide the tie).
            for tol in [0.0137, 0.213, 0.347, 0.613, 1.117, 2.93] {
                for atLeast in [3, 7, (p.count + 1) / 2] {
                    let fast = ExtraStraightParts.longestStraightRun(p[...], tolerance: tol, atLeast: atLeast)
                    let slow = ExtraStraightParts.referenceLongestStraightRun(p, tolerance: tol, atLeast: atLeast)
                    XCTAssertEqual(fast, slow, "\(p.count) points, tolerance \(tol), at least \(atLeast)")
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, shapes.count * 18)
        // Offsets are into the slice, whatever its start.
        let flat: [TEMPoint] = (0..<30).map { (i: Int) -> TEMPoint in TEMPoint(Double(i), 0) }
        let up: [TEMPoint] = (1...10).map { (k: Int) -> TEMPoint in TEMPoint(29, Double(k)) }
        let line = flat + up
        XCTAssertEqual(ExtraStraightParts.longestStraightRun(line[5...], tolerance: 0.3), 0..<26)
    }

    /// The window scatter is each non-overlapping window's RMS about its own line, paths shorter
    /// than the window skipped; the tolerance is its upper quantile.
    func testWindowScatterAndTolerance() {
        let wobble = (0..<40).map { TEMPoint(Double($0), $0 % 3 == 0 ? 1 : 0) }
        let short = (0..<10).map { TEMPoint(Double($0), 0) }
        let s = ExtraStraightParts.windowScatter([wobble, short], window: 17)
        XCTAssertEqual(s.count, 2)
        XCTAssertEqual(s[0], TEMDetector.lineRMS(Array(wobble[0..<17])), accuracy: 1e-9)
        XCTAssertEqual(s[1], TEMDetector.lineRMS(Array(wobble[17..<34])), accuracy: 1e-9)
        XCTAssertEqual(ExtraStraightParts.tolerance([0.3, 0.1, 0.2, 0.9], quantile: 0.99), 0.9)
        XCTAssertEqual(ExtraStraightParts.tolerance([0.3, 0.1, 0.2, 0.9], quantile: 0.5), 0.3)
        XCTAssertNil(ExtraStraightParts.tolerance([], quantile: 0.5))
        XCTAssertEqual(ExtraStraightParts.extraRuns([true, true, false, true, false, false, true]), [0..<2, 3..<4, 6..<7])
    }

    /// A mostly-extra path that is one straight part and a hook is dropped; a bowed one whose
    /// straight parts are short is kept whole; a straight path whose extra points are a minority
    /// is cut back to its plain points (runs shorter than `minRun` left in); a path without
    /// extra points is never cut, however straight.
    func testCutDropsAHookedTraceAndCutsBackACarriedCurve() {
        let tol = 0.45
        // 60 px along a digital line of slope 0.3, then 18 px turning away.
        let trace: [TEMPoint] = (0..<60).map { (i: Int) -> TEMPoint in TEMPoint(Double(i), (0.3 * Double(i)).rounded()) }
        let hook: [TEMPoint] = (1...18).map { (k: Int) -> TEMPoint in TEMPoint((59 + Double(k) * 0.5).rounded(), 18 + Double(k)) }
        let hooked = trace + hook
        XCTAssertGreaterThan(TEMDetector.lineRMS(hooked), 1.5, "too curved for the straight-trace rule as a whole")
        XCTAssertEqual(ExtraStraightParts.cut(hooked, extra: hooked.map { _ in true }, tolerance: tol, minStraight: 40, minRun: 1), [])
        // The straight part must be `minStraight` long.
        XCTAssertEqual(ExtraStraightParts.cut(hooked, extra: hooked.map { _ in true }, tolerance: tol, minStraight: 70, minRun: 1), [hooked])
        // A bow of radius 30 px: no straight part as long as half of it at this tolerance.
        let bow: [TEMPoint] = (0..<80).map { (i: Int) -> TEMPoint in
            TEMPoint((30 * cos(Double(i) / 30)).rounded(), (30 * sin(Double(i) / 30)).rounded())
        }
        XCTAssertEqual(ExtraStraightParts.cut(bow, extra: bow.map { _ in true }, tolerance: tol, minStraight: 40, minRun: 1), [bow])
        // A plain straight piece carried on along its line by 40 extra points, with a 3-point
        // extra gap inside the plain part.
        var flags = [Bool](repeating: false, count: 60) + [Bool](repeating: true, count: 40)
        let onward: [TEMPoint] = (1...40).map { (k: Int) -> TEMPoint in TEMPoint(59 + Double(k), (0.3 * Double(59 + k)).rounded()) }
        let carried = trace + onward
        flags[20] = true; flags[21] = true; flags[22] = true
        XCTAssertEqual(ExtraStraightParts.cut(carried, extra: flags, tolerance: tol, minStraight: 40, minRun: 1),
                       [Array(trace[0..<20]), Array(trace[23...])])
        XCTAssertEqual(ExtraStraightParts.cut(carried, extra: flags, tolerance: tol, minStraight: 40, minRun: 15), [trace])
        // The same points, all plain: nothing cut.
        XCTAssertEqual(ExtraStraightParts.cut(carried, extra: carried.map { _ in false }, tolerance: tol, minStraight: 40, minRun: 1), [carried])
    }
}
