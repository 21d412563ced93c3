import XCTest
@testable import Kernels

final class TEMTrackingTests: XCTestCase {
    /// Three parallel vertical lines 12 px apart glide +x by 1 px/frame; the middle one is missed
    /// in frame 4 and the order of curves is shuffled per frame.
    private func knownMotion(frames: Int = 10) -> [[[TEMPoint]]] {
        (0..<frames).map { f in
            var lines: [[TEMPoint]] = []
            for k in 0..<3 where !(k == 1 && f == 4) {
                let x = 30 + 12 * Double(k) + Double(f)
                lines.append(TEMPolyline.resample([TEMPoint(x, 10), TEMPoint(x, 90)], count: 50))
            }
            return f % 2 == 0 ? lines.reversed() : lines
        }
    }

    func testTrackerFollowsKnownMotionThroughAGap() {
        let tracks = TEMTracker.track(knownMotion())
        XCTAssertEqual(tracks.count, 3)
        for t in tracks {
            let xs = t.centroids.map(\.x)
            XCTAssertTrue(zip(xs, xs.dropFirst()).allSatisfy { $1 > $0 }, "monotone glide, no identity swap")
            for v in t.velocities { XCTAssertEqual(v.x, 1, accuracy: 1e-9); XCTAssertEqual(v.y, 0, accuracy: 1e-9) }
            for (f, d) in zip(t.frames, t.neighbourDistances) where f != 4 { XCTAssertEqual(d ?? 0, 12, accuracy: 1e-6) }
        }
        XCTAssertEqual(tracks.map(\.frames.count).sorted(), [9, 10, 10])
    }

    func testGapLongerThanMaxGapStartsNewTrack() {
        let a = TEMPolyline.resample([TEMPoint(10, 10), TEMPoint(10, 60)], count: 50)
        var config = TEMTrackerConfig()
        config.maxGap = 2
        config.minTrackFrames = 1
        config.stitchFrames = 0
        let tracks = TEMTracker.track([[a], [], [], [], [a]], config: config)
        XCTAssertEqual(tracks.count, 2)
        config.minTrackFrames = 2
        XCTAssertEqual(TEMTracker.track([[a], [], [], [], [a]], config: config).count, 0, "one-frame tracks are noise")
        // Stitching rejoins the two pieces into one identity.
        config.stitchFrames = 5
        let stitched = TEMTracker.track([[a], [], [], [], [a]], config: config)
        XCTAssertEqual(stitched.count, 1)
        XCTAssertEqual(stitched.first?.frames, [0, 4])
    }

    func testEvaluationPerfectAndShifted() {
        let p = TEMSynthParams.preset(.easy, seed: 3, frames: 5)
        let s = TEMSynthesizer(params: p)
        let perfect = s.truth.map { $0.map { TEMPolyline.resample($0.points, count: 50) } }
        let e = TEMEvaluator.evaluate(truth: s.truth, detected: perfect, tracks: TEMTracker.track(perfect))
        XCTAssertEqual(e.f1, 1, accuracy: 1e-9)
        XCTAssertEqual(e.lengthScore, 1, accuracy: 0.01)
        XCTAssertEqual(e.idf1, 1, accuracy: 1e-9)
        let shifted = perfect.map { $0.map { $0.map { $0 + TEMPoint(300, 300) } } }
        let bad = TEMEvaluator.evaluate(truth: s.truth, detected: shifted, tracks: TEMTracker.track(shifted))
        XCTAssertLessThan(bad.f1, 0.05)
        XCTAssertEqual(bad.idf1, 0)
        // Half-length detections: length metric 0.5.
        let half = s.truth.map { $0.map { Array($0.points.prefix($0.points.count / 2 + 1)) } }
        let h = TEMEvaluator.evaluate(truth: s.truth, detected: half, tracks: TEMTracker.track(half))
        XCTAssertEqual(h.lengthScore, 0.5, accuracy: 0.03)
        XCTAssertEqual(h.precision, 1, accuracy: 1e-9)
    }

    func testHungarianSmallCases() {
        // Classic 3×3.
        let a = Hungarian.solve(cost: [4, 1, 3, 2, 0, 5, 3, 2, 2], rows: 3, columns: 3)
        XCTAssertEqual(a, [1, 0, 2])
        // Rectangular both ways and forbidden pairs.
        XCTAssertEqual(Hungarian.solve(cost: [1, 9, 9, 9, 1, 9], rows: 2, columns: 3), [0, 1])
        XCTAssertEqual(Hungarian.solve(cost: [1, 9, 9, 1, 9, 9], rows: 3, columns: 2), [0, 1, nil])
        XCTAssertEqual(Hungarian.solve(cost: [.infinity, 1, .infinity, .infinity], rows: 2, columns: 2), [1, nil])
        XCTAssertEqual(Hungarian.solve(cost: [], rows: 0, columns: 4), [])
    }

    func testHungarianMatchesBruteForce() {
        var rng = SeededRandom(seed: 99)
        func permutations(_ n: Int) -> [[Int]] {
            if n == 0 { return [[]] }
            return permutations(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
        }
        for _ in 0..<30 {
            let n = 5
            let cost = (0..<(n * n)).map { _ in rng.uniform(0...10) }
            let best = permutations(n).map { p in p.enumerated().map { cost[$0 * n + $1] }.reduce(0, +) }.min()!
            let got = Hungarian.solve(cost: cost, rows: n, columns: n)
            XCTAssertEqual(got.enumerated().map { cost[$0 * n + $1!] }.reduce(0, +), best, accuracy: 1e-9)
        }
    }
}
