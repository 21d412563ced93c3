import Kernels
import XCTest

/// Tracking in pieces linked by the global gap-closing assignment (`TEMPiecewiseTracking`), on
/// curves given directly: identities must survive crossings, close pairs, stops and dropped
/// frames across piece boundaries; an entering line gets a new id, a leaving one ends.
final class TEMTrackletLinkingTests: XCTestCase {
    /// A slightly bowed line of `length` px through `centre` along `direction` (unit), 40 points.
    func line(centre: TEMPoint, direction: TEMPoint, length: Double = 90, bow: Double = 3) -> [TEMPoint] {
        let normal = TEMPoint(-direction.y, direction.x)
        return (0..<40).map { i in
            let t = Double(i) / 39 - 0.5
            return centre + direction * (t * length) + normal * (bow * (1 - 4 * t * t))
        }
    }

    /// Frames of curves from `lines` (each a closure giving its curve in frame f, or nil), the
    /// order within a frame shuffled by `seed`; returns the curves and, per frame, which line
    /// each curve is.
    func video(frames: Int, seed: UInt64, _ lines: [(Int) -> [TEMPoint]?]) -> (curves: [[[TEMPoint]]], truth: [[Int]]) {
        var rng = seed
        var curves: [[[TEMPoint]]] = [], truth: [[Int]] = []
        for f in 0..<frames {
            var frame = lines.enumerated().compactMap { k, l in l(f).map { (k, $0) } }
            for i in frame.indices.reversed() where i > 0 {
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                frame.swapAt(i, Int((rng >> 33) % UInt64(i + 1)))
            }
            curves.append(frame.map(\.1))
            truth.append(frame.map(\.0))
        }
        return (curves, truth)
    }

    /// Track id of every line in every frame it is seen; fails unless each line keeps one id and
    /// lines never share one. Returns the ids by line.
    @discardableResult
    func assertIdentities(_ tracks: [TEMTrack], truth: [[Int]], lines: Int, file: StaticString = #filePath, line: UInt = #line) -> [Int: Set<Int>] {
        var idsOf: [Int: Set<Int>] = [:]
        var seen = 0
        for t in tracks {
            for (f, c) in zip(t.frames, t.curveIndices) {
                idsOf[truth[f][c], default: []].insert(t.id)
                seen += 1
            }
        }
        XCTAssertEqual(seen, truth.reduce(0) { $0 + $1.count }, "every curve tracked", file: file, line: line)
        for k in 0..<lines { XCTAssertEqual(idsOf[k]?.count, 1, "line \(k) has ids \(idsOf[k] ?? [])", file: file, line: line) }
        let all = idsOf.values.flatMap { $0 }
        XCTAssertEqual(Set(all).count, all.count, "two lines share a track: \(idsOf)", file: file, line: line)
        return idsOf
    }

    func testCrossingSlipSystemsKeepTheirIdentities() {
        // One line glides along +x, the other along +y; they cross mid-video, at a piece boundary.
        let a: (Int) -> [TEMPoint]? = { self.line(centre: TEMPoint(100 + 3 * Double($0), 160), direction: TEMPoint(0, 1)) }
        let b: (Int) -> [TEMPoint]? = { self.line(centre: TEMPoint(160, 100 + 3 * Double($0)), direction: TEMPoint(1, 0)) }
        // Also with the corner join on: the ends pass each other at right angles for a few
        // frames, which must not join the lines (`TEMCornerSlide`).
        var corners = TEMTrackerConfig()
        corners.joinCornerPieces = true
        // And with gap closing on one cost scale (`TEMGapLikelihood`).
        var likelihood = TEMTrackerConfig()
        likelihood.gapLikelihood = true
        // And with pieces absorbed by the track holding their line (`TEMPieceAbsorption`).
        var absorb = TEMTrackerConfig()
        absorb.absorbPieces = true
        absorb.absorbedEndsStayEnds = true
        for config in [TEMTrackerConfig(), corners, likelihood, absorb] {
            for seed in 1...5 as ClosedRange<UInt64> {
                let v = video(frames: 40, seed: seed, [a, b])
                for piece in [7, 10, 20] {
                    let tracks = TEMPiecewiseTracking.track(v.curves, framesPerPiece: piece, config: config)
                    XCTAssertEqual(tracks.count, 2, "piece \(piece), corners \(config.joinCornerPieces), likelihood \(config.gapLikelihood)")
                    assertIdentities(tracks, truth: v.truth, lines: 2)
                }
            }
        }
    }

    func testACloseGlidingPairWithStopsKeepsItsIdentities() {
        // Two parallel lines 4 px apart, gliding in bursts (2 px/frame, stopped every third
        // block of 4 frames), the pair breaking up as the leader runs ahead.
        func glide(_ f: Int) -> Double { (0..<f).reduce(0.0) { s, k in s + ((k / 4) % 3 == 2 ? 0 : 2) } }
        let lead: (Int) -> [TEMPoint]? = { self.line(centre: TEMPoint(120 + glide($0) * 1.1, 200), direction: TEMPoint(0.2, 0.98)) }
        let follow: (Int) -> [TEMPoint]? = { self.line(centre: TEMPoint(116 + glide($0), 200), direction: TEMPoint(0.2, 0.98)) }
        for config in Self.configs { for seed in 1...5 as ClosedRange<UInt64> {
            let v = video(frames: 48, seed: seed, [lead, follow])
            for piece in [5, 12] {
                let tracks = TEMPiecewiseTracking.track(v.curves, framesPerPiece: piece, config: config)
                XCTAssertEqual(tracks.count, 2, "piece \(piece)")
                assertIdentities(tracks, truth: v.truth, lines: 2)
            }
        } }
    }

