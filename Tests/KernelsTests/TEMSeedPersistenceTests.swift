import XCTest
@testable import Kernels

/// Extra seeds kept only where they persist from the previous frame
/// (`TEMDetectorConfig.seedPersistence`, `SeedPersistence`), and the averaged map read at single
/// pixels (`RidgeTangentAverage.value`, `sample`) as `apply` writes it.
final class TEMSeedPersistenceTests: XCTestCase {
    /// Whether `curves` pass within 2 px of at least `share` of the true line's points.
    static func covers(_ curves: [TEMCurve], _ truth: [TEMPoint], share: Double = 0.5) -> Bool {
        let grid = PointGrid(curves.flatMap { TEMPolyline.resample($0.points, spacing: 0.5) }, cell: 2)
        return Double(truth.filter { grid.hasPoint(within: 2, of: $0) }.count) >= share * Double(truth.count)
    }

    /// A faint thin dark line in every frame (gliding and drifting a little) and, in each frame, a
    /// short segment of the same width and contrast at a new place: `video9` traces both, `video11`
    /// keeps the line in about as many frames and drops the one-frame segments.
    func testALineInConsecutiveFramesKeepsItsSeedsAOneFrameSegmentDoesNot() {
        let w = 256, h = 256, frames = 14
        var seen = (line9: 0, line11: 0, blob9: 0, blob11: 0)
        var d9 = TEMDetector(config: .video9), d11 = TEMDetector(config: .video11)
        var rng = SeededRandom(seed: 31)
        for f in 0..<frames {
            var img = (0..<(w * h)).map { _ in Float(0.5 + 0.1 * rng.gaussian()) }
            // The line: 180 px, drift 1.5 px/frame along x and 0.7 along y, glide ±1 px.
            let ox = 1.5 * Double(f) + (f % 2 == 0 ? 1 : -1), oy = 0.7 * Double(f)
            let line = (0...180).map { TEMPoint(20 + ox + Double($0), 40 + oy + 0.4 * Double($0) + 12 * sin(Double($0) / 40)) }
            // The segment: 70 px, straight, in the lower half, somewhere new each frame.
            let bx = 20 + rng.uniform(0...140), by = 150 + rng.uniform(0...70), angle = rng.uniform(0...Double.pi)
            let blob = (0...70).map { TEMPoint(bx + cos(angle) * Double($0), by + sin(angle) * Double($0) * 0.4) }
            for p in [line, blob] { TEMSynthesizer.stamp(&img, width: w, height: h, polyline: p, lineWidth: 1.5, contrast: 0.17) }
            let c9 = d9.detect(img, width: w, height: h), c11 = d11.detect(img, width: w, height: h)
            if Self.covers(c9, line) { seen.line9 += 1 }
            if Self.covers(c11, line) { seen.line11 += 1 }
            if Self.covers(c9, blob) { seen.blob9 += 1 }
            if Self.covers(c11, blob) { seen.blob11 += 1 }
        }
        print("line found by video9 / video11 in \(seen.line9) / \(seen.line11), one-frame segment in \(seen.blob9) / \(seen.blob11) of \(frames) frames")
        XCTAssertGreaterThanOrEqual(seen.blob9, frames / 3, "video9 must trace the one-frame segments (else this test shows nothing)")
        XCTAssertGreaterThanOrEqual(seen.line9, frames / 2, "video9 must trace the line (else this test shows nothing)")
        XCTAssertGreaterThanOrEqual(seen.line11, seen.line9 - 2, "persistence lost the line that is there in every frame")
        XCTAssertLessThanOrEqual(seen.blob11, seen.blob9 / 4, "persistence kept segments seen in one frame only")
    }

    /// `seedStraightTraces`: a faint straight line of 100 px (a piece of a slip trace's band edge,
    /// seeded only by the averaged map; shorter than half the field, so `dropSlipTraces` keeps it)
    /// is traced by `video9` and dropped by `video12`, while a faint line of the same width and
    /// contrast bowed clearly (radius ≈ 25 px) is traced by both. (Measured when written, with a
    /// gentle bow of radius ≈ 75 px: 11 of 12 frames by `video9`, 7 by `video12` — pieces of a
    /// faint line straight within 1.5 px count as traces too.)
    func testStraightPathsOfExtraSeedsAreSlipTraces() {
        let w = 256, h = 256, frames = 12
        var seen = (trace9: 0, trace12: 0, bowed9: 0, bowed12: 0)
        var d9 = TEMDetector(config: .video9), d12 = TEMDetector(config: .video12)
        var rng = SeededRandom(seed: 47)
        for _ in 0..<frames {
            var img = (0..<(w * h)).map { _ in Float(0.5 + 0.1 * rng.gaussian()) }
            let trace = (0...100).map { TEMPoint(30 + Double($0), 220 - 0.3 * Double($0)) }
            let bowed = (0...180).map { TEMPoint(40 + Double($0), 50 + 40 * sin(Double($0) / 30)) }
            // Contrast 0.14: a pixel of either line rarely reaches the plain seed level.
            for p in [trace, bowed] { TEMSynthesizer.stamp(&img, width: w, height: h, polyline: p, lineWidth: 1.5, contrast: 0.14) }
            let c9 = d9.detect(img, width: w, height: h), c12 = d12.detect(img, width: w, height: h)
            if Self.covers(c9, trace, share: 0.25) { seen.trace9 += 1 }
            if Self.covers(c12, trace, share: 0.25) { seen.trace12 += 1 }
            if Self.covers(c9, bowed, share: 0.25) { seen.bowed9 += 1 }
            if Self.covers(c12, bowed, share: 0.25) { seen.bowed12 += 1 }
        }
        print("straight line found by video9 / video12 in \(seen.trace9) / \(seen.trace12), bowed line in \(seen.bowed9) / \(seen.bowed12) of \(frames) frames")
        XCTAssertGreaterThanOrEqual(seen.trace9, frames / 4, "video9 must trace the straight line (else this test shows nothing)")
        XCTAssertGreaterThanOrEqual(seen.bowed9, frames / 4, "video9 must trace the bowed line (else this test shows nothing)")
        XCTAssertLessThanOrEqual(seen.trace12, seen.trace9 / 3, "the straight extra-seeded line was kept")
        XCTAssertGreaterThanOrEqual(seen.bowed12, seen.bowed9 - 1, "the bowed line was lost")
    }

