import XCTest
@testable import Kernels

/// The motion a frame's lines share (`TEMTrackerConfig.commonMotion`): a residual registration
/// error or a pile-up gliding as one is estimated from the matched lines and removed before
/// linking, so a close pair keeps its order when the whole frame jumps by more than its spacing.
final class TEMCommonMotionTests: XCTestCase {
    /// A gently bowed line from (x, 60) to (x + 20, 200).
    private func line(_ x: Double) -> [TEMPoint] {
        (0...40).map { i in
            let v = Double(i) / 40
            return TEMPoint(x + 20 * v + 3 * 4 * v * (1 - v), 60 + 140 * v)
        }
    }

    /// Three lines 4.5 px apart gliding together at 0.3 px/frame, and a crossing line of the
    /// other slip system standing still; every frame as a whole moved by a registration error of
    /// σ 2.2 px per axis (the curves listed in a shuffled order). Frame f's curves, each with the
    /// index of its true line.
    private func video(frames: Int, seed: UInt64) -> (curves: [[[TEMPoint]]], truth: [[Int]]) {
        var rng = SeededRandom(seed: seed)
        var curves: [[[TEMPoint]]] = [], truth: [[Int]] = []
        let crossing = (0...40).map { TEMPoint(40 + 5 * Double($0), 150 - 1.5 * Double($0)) }
        for f in 0..<frames {
            let jump = 2.2 * TEMPoint(rng.gaussian(), rng.gaussian())
            var frame = [0.0, 4.5, 9.0].map { line(100 + $0 + 0.3 * Double(f)) } + [crossing]
            frame = frame.map { $0.map { $0 + jump + 0.15 * TEMPoint(rng.gaussian(), rng.gaussian()) } }
            var order = Array(frame.indices)
            order.shuffle(using: &rng)
            curves.append(order.map { frame[$0] })
            truth.append(order)
        }
        return (curves, truth)
    }

    /// Tracks that hold more than one true line, counted per (track, line) change.
    private func swaps(_ tracks: [TEMTrack], truth: [[Int]]) -> Int {
        var n = 0
        for t in tracks {
            let ids = zip(t.frames, t.curveIndices).map { truth[$0][$1] }
            n += zip(ids, ids.dropFirst()).filter { $0 != $1 }.count
        }
        return n
    }

    func testAClosePairKeepsItsOrderWhenTheFrameJumps() {
        let v = video(frames: 60, seed: 5)
        var on = TEMTrackerConfig()
        on.commonMotion = true
        let tracks = TEMTracker.track(v.curves, config: on)
        XCTAssertEqual(swaps(tracks, truth: v.truth), 0)
        // No swap, but not yet one track per line: one line's track breaks once (4 December:
        // tracks of 60, 30, 60, 60, 30 frames) when a jump larger than the spacing misleads the
        // first assignment the shared motion is fitted from.
        XCTAssertLessThanOrEqual(tracks.count, 5, "\(tracks.map(\.frames.count))")
        // The same video without the shared motion (the default): the jumps hand identities over.
        XCTAssertGreaterThan(swaps(TEMTracker.track(v.curves), truth: v.truth), 0)
    }

    /// The estimate itself: parallel lines constrain only their normal, so the shift along them
    /// stays 0; lines of two directions give both components; one pair alone gives none.
    func testCommonShiftFromTheLinesNormals() {
        let a = [line(100), line(110)], moved = TEMPoint(1.5, -2)
        let shifted = a.map { $0.map { $0 + moved } }
        let t = TEMTracker.commonShift(shifted, a, [0, 1])
        let n = TEMPoint(140, -20) / TEMPolyline.norm(TEMPoint(140, -20))
        XCTAssertEqual(t.x * n.x + t.y * n.y, moved.x * n.x + moved.y * n.y, accuracy: 0.15, "the normal component")
        let crossing = (0...40).map { TEMPoint(40 + 5 * Double($0), 150 - 1.5 * Double($0)) }
        let both = TEMTracker.commonShift(shifted + [crossing.map { $0 + moved }], a + [crossing], [0, 1, 2])
        XCTAssertEqual(TEMPolyline.norm(both - moved), 0, accuracy: 0.3)
        XCTAssertEqual(TEMTracker.commonShift([shifted[0]], [a[0]], [0]), .zero)
    }
}