    /// The default linking, gap closing on one cost scale (`gapLikelihood`), and pieces absorbed
    /// by the track holding their line with absorbed ends left ends (`absorbPieces`).
    static var configs: [TEMTrackerConfig] {
        var likelihood = TEMTrackerConfig()
        likelihood.gapLikelihood = true
        var absorb = TEMTrackerConfig()
        absorb.absorbPieces = true
        absorb.absorbedEndsStayEnds = true
        return [TEMTrackerConfig(), likelihood, absorb]
    }

    func testDroppedFramesAtAPieceBoundaryDoNotBreakTracks() {
        // Frames 10–12 are dropped (blank) for every line; pieces of 10 start at 10.
        let dropped: Set<Int> = [10, 11, 12]
        let lines: [(Int) -> [TEMPoint]?] = (0..<3).map { k in
            { f in dropped.contains(f) ? nil : self.line(centre: TEMPoint(80 + 60 * Double(k) + 1.5 * Double(f), 250), direction: TEMPoint(0, 1)) }
        }
        let v = video(frames: 30, seed: 7, lines)
        for config in Self.configs {
            let tracks = TEMPiecewiseTracking.track(v.curves, framesPerPiece: 10, config: config)
            XCTAssertEqual(tracks.count, 3)
            assertIdentities(tracks, truth: v.truth, lines: 3)
        }
    }

    func testATrackAliveAtABoundaryIsContinuedNotHandedToAnOlderEnd() {
        // A pile-up gliding at 3 px/frame: the leader vanishes at frame 10 exactly where the
        // follower is when the next piece starts (frame 20), same shape. The one-pass tracker
        // follows the follower across frame 20; so must the pieces, whatever the leader's
        // stand-still cost against the follower's one-frame step.
        let follower: (Int) -> [TEMPoint]? = { self.line(centre: TEMPoint(100 + 3 * Double($0), 250), direction: TEMPoint(0, 1)) }
        let leader: (Int) -> [TEMPoint]? = { $0 < 10 ? self.line(centre: TEMPoint(133 + 3 * Double($0), 250), direction: TEMPoint(0, 1)) : nil }
        for seed in 1...3 as ClosedRange<UInt64> {
            let v = video(frames: 40, seed: seed, [follower, leader])
            for piece in [20, 40] {
                let tracks = TEMPiecewiseTracking.track(v.curves, framesPerPiece: piece, config: TEMTrackerConfig())
                XCTAssertEqual(tracks.count, 2, "piece \(piece)")
                let ids = assertIdentities(tracks, truth: v.truth, lines: 2)
                XCTAssertEqual(tracks.first { ids[1]!.contains($0.id) }?.lastFrame, 9, "piece \(piece): the leader ends")
            }
        }
    }

    func testAnEnteringLineGetsANewIdAndALeavingOneEnds() {
        // Line 0 glides from frame 0 to 17 and leaves; line 1 enters at frame 22 elsewhere,
        // rotated (another slip system), so the two must not be joined.
        let leaving: (Int) -> [TEMPoint]? = { $0 < 18 ? self.line(centre: TEMPoint(100 + 2 * Double($0), 150), direction: TEMPoint(0, 1)) : nil }
        let entering: (Int) -> [TEMPoint]? = { $0 >= 22 ? self.line(centre: TEMPoint(300, 300 + 2 * Double($0)), direction: TEMPoint(1, 0)) : nil }
        let steady: (Int) -> [TEMPoint]? = { self.line(centre: TEMPoint(400 - Double($0), 120), direction: TEMPoint(0.6, 0.8)) }
        let v = video(frames: 40, seed: 3, [leaving, entering, steady])
        for config in Self.configs {
        let tracks = TEMPiecewiseTracking.track(v.curves, framesPerPiece: 8, config: config)
        XCTAssertEqual(tracks.count, 3)
        let ids = assertIdentities(tracks, truth: v.truth, lines: 3)
        let leaver = tracks.first { ids[0]!.contains($0.id) }!
        XCTAssertEqual(leaver.lastFrame, 17)
        let enterer = tracks.first { ids[1]!.contains($0.id) }!
        XCTAssertEqual(enterer.firstFrame, 22)
        }
    }

    func testFinalStepWorksOnSummariesAndDropsShortTracks() {
        // A flicker seen in 2 frames (below min_track_frames = 5) is dropped once linked.
        let steady: (Int) -> [TEMPoint]? = { self.line(centre: TEMPoint(200 + Double($0), 200), direction: TEMPoint(0, 1)) }
        let flicker: (Int) -> [TEMPoint]? = { [9, 10].contains($0) ? self.line(centre: TEMPoint(400, 60), direction: TEMPoint(1, 0), length: 30) : nil }
        let v = video(frames: 20, seed: 1, [steady, flicker])
        var pieces: [TEMTracklet] = []
        for (piece, first) in stride(from: 0, to: 20, by: 10).enumerated() {
            pieces += TEMPiecewiseTracking.trackPiece(Array(v.curves[first..<(first + 10)]), firstFrame: first, piece: piece,
                                                      config: TEMTrackerConfig()).tracklets
        }
        XCTAssertEqual(pieces.map(\.firstFrame).sorted(), [0, 9, 10, 10], "the flicker is a tracklet in each piece")
        XCTAssertTrue(pieces.allSatisfy { $0.start.count == 40 && $0.end.count == 40 })
        let (trackOf, chains) = TEMPiecewiseTracking.assignTracks(pieces, config: TEMTrackerConfig(), videoFrames: 20)
        XCTAssertEqual(chains.count, 1)
        XCTAssertEqual(trackOf.compactMap { $0 }, [0, 0])
        XCTAssertEqual(Set(pieces.indices.filter { trackOf[$0] == nil }.map { pieces[$0].frames }), [1])
    }
}