    /// Hand-built level sets on an awkward 61 × 47 frame: a line of level pixels in the previous
    /// frame; in the current frame the same line moved by (3, −2) px and a group of the same size
    /// elsewhere. The shift is found (to a pixel), the moved line's group is kept and the other refused; the
    /// first frame, or a change of polarity, keeps nothing.
    func testTheShiftIsMeasuredAndOnlyTheGroupAtTheMovedPlaceIsKept() {
        let w = 61, h = 47, n = w * h
        let prevLine = (5..<45).map { x in (10 + x / 4) * w + x + 5 }
        let moved = prevLine.map { $0 + 3 - 2 * w }
        let other = (5..<45).map { x in 38 * w + x + 8 }
        var p = SeedPersistence()
        var mask = [UInt8](repeating: 0, count: n)
        func run(_ extra: [Int], _ level: [Int], bright: Bool = false) -> (Int, [UInt8]) {
            mask = [UInt8](repeating: 0, count: n)
            for i in level { mask[i] = 1 }
            let kept = mask.withUnsafeMutableBufferPointer { p.markPersistent(extra: extra, level: level, mask: $0, width: w, height: h, bright: bright) }
            return (kept, mask)
        }
        XCTAssertEqual(run([prevLine[0]], prevLine).0, 0, "the first frame has nothing to persist from")
        let (kept, m) = run([moved[7], other[3]], moved + other)
        XCTAssertEqual(kept, 1)
        // Within 1 px: the search counts previous pixels within 1 px, so shifts 1 px apart tie
        // on a line and the smaller wins; the reach covers the rest.
        XCTAssertLessThanOrEqual(max(abs(p.lastShift.dx - 3), abs(p.lastShift.dy + 2)), 1, "shift \(p.lastShift)")
        XCTAssertLessThanOrEqual(p.lastReach, 2)
        XCTAssertTrue(moved.allSatisfy { m[$0] == 2 }, "the moved line's group is kept whole")
        XCTAssertTrue(other.allSatisfy { m[$0] == 4 }, "the new group is refused")
        XCTAssertEqual(run([moved[0]], moved, bright: true).0, 0, "a change of polarity starts over")
    }

    /// The binomial tail against direct sums.
    func testBinomialTail() {
        XCTAssertEqual(SeedPersistence.binomialTail(0, of: 10, p: 0.3), 1)
        XCTAssertEqual(SeedPersistence.binomialTail(11, of: 10, p: 0.3), 0)
        XCTAssertEqual(SeedPersistence.binomialTail(10, of: 10, p: 0.5), 1.0 / 1024, accuracy: 1e-12)
        XCTAssertEqual(SeedPersistence.binomialTail(9, of: 10, p: 0.5), 11.0 / 1024, accuracy: 1e-12)
        XCTAssertEqual(SeedPersistence.binomialTail(2, of: 3, p: 0.1), 3 * 0.01 * 0.9 + 0.001, accuracy: 1e-12)
    }

    /// The average at single pixels equals `apply`'s map to the bit (an awkward 37 × 23 frame
    /// with every normal code, half-lengths reaching past the edges), and `sample` is the map's
    /// every 29th pixel — so `video9`'s seeds do not depend on which is used.
    func testTheAverageAtAPixelIsTheMapsValue() {
        let w = 37, h = 23, n = w * h
        var rng = SeededRandom(seed: 8)
        let response = (0..<n).map { _ in Float(rng.uniform(-1...3)) }
        let normal = (0..<n).map { _ in Float(Int(rng.uniform(0...3.999))) }
        for m in [0, 2, 5, 13] {
            var map = [Float](repeating: 0, count: n)
            response.withUnsafeBufferPointer { r in normal.withUnsafeBufferPointer { nb in map.withUnsafeMutableBufferPointer { o in
                RidgeTangentAverage.apply(response: r, normal: nb, width: w, height: h, halfLength: m, out: o)
                for i in 0..<n {
                    let v = RidgeTangentAverage.value(at: i, response: r.baseAddress!, normal: nb.baseAddress!, width: w, height: h, halfLength: m)
                    XCTAssertEqual(v.bitPattern, o[i].bitPattern, "m \(m), pixel \(i % w), \(i / w)")
                }
                let s = RidgeTangentAverage.sample(response: r, normal: nb, width: w, height: h, halfLength: m)
                XCTAssertEqual(s, stride(from: 0, to: n, by: 29).map { o[$0] })
            } } }
            let ref = RidgeTangentAverage.reference(response: response, normal: normal, width: w, height: h, halfLength: m)
            for i in 0..<n { XCTAssertEqual(map[i], ref[i], accuracy: 1e-5) }
        }
    }
}
