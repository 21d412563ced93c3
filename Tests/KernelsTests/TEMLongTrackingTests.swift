import XCTest
@testable import Kernels

/// The tracker over long sequences: identities must survive gaps far longer than `maxGap`, jumps
/// larger than the gate, and fragments, in a crowded pile-up.
final class TEMLongTrackingTests: XCTestCase {
    /// A pile-up of 4 curved lines (each its own wiggle) 14 px apart gliding along +x/−x with
    /// jerky (pinned/free) steps, 600 frames. Line 1 is missed for 40 frames (frames 100–139) while
    /// the pile-up moves; line 2 jumps 7.5 px in one frame (250) and is missed in 208–211; line 3
    /// is seen as a half-length fragment in every 7th frame; curves come shuffled. Returns the
    /// curves and the true line of each curve.
    private func pileup(frames: Int = 300) -> (curves: [[[TEMPoint]]], labels: [[Int]]) {
        var rng = SeededRandom(seed: 7)
        var pos = 0.0, direction = 1.0, free = true
        var extra = [Double](repeating: 0, count: 4)
        var curves: [[[TEMPoint]]] = [], labels: [[Int]] = []
        for f in 0..<frames {
            free = free ? rng.unit() >= 0.25 : rng.unit() < 0.2
            if free { pos += direction * rng.uniform(0.5...2.0) }
            if pos > 60 { direction = -1 } else if pos < -60 { direction = 1 }
            if f == 250 { extra[2] = 7.5 }
            var frame: [[TEMPoint]] = [], lab: [Int] = []
            for k in 0..<4 {
                if k == 1 && (100..<140).contains(f) { continue }
                if k == 2 && (208..<212).contains(f) { continue }
                var pts = (0...60).map { i -> TEMPoint in
                    let v = Double(i) / 60
                    let wiggle = 3 * sin(Double(k + 1) * 2.1 + 6 * v) + 8 * v * (1 - v)
                    return TEMPoint(200 + pos + extra[k] - 14 * Double(k) + wiggle, 100 + 120 * v)
                }
                if k == 3 && f % 7 == 0 { pts = Array(pts.prefix(31)) }
                frame.append(TEMPolyline.resample(pts, count: 50))
                lab.append(k)
            }
            let rot = f % frame.count
            curves.append(Array(frame[rot...] + frame[..<rot]))
            labels.append(Array(lab[rot...] + lab[..<rot]))
        }
        return (curves, labels)
    }

    func testIdentityKeptThroughLongGapsJumpsAndFragments() {
        let (curves, labels) = pileup()
        let tracks = TEMTracker.track(curves)
        XCTAssertEqual(tracks.count, 4, "one track per line")
        var covered = Set<Int>()
        for t in tracks {
            let truth = Set(zip(t.frames, t.curveIndices).map { labels[$0][$1] })
            XCTAssertEqual(truth.count, 1, "track \(t.id) mixes lines \(truth.sorted())")
            covered.formUnion(truth)
        }
        XCTAssertEqual(covered, [0, 1, 2, 3])
        XCTAssertEqual(tracks.reduce(0) { $0 + $1.frames.count }, curves.reduce(0) { $0 + $1.count })
    }

    func testWithoutReidentificationTheLongGapBreaksTheTrack() {
        var config = TEMTrackerConfig()
        config.stitchFrames = 0
        XCTAssertGreaterThan(TEMTracker.track(pileup().curves, config: config).count, 4)
    }

    func testGlideComparisonSeesShiftAndShape() {
        let shape = { (dx: Double, phase: Double) in
            (0...40).map { i -> TEMPoint in
                let v = Double(i) / 40
                return TEMPoint(50 + dx + 3 * sin(phase + 6 * v), 20 + 80 * v)
            }
        }
        let a = shape(0, 0)
        let moved = CurveMatching.glide(a, shape(23, 0))
        XCTAssertNotNil(moved)
        XCTAssertEqual(abs(moved?.shift ?? 0), 23, accuracy: 0.3)
        XCTAssertLessThan(moved?.residual ?? 9, 0.2)
        XCTAssertGreaterThan(moved?.overlap ?? 0, 0.95)
        let other = CurveMatching.glide(a, shape(23, 2.5))
        XCTAssertGreaterThan(other?.residual ?? 0, 1.5, "a different shape is not the same line moved")
        // A line of the crossing slip system is not compared at all.
        let crossing = (0...40).map { TEMPoint(20 + 2 * Double($0), 60) }
        XCTAssertNil(CurveMatching.glide(a, crossing))
    }
}
