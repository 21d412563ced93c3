import XCTest
@testable import Kernels

/// `LaneSort`: the comparator network sorts every lane exactly like `sorted()`, padded lists keep
/// their order statistics, and `FrameDestripe` gives its reference's offsets on both of its paths
/// (the network for short lines, the quickselect for lines longer than the network serves).
final class TEMLaneSortTests: XCTestCase {
    func testNetworkSortsEveryLaneLikeSorted() {
        var rng = SeededRandom(seed: 11)
        for m in [1, 2, 3, 7, 8, 31, 64, 65, 100, 256] {
            let n = LaneSort.paddedLength(m), front = (n - m) / 2
            XCTAssertTrue(n >= m && n < 2 * max(m, 1) + 1)
            let net = LaneSort.network(n)
            // Values with ties (rounded), negative zeros and a wide range.
            let lists = (0..<8).map { _ in (0..<m).map { _ in Float((rng.gaussian() * 4).rounded() / 4) } }
            var lanes = [LaneSort.V](repeating: LaneSort.V(repeating: -.infinity), count: front)
                + (0..<m).map { j in LaneSort.V((0..<8).map { lists[$0][j] }) }
                + [LaneSort.V](repeating: LaneSort.V(repeating: .infinity), count: n - front - m)
            lanes.withUnsafeMutableBufferPointer { l in net.withUnsafeBufferPointer { LaneSort.sort(l.baseAddress!, network: $0) } }
            for lane in 0..<8 {
                let want = lists[lane].sorted()
                let got = (0..<m).map { lanes[front + $0][lane] }
                XCTAssertEqual(got, want, "m \(m) lane \(lane)")
            }
        }
    }

    func testNetworkSizeIsBatchers() {
        // Batcher's odd–even merge sort: 1, 5, 19, 63, 191, 543 comparators for 2 … 64 inputs.
        XCTAssertEqual([2, 4, 8, 16, 32, 64].map { LaneSort.network($0).count }, [1, 5, 19, 63, 191, 543])
        XCTAssertEqual(LaneSort.network(1).count, 0)
    }

    /// Frames whose lines take the network (rows of 517 px → 65 samples, padded to 128) and the
    /// quickselect (rows of 2,100 px → 263 samples, over `LaneSort.maxLength`), with a partial
    /// last batch of lines (height not a multiple of 8), against the plain reference.
    func testDestripeMatchesReferenceOnBothPaths() {
        for (w, h) in [(517, 43), (2100, 21), (64, 200)] {
            var rng = SeededRandom(seed: UInt64(w + h))
            let stripes = (0..<h).map { _ in Float(0.03 * rng.gaussian()) }
            let img = (0..<(w * h)).map { i in Float(0.5 + 0.02 * rng.gaussian()) + stripes[i / w] }
            var out = [Float](repeating: .nan, count: w * h)
            let changed = img.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { FrameDestripe.apply(s, width: w, height: h, into: $0) } }
            XCTAssertTrue(changed, "\(w)×\(h) has stripes")
            let ref = FrameDestripe.reference(img, width: w, height: h)
            for (a, b) in zip(out, ref) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(w)×\(h)") }
        }
    }
}
