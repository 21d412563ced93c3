import XCTest
@testable import Kernels

final class STEM4DVirtualDetectorTests: XCTestCase {
    /// Random frames of an awkward shape in every element type, compared with the reference.
    func testSparseAndDenseMatchReferenceOnOddShapes() {
        for (rows, cols, frames) in [(7, 13, 5), (1, 1, 3), (4, 4, 1), (9, 23, 17), (16, 16, 11), (8, 6, 21), (32, 32, 300)] {
            let det = STEM4DDetectorShape(rows: rows, cols: cols)
            var rng = SeededRandom(seed: UInt64(rows * 100 + cols))
            let raw = (0..<(frames * det.pixels)).map { _ in UInt32(rng.next() % 5000) }
            let masks: [[Float]] = [
                STEM4DDetectorGeometry.circle(cx: Double(cols) / 2, cy: Double(rows) / 2, r: 2.5).rasterise(det),
                STEM4DDetectorGeometry.annulus(cx: 3.2, cy: 2.1, rInner: 1, rOuter: 6).rasterise(det),
                (0..<det.pixels).map { _ in Float(rng.unit()) },  // soft mask
                [Float](repeating: 0, count: det.pixels),            // empty mask
            ]
            func check(_ frames: STEM4DFrames) {
                let ref = STEM4DReferenceKernel.run(frames, masks: masks, detector: det, firstFrame: 3)
                for strategy in [STEM4DStrategy.sparse, .dense] {
                    let plan = STEM4DVirtualDetectorPlan(masks: masks, detector: det, strategy: strategy)
                    // Awkward tiles: 37 bytes ⇒ one frame per tile.
                    let got = plan.run(frames, firstFrame: 3, tileBytes: 37)
                    stem4dAssertClose(got, ref, "\(strategy) \(rows)x\(cols)x\(frames)")
                    // One tile: groups of several frames, partial last group.
                    stem4dAssertClose(plan.run(frames, firstFrame: 3), ref, "\(strategy) whole \(rows)x\(cols)x\(frames)")
                }
            }
            let u8 = raw.map { UInt8($0 % 256) }, u16 = raw.map { UInt16($0) }, f32 = raw.map { Float($0) * 0.5 }
            u8.withUnsafeBufferPointer { check(.uint8($0)) }
            u16.withUnsafeBufferPointer { check(.uint16($0)) }
            raw.withUnsafeBufferPointer { check(.uint32($0)) }
            f32.withUnsafeBufferPointer { check(.float32($0)) }
        }
    }

    /// The integer path (8/16-bit input, binary masks) equals the reference exactly: odd
    /// detector sizes (scalar tail), one frame, groups cut short, masks on the edges, 12-bit
    /// data (16-bit lane sums) and full-range 16-bit data (the 32-bit fallback), a 256×256
    /// frame, and tiles of one frame. Weighted masks stay within float tolerance.
    func testIntegerPathMatchesReferenceExactly() {
        XCTAssertTrue(STEM4DSparseKernel.useInteger)
        for (rows, cols, frames) in [(7, 13, 5), (1, 1, 3), (4, 4, 1), (9, 23, 17), (16, 16, 33), (17, 31, 40), (256, 256, 19)] {
            let det = STEM4DDetectorShape(rows: rows, cols: cols)
            var rng = SeededRandom(seed: UInt64(rows * 1000 + cols))
            let masks: [[Float]] = [
                STEM4DDetectorGeometry.circle(cx: Double(cols) / 2, cy: Double(rows) / 2, r: 2.5).rasterise(det),
                STEM4DDetectorGeometry.annulus(cx: 3.2, cy: 2.1, rInner: 1, rOuter: 6).rasterise(det),
                STEM4DDetectorGeometry.circle(cx: Double(cols - 1), cy: Double(rows - 1), r: 3).rasterise(det),  // corner
                [Float](repeating: 1, count: det.pixels),                                                          // whole frame
                [Float](repeating: 0, count: det.pixels),                                                          // empty
                (0..<det.pixels).map { _ in Float(rng.unit()) },                                                   // weighted
            ]
            let plan = STEM4DVirtualDetectorPlan(masks: masks, detector: det, strategy: .sparse)
            for range in [4096, 65_536] {
                let raw = (0..<(frames * det.pixels)).map { _ in UInt16(truncatingIfNeeded: rng.next() % UInt64(range)) }
                func check(_ frames: STEM4DFrames, _ what: String) {
                    let ref = STEM4DReferenceKernel.run(frames, masks: masks, detector: det, firstFrame: 2)
                    for tile in [37, 1 << 20] {
                        let got = plan.run(frames, firstFrame: 2, tileBytes: tile)
                        let n = got.frameCount
                        XCTAssertEqual(Array(got.images[0..<(5 * n)]), Array(ref.images[0..<(5 * n)]), "\(what) tile \(tile)")
                        for (x, y) in zip(got.images[(5 * n)...], ref.images[(5 * n)...]) where abs(x - y) > 1e-5 * max(1, abs(y)) {
                            XCTFail("\(what): weighted mask \(x) vs \(y)"); break
                        }
                        XCTAssertEqual(got.sumPattern, ref.sumPattern, what)
                        XCTAssertEqual(got.maxPattern, ref.maxPattern, what)
                        XCTAssertEqual(got.patternCount, ref.patternCount, what)
                    }
                }
                raw.withUnsafeBufferPointer { check(.uint16($0), "u16 < \(range) \(rows)x\(cols)x\(frames)") }
                raw.map { UInt8(truncatingIfNeeded: $0) }.withUnsafeBufferPointer { check(.uint8($0), "u8 \(rows)x\(cols)x\(frames)") }
            }
        }
    }

