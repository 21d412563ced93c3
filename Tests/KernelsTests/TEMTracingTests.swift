import XCTest
@testable import Kernels

/// Thinning, tracing and the small geometry pieces the detector is built from.
final class TEMTracingTests: XCTestCase {
    private func mask(_ w: Int, _ h: Int, _ on: [(Int, Int)]) -> [UInt8] {
        var m = [UInt8](repeating: 0, count: w * h)
        for (x, y) in on { m[y * w + x] = 1 }
        return m
    }

    func testThinningLeavesOnePixelLine() {
        let (w, h) = (30, 12)
        var m = mask(w, h, (3..<27).flatMap { [($0, 5), ($0, 6)] }) // a 2-px thick bar
        _ = m.withUnsafeMutableBufferPointer { Thinning.zhangSuen($0, width: w, height: h) }
        for x in 5..<25 { XCTAssertEqual(Int(m[5 * w + x]) + Int(m[6 * w + x]), 1, "column \(x)") }
    }

    func testTracerKeepsTraceWholeAtATJunction() {
        // A long horizontal line (a slip trace) and a vertical branch ending on it.
        let (w, h) = (80, 60)
        var m = mask(w, h, (5..<75).map { ($0, 40) } + (8..<40).map { (40, $0) })
        let curves = m.withUnsafeMutableBufferPointer { CenterlineTracer.trace($0, width: w, height: h) }
        XCTAssertEqual(curves.count, 2)
        let lengths = curves.map(TEMPolyline.length).sorted()
        XCTAssertGreaterThan(lengths.last ?? 0, 65, "horizontal line continues through the junction")
        XCTAssertGreaterThan(lengths.first ?? 0, 25)
    }

    func testNeighboursEndingOnABrokenTraceStayTwoCurves() {
        // Two parallel dislocations 20 px apart ending on a slip trace that is only seen between
        // them (plus 2-px stubs outside, pruned as spurs): each 90° turn onto the trace piece
        // must not chain them into one hairpin.
        let (w, h) = (60, 80)
        var on = (10..<60).map { (20, $0) } + (10..<60).map { (40, $0) }
        on += (18..<43).map { ($0, 60) }
        var m = mask(w, h, on)
        let curves = m.withUnsafeMutableBufferPointer { CenterlineTracer.trace($0, width: w, height: h) }
        let long = curves.filter { TEMPolyline.length($0) > 30 }
        XCTAssertEqual(long.count, 2, "two dislocations, not one hairpin")
        for c in long { XCTAssertLessThan(TEMPolyline.length(c), 60) }
        // The old rule (any turn up to 101.5° at a two-end junction) made the hairpin.
        var old = CenterlineTracer.Options()
        old.twoEndMaxTurnDegrees = 101.5
        var m2 = mask(w, h, on)
        let hairpin = m2.withUnsafeMutableBufferPointer { CenterlineTracer.trace($0, width: w, height: h, options: old) }
        XCTAssertGreaterThan(hairpin.map(TEMPolyline.length).max() ?? 0, 100)
    }

    func testBridgeNeedsEvidenceAlongMostOfTheGap() {
        // Two collinear lines 20 px apart (ends of dislocations of two neighbouring bands); the
        // gap is empty but for two bright spots (the slip traces): no bridge. A uniformly weak
        // gap (a damped crossing) is bridged.
        let (w, h) = (100, 20)
        var response = [Float](repeating: 0, count: w * h)
        for x in 5..<40 { response[10 * w + x] = 1 }
        for x in 60..<95 { response[10 * w + x] = 1 }
        for x in [45, 46, 54, 55] { response[10 * w + x] = 3 } // mean over the gap 0.6: enough on average
        let on = (5..<40).map { ($0, 10) } + (60..<95).map { ($0, 10) }
        var m = mask(w, h, on)
        let apart = response.withUnsafeBufferPointer { r in
            m.withUnsafeMutableBufferPointer { CenterlineTracer.trace($0, width: w, height: h, response: r) }
        }
        XCTAssertEqual(apart.count, 2)
        var meanOnly = CenterlineTracer.Options()
        meanOnly.bridgeSupport = 0
        var m1 = mask(w, h, on)
        let merged = response.withUnsafeBufferPointer { r in
            m1.withUnsafeMutableBufferPointer { CenterlineTracer.trace($0, width: w, height: h, options: meanOnly, response: r) }
        }
        XCTAssertEqual(merged.count, 1, "the mean alone lets the traces carry the bridge")
        for x in 40..<60 { response[10 * w + x] = 0.5 }
        var m2 = mask(w, h, on)
        let joined = response.withUnsafeBufferPointer { r in
            m2.withUnsafeMutableBufferPointer { CenterlineTracer.trace($0, width: w, height: h, response: r) }
        }
        XCTAssertEqual(joined.count, 1)
    }

    func testTracerPrunesSpurAndBridgesGap() {
        let (w, h) = (100, 40)
        // A line with a 3-px spur and a 6-px gap in it.
        var on = (5..<45).map { ($0, 20) } + (51..<95).map { ($0, 20) }
        on += [(30, 19), (30, 18), (30, 17)]
        var m = mask(w, h, on)
        let curves = m.withUnsafeMutableBufferPointer { CenterlineTracer.trace($0, width: w, height: h) }
        XCTAssertEqual(curves.count, 1)
        XCTAssertGreaterThan(TEMPolyline.length(curves.first ?? []), 85)
    }

    func testCubicSplineThroughKnots() {
        let xs = [0.0, 1, 2.5, 4], ys = [1.0, -1, 2, 0]
        let s = CubicSpline(xs: xs, ys: ys)
        for (x, y) in zip(xs, ys) { XCTAssertEqual(s(x), y, accuracy: 1e-12) }
        let line = CubicSpline(xs: [0, 1, 2], ys: [0, 2, 4])
        XCTAssertEqual(line(1.5), 3, accuracy: 1e-12)
    }

    func testResampleAndCurvature() {
        let p = [TEMPoint(0, 0), TEMPoint(10, 0), TEMPoint(10, 10)]
        let r = TEMPolyline.resample(p, count: 5)
        XCTAssertEqual(r.count, 5)
        XCTAssertEqual(r[2].x, 10, accuracy: 1e-12)
        XCTAssertEqual(r[2].y, 0, accuracy: 1e-12)
        let circle = (0..<200).map { i -> TEMPoint in
            let t = Double(i) / 30
            return TEMPoint(30 * cos(t), 30 * sin(t))
        }
        let k = TEMPolyline.curvature(circle)
        XCTAssertEqual(k[100], 1.0 / 30, accuracy: 1e-3)
    }
}
