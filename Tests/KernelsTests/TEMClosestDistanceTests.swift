import XCTest
@testable import Kernels

/// `TEMPolyline.meanClosestDistance` (four points at a time, one square root per point: the
/// tracker's and the evaluation's matching cost) against its plain twin
/// `meanClosestDistanceReference`, bit for bit, on awkward shapes.
final class TEMClosestDistanceTests: XCTestCase {
    /// The kernel (C on AVX CPUs) and its Swift loop (the path elsewhere) against the plain twin.
    private func same(_ a: [TEMPoint], _ b: [TEMPoint], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let fast = TEMPolyline.meanClosestDistance(from: a, to: b)
        let plain = TEMPolyline.meanClosestDistanceReference(from: a, to: b)
        XCTAssertEqual(fast.bitPattern, plain.bitPattern, "\(label): \(fast) vs \(plain)", file: file, line: line)
        guard !a.isEmpty, b.count >= 2 else { return }
        let swift = a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { ClosestDistance.sum(ap, to: $0, allowAVX: false) } } / Double(a.count)
        XCTAssertEqual(swift.bitPattern, plain.bitPattern, "\(label), Swift loop: \(swift) vs \(plain)", file: file, line: line)
    }

    /// Every count of points from 1 to 11 on both sides (the last group of four partly filled),
    /// random polylines over the frame, with repeated points (segments of length 0), points lying
    /// on the other curve, collinear runs and values far from the origin.
    func testTheFastKernelIsThePlainLoopBitForBit() {
        var rng = SeededRandom(seed: 11)
        func polyline(_ count: Int, scale: Double, offset: Double) -> [TEMPoint] {
            (0..<count).map { _ in TEMPoint(offset + scale * rng.uniform(0...1), offset + scale * rng.uniform(0...1)) }
        }
        for na in 1...11 {
            for nb in 1...11 {
                for (scale, offset) in [(512.0, 0.0), (3.0, -1.5), (1e-3, 1e6)] {
                    let a = polyline(na, scale: scale, offset: offset), b = polyline(nb, scale: scale, offset: offset)
                    same(a, b, "random \(na)→\(nb) scale \(scale)")
                    // Repeated points: zero-length segments and duplicate query points.
                    let repeated = b.flatMap { [$0, $0] }
                    same(a + a, repeated, "repeated \(na)→\(nb)")
                    // Points on the other curve: vertices and segment midpoints (distance 0 or rounding).
                    let on = b + zip(b, b.dropFirst()).map { 0.5 * ($0 + $1) }
                    same(on, b, "on the curve \(nb)")
                }
            }
        }
        // Collinear runs: the closest point at a segment's end for many points (ties between segments).
        let line = (0..<9).map { TEMPoint(Double($0) * 3, 7) }
        same((0..<13).map { TEMPoint(Double($0) * 2 - 3, 7 + Double($0 % 3)) }, line, "collinear")
        // One point on either side, and empty curves.
        same([TEMPoint(1, 2)], [TEMPoint(4, 6)], "one to one")
        same(line, [TEMPoint(4, 6)], "many to one")
        same([TEMPoint(4, 6)], line, "one to many")
        XCTAssertEqual(TEMPolyline.meanClosestDistance(from: [], to: line), .infinity)
        XCTAssertEqual(TEMPolyline.meanClosestDistance(from: line, to: []), .infinity)
        // The detector's curves as the tracker sees them: 50 points each.
        for _ in 0..<50 {
            let a = TEMPolyline.resample(polyline(6, scale: 200, offset: 100), count: 50)
            let b = TEMPolyline.resample(polyline(5, scale: 200, offset: 100), count: 50)
            same(a, b, "50 points")
            XCTAssertEqual(CurveMatching.cost(a, b).cost.bitPattern,
                           (min(TEMPolyline.meanClosestDistanceReference(from: a, to: b), TEMPolyline.meanClosestDistanceReference(from: b, to: a))
                            + 0.1 * max(TEMPolyline.meanClosestDistanceReference(from: a, to: b), TEMPolyline.meanClosestDistanceReference(from: b, to: a))).bitPattern)
        }
    }

    /// A NaN point never becomes the closest (as `min` in the plain loop keeps the best so far),
    /// and a curve of NaN points only leaves the distance at infinity (the plain loop's start).
    func testNaNPointsAreHandledAsThePlainLoopHandlesThem() {
        let b = [TEMPoint(0, 0), TEMPoint(.nan, 1), TEMPoint(10, 0), TEMPoint(10, 10)]
        let a = [TEMPoint(1, 1), TEMPoint(5, -2), TEMPoint(11, 4), TEMPoint(3, 3), TEMPoint(9, 9)]
        same(a, b, "a NaN vertex")
        same(a, [TEMPoint(.nan, .nan), TEMPoint(.nan, 0)], "NaN segments only")
        same([TEMPoint(.nan, 2)] + a, b, "a NaN query point")
    }
}