    /// Partials of blocks of scan rows merge to the whole-cube result.
    func testPartialsMergeToWhole() {
        let det = STEM4DDetectorShape(rows: 32, cols: 32)
        var rng = SeededRandom(seed: 9)
        let n = 40
        let cube = (0..<(n * det.pixels)).map { _ in UInt16(rng.next() % 1000) }
        let plan = STEM4DVirtualDetectorPlan(detectors: [.circle(cx: 15.5, cy: 16, r: 5), .annulus(cx: 15.5, cy: 16, rInner: 8, rOuter: 14)], detector: det)
        cube.withUnsafeBufferPointer { buf in
            let whole = plan.run(.uint16(buf))
            var merged: STEM4DVirtualPartial?
            for (lo, hi) in [(25, 40), (0, 7), (7, 25)] {
                let part = plan.run(.uint16(UnsafeBufferPointer(rebasing: buf[(lo * det.pixels)..<(hi * det.pixels)])), firstFrame: lo)
                if merged == nil { merged = part } else { merged!.merge(part) }
            }
            XCTAssertEqual(merged!.firstFrame, 0)
            XCTAssertEqual(merged!.frameCount, n)
            stem4dAssertClose(merged!, whole, "merge")
            XCTAssertEqual(merged!.meanPattern.count, det.pixels)
        }
    }

    func testCircleAndAnnulusPartitionTheDisk() {
        let det = STEM4DDetectorShape(rows: 20, cols: 20)
        let c = STEM4DDetectorGeometry.circle(cx: 9.3, cy: 10.1, r: 4).rasterise(det)
        let a = STEM4DDetectorGeometry.annulus(cx: 9.3, cy: 10.1, rInner: 4, rOuter: 8).rasterise(det)
        let big = STEM4DDetectorGeometry.circle(cx: 9.3, cy: 10.1, r: 8).rasterise(det)
        XCTAssertEqual(zip(c, a).map { $0 + $1 }, big)
        let quads = (0..<4).map { STEM4DDetectorGeometry.sector(cx: 9.3, cy: 10.1, rInner: -1, rOuter: 8, startDeg: Double($0) * 90, endDeg: Double($0 + 1) * 90).rasterise(det) }
        XCTAssertEqual((0..<det.pixels).map { i in quads.reduce(0) { $0 + $1[i] } }, big)
    }

    func testGeometryJSONRoundTrip() throws {
        let g = STEM4DDetectorGeometry.circle(cx: 31.5, cy: 30.2, r: 4)
        XCTAssertEqual(g.jsonString(), #"{"cx":31.5,"cy":30.2,"r":4,"shape":"circle"}"#)
        let a = STEM4DDetectorGeometry.annulus(cx: 1, cy: 2, rInner: 3, rOuter: 4)
        XCTAssertTrue(a.jsonString().contains(#""r_inner":3"#))
        for x in [g, a, .sector(cx: 1, cy: 2, rInner: 0, rOuter: 5, startDeg: 0, endDeg: 90), .mask(rows: 1, cols: 2, weights: [0.5, 1])] {
            XCTAssertEqual(try JSONDecoder().decode(STEM4DDetectorGeometry.self, from: Data(x.jsonString().utf8)), x)
        }
    }

    func testChooserPrefersSparseForFewSmallAndDenseForMany() {
        let det = STEM4DDetectorShape(rows: 128, cols: 128)
        let few = STEM4DSparseMasks(detectors: [.circle(cx: 64, cy: 64, r: 4), .circle(cx: 70, cy: 64, r: 4)], detector: det)
        XCTAssertEqual(STEM4DCostModel().choose(few), .sparse)
        let many = STEM4DSparseMasks(detectors: (0..<64).map { .annulus(cx: 64, cy: 64, rInner: Double($0), rOuter: 64) }, detector: det)
        XCTAssertEqual(STEM4DCostModel().choose(many), .dense)
    }
}

private func stem4dAssertClose(_ a: STEM4DVirtualPartial, _ b: STEM4DVirtualPartial, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.firstFrame, b.firstFrame, what, file: file, line: line)
    XCTAssertEqual(a.frameCount, b.frameCount, what, file: file, line: line)
    XCTAssertEqual(a.patternCount, b.patternCount, what, file: file, line: line)
    XCTAssertEqual(a.images.count, b.images.count, what, file: file, line: line)
    for (x, y) in zip(a.images, b.images) where abs(x - y) > 1e-5 * max(1, abs(y)) {
        XCTFail("\(what): image \(x) vs \(y)", file: file, line: line); return
    }
    for (x, y) in zip(a.sumPattern, b.sumPattern) where abs(x - y) > 1e-6 * max(1, abs(y)) {
        XCTFail("\(what): sum \(x) vs \(y)", file: file, line: line); return
    }
    XCTAssertEqual(a.maxPattern, b.maxPattern, what, file: file, line: line)
}
