import XCTest
@testable import Kernels

/// The integer pattern sums the 16-bit pass carries from tile to tile in `STEM4DVirtualPartial`:
/// every reader sees them settled, and they settle before they could overflow.
final class STEM4DVirtualPartialTests: XCTestCase {
    /// A partial fed tile by tile (tiles of 1–15 frames, groups cut anywhere) equals the naive
    /// reference on the frames so far after every tile, through each reader — `sumPattern`,
    /// `maxPattern`, `meanPattern`, `==`, `merge`, the setters — while its sums stay pending;
    /// frame sizes with and without tail pixels, 12-bit and full-range counts.
    func testPendingPatternsCrossTilesAndEveryReaderSettles() {
        let carry = STEM4DVectorUnits.carryPatterns
        var rng = SeededRandom(seed: 31)
        for (rows, cols, n) in [(16, 16, 41), (17, 31, 29), (64, 64, 40), (3, 5, 9)] {
            let det = STEM4DDetectorShape(rows: rows, cols: cols)
            let plan = STEM4DVirtualDetectorPlan(
                detectors: [.circle(cx: Double(cols) / 2, cy: Double(rows) / 2, r: 2.5),
                            .annulus(cx: Double(cols) / 3, cy: Double(rows) / 3, rInner: 1, rOuter: 5)],
                detector: det, strategy: .sparse)
            for range in [4096, 65_536] {
                let data = (0..<(n * det.pixels)).map { _ in UInt16(truncatingIfNeeded: rng.next() % UInt64(range)) }
                let what = "\(rows)x\(cols)x\(n), values < \(range)"
                data.withUnsafeBufferPointer { buf in
                    func frames(_ lo: Int, _ hi: Int) -> STEM4DFrames {
                        .uint16(UnsafeBufferPointer(rebasing: buf[(lo * det.pixels)..<(hi * det.pixels)]))
                    }
                    var partial = plan.makePartial(firstFrame: 5, frameCount: n)
                    let tiles = [3, 8, 1, 13, 15]
                    var f = 0, k = 0
                    while f < n {
                        let t = min(tiles[k % tiles.count], n - f)
                        plan.accumulate(frames(f, f + t), firstFrame: 5 + f, into: &partial)
                        f += t
                        k += 1
                        let ref = STEM4DReferenceKernel.run(frames(0, f), masks: plan.masks, detector: det, firstFrame: 5)
                        XCTAssertEqual(partial.sumPattern, ref.sumPattern, "\(what), after \(f) frames")
                        XCTAssertEqual(partial.maxPattern, ref.maxPattern, "\(what), after \(f) frames")
                        XCTAssertEqual(partial.meanPattern, ref.meanPattern, "\(what), after \(f) frames")
                        if carry && det.pixels >= 16 {
                            XCTAssertEqual(partial.pendingFrames, f, "\(what): reading the patterns does not settle the partial")
                        }
                    }
                    let ref = STEM4DReferenceKernel.run(frames(0, n), masks: plan.masks, detector: det, firstFrame: 5)
                    XCTAssertEqual(partial.images, ref.images, what)
                    XCTAssertEqual(partial, ref, "\(what): == compares settled patterns")
                    var settled = partial
                    settled.settle()
                    XCTAssertEqual(settled.pendingFrames, 0, what)
                    XCTAssertEqual(settled.settledSum, ref.sumPattern, what)
                    XCTAssertEqual(settled, partial, what)

                    // Two unsettled halves merged (either way round) equal the whole.
                    let cut = n / 2
                    var lo = plan.makePartial(firstFrame: 5, frameCount: cut)
                    plan.accumulate(frames(0, cut), firstFrame: 5, into: &lo)
                    var hi = plan.makePartial(firstFrame: 5 + cut, frameCount: n - cut)
                    plan.accumulate(frames(cut, n), firstFrame: 5 + cut, into: &hi)
                    var a = lo, b = hi
                    a.merge(hi)
                    b.merge(lo)
                    XCTAssertEqual(a, ref, "\(what): merge")
                    XCTAssertEqual(b, ref, "\(what): merge the other way")

                    // Setting a pattern settles the other one first; in-place edits see settled values.
                    var edited = partial
                    edited.sumPattern = [Double](repeating: 1, count: det.pixels)
                    XCTAssertEqual(edited.pendingFrames, 0, what)
                    XCTAssertEqual(edited.maxPattern, ref.maxPattern, what)
                    var bumped = partial
                    bumped.maxPattern[0] += 1
                    XCTAssertEqual(bumped.maxPattern[0], ref.maxPattern[0] + 1, what)
                    XCTAssertEqual(bumped.sumPattern, ref.sumPattern, what)
                }
            }
        }
    }

