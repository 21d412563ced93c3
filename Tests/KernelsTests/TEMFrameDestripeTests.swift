import XCTest
@testable import Kernels

/// `FrameDestripe`: camera row/column offsets removed, lines of the specimen and stripe-free
/// frames left alone, the fast kernel equal to its plain reference on awkward shapes.
final class TEMFrameDestripeTests: XCTestCase {
    private func destripe(_ img: [Float], _ w: Int, _ h: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: w * h)
        let changed = img.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { FrameDestripe.apply(s, width: w, height: h, into: $0) } }
        // Unchanged: the frame is its own destriped version (and `out` was left unwritten).
        if !changed { XCTAssertTrue(out.allSatisfy(\.isNaN)); return img }
        return out
    }

    func testMatchesReferenceOnAwkwardShapes() {
        for (w, h) in [(37, 23), (1, 9), (9, 1), (8, 8), (130, 7), (5, 61)] {
            var rng = SeededRandom(seed: UInt64(w * 100 + h))
            let img = (0..<(w * h)).map { i in Float(0.5 + 0.05 * rng.gaussian() + (i / w % 3 == 0 ? 0.1 : 0)) }
            let fast = destripe(img, w, h), ref = FrameDestripe.reference(img, width: w, height: h)
            for (a, b) in zip(fast, ref) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(w)×\(h)") }
        }
    }

    /// Row stripes of σ 0.03 on white noise σ 0.01 and a mottle varying along the rows: after
    /// destriping the rows' offsets are a fraction of what they were (what remains is the stripes'
    /// share of the local level, ≈ σ/√17); a dark line across a quarter of a row keeps its depth.
    func testRemovesStripesAndKeepsAPartialHorizontalLine() {
        let w = 160, h = 120
        var rng = SeededRandom(seed: 5)
        let stripes = (0..<h).map { _ in Float(0.03 * rng.gaussian()) }
        var img = (0..<(w * h)).map { i in Float(0.6 + 0.1 * sin(Double(i % w) / 17) + 0.01 * rng.gaussian()) + stripes[i / w] }
        for x in 20..<60 { img[60 * w + x] -= 0.2 }
        let out = destripe(img, w, h)
        // Row means about their mean, the line's row left out.
        func rowOffsetSigma(_ a: [Float]) -> Double {
            let means = (0..<h).filter { $0 != 60 }.map { y in a[(y * w)..<((y + 1) * w)].reduce(0.0) { $0 + Double($1) } / Double(w) }
            let c = means.reduce(0, +) / Double(means.count)
            return (means.map { ($0 - c) * ($0 - c) }.reduce(0, +) / Double(means.count)).squareRoot()
        }
        let before = rowOffsetSigma(img), after = rowOffsetSigma(out)
        XCTAssertGreaterThan(before, 0.02)
        XCTAssertLessThan(after, 0.35 * before)
        let depth = (20..<60).map { x in Double(out[59 * w + x] + out[61 * w + x]) / 2 - Double(out[60 * w + x]) }.sorted()[20]
        XCTAssertEqual(depth, 0.2, accuracy: 0.025)
    }

    /// Without stripes the offsets are mostly what noise explains and are shrunk away.
    func testLeavesAStripeFreeFrameAlmostUnchanged() {
        let w = 128, h = 96
        var rng = SeededRandom(seed: 8)
        let img = (0..<(w * h)).map { _ in Float(0.5 + 0.02 * rng.gaussian()) }
        let out = destripe(img, w, h)
        let change = zip(img, out).map { Double(abs($0 - $1)) }.max()!
        XCTAssertLessThan(change, 0.01, "at most half the noise σ")
    }
}