    /// 70 000 frames of counts at the top of the 16-bit range: each pixel's sum (≈ 4.6 · 10⁹)
    /// passes 2³², so the carried UInt32 sums must settle before 65 536 frames — within one call
    /// and across tiles (the limit falls inside a tile and between two). Sums, maxima and images
    /// equal the naive reference exactly.
    func testPendingSumsSettleBeforeTheyWrap() {
        let det = STEM4DDetectorShape(rows: 4, cols: 4)
        let n = 70_000
        // 65 535 almost everywhere; a few lower values so the sums are not one multiple.
        let data = (0..<(n * det.pixels)).map { i -> UInt16 in i % 997 == 0 ? UInt16(i % 65_536) : 65_535 }
        let masks: [[Float]] = [
            STEM4DDetectorGeometry.circle(cx: 1.5, cy: 1.5, r: 1.5).rasterise(det),
            [Float](repeating: 1, count: det.pixels),
        ]
        let plan = STEM4DVirtualDetectorPlan(masks: masks, detector: det, strategy: .sparse)
        data.withUnsafeBufferPointer { buf in
            let ref = STEM4DReferenceKernel.run(.uint16(buf), masks: masks, detector: det)
            XCTAssertGreaterThan(ref.sumPattern.max()!, Double(UInt32.max), "the test must pass 2³²")
            // One call; tiles of 4 096 frames (the limit inside the 17th); tiles of 8 192 (between the 8th and 9th).
            for tileFrames in [n, 4_096, 8_192] {
                let got = plan.run(.uint16(buf), tileBytes: tileFrames * det.pixels * 2)
                XCTAssertEqual(got.sumPattern, ref.sumPattern, "tiles of \(tileFrames) frames")
                XCTAssertEqual(got.maxPattern, ref.maxPattern, "tiles of \(tileFrames) frames")
                XCTAssertEqual(got.images, ref.images, "tiles of \(tileFrames) frames")
            }
        }
    }

    /// The whole kernel where the pass runs its unrolled 8-frame groups on whole AVX-512 blocks
    /// (an 8×8 detector: four chunks, masks folded) and on odd sides (9×7: three chunks and a
    /// 15-pixel tail, the separate mask pass): 70 001 frames (the last group one frame, the
    /// rolled loop) of counts at 65 535 but for a few, so every pixel's sum passes 2³²; one call
    /// and tiles of 5 000 frames (a multiple of neither the group nor the settle limit).
    func testUnrolledGroupsPastTwoToThe32OnOddShapes() {
        let n = 70_001
        for det in [STEM4DDetectorShape(rows: 8, cols: 8), STEM4DDetectorShape(rows: 9, cols: 7)] {
            let data = (0..<(n * det.pixels)).map { i -> UInt16 in i % 991 == 0 ? UInt16(i % 65_536) : 65_535 }
            let masks: [[Float]] = [
                STEM4DDetectorGeometry.circle(cx: 3, cy: 4, r: 2.5).rasterise(det),
                STEM4DDetectorGeometry.annulus(cx: 3, cy: 4, rInner: 1, rOuter: 4).rasterise(det),
                [Float](repeating: 1, count: det.pixels),
            ]
            let plan = STEM4DVirtualDetectorPlan(masks: masks, detector: det, strategy: .sparse)
            data.withUnsafeBufferPointer { buf in
                let ref = STEM4DReferenceKernel.run(.uint16(buf), masks: masks, detector: det)
                XCTAssertGreaterThan(ref.sumPattern.min()!, Double(UInt32.max), "the test must pass 2³² in every pixel")
                for tileFrames in [n, 5_000] {
                    let got = plan.run(.uint16(buf), tileBytes: tileFrames * det.pixels * 2)
                    let what = "\(det.rows)×\(det.cols), tiles of \(tileFrames) frames"
                    XCTAssertEqual(got.sumPattern, ref.sumPattern, what)
                    XCTAssertEqual(got.maxPattern, ref.maxPattern, what)
                    XCTAssertEqual(got.images, ref.images, what)
                }
            }
        }
    }
}
