@testable import Kernels
import XCTest

/// Tracks that take turns on one line inside the frame tracker joined while every frame is at
/// hand (`TEMAlternatingTracks.joinTurns`, `TEMTrackerConfig.joinTurns`), on real curves: one
/// faint line held by turns becomes one identity, neighbouring lines seen by turns stay two.
final class TEMTurnTakingTests: XCTestCase {
    /// A slightly bowed vertical line of 90 px at x = `x` (40 points), jittered by ±0.2 px.
    func line(x: Double, frame: Int) -> [TEMPoint] {
        (0..<40).map { i in
            let t = Double(i) / 39 - 0.5
            return TEMPoint(x + 3 * (1 - 4 * t * t) + 0.2 * sin(Double(frame * 7 + i)), 100 + 90 * t)
        }
    }

    /// `frames` frames: each of `lines` (x positions) seen in the frames its `seen` says; and a
    /// track per line over the frames it is seen in.
    func scene(_ lines: [(x: Double, seen: (Int) -> Bool)], frames: Int = 60) -> (curves: [[[TEMPoint]]], tracks: [TEMTrack]) {
        var curves = [[[TEMPoint]]](repeating: [], count: frames), tracks: [TEMTrack] = []
        for (k, l) in lines.enumerated() {
            var t = TEMTrack(id: k, frames: [], curveIndices: [], centroids: [], velocities: [], neighbourDistances: [])
            for f in 0..<frames where l.seen(f) {
                t.frames.append(f)
                t.curveIndices.append(curves[f].count)
                curves[f].append(line(x: l.x, frame: f))
            }
            tracks.append(t)
        }
        return (curves, tracks)
    }

    func testOneLineHeldByTurnsFrameByFrameAndInShortRunsIsOneTrack() {
        let config = TEMTrackerConfig()
        // Frame by frame, and in runs of 1–3 frames (within the tracker's reach of 4).
        let runs = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1]
        for seen in [{ (f: Int) in f % 2 == 0 }, { (f: Int) in runs[f % runs.count] == 0 }] {
            let s = scene([(200, seen), (200, { !seen($0) })])
            let joined = TEMAlternatingTracks.joinTurns(s.tracks, curves: s.curves, config: config)
            XCTAssertEqual(joined.count, 1)
            XCTAssertEqual(joined.first?.frames, Array(0..<60))
            XCTAssertEqual(joined.first?.curveIndices, [Int](repeating: 0, count: 60))
        }
    }

    /// Taking turns, and in three frames the line cut in two pieces that each kept a track: one
    /// line (the two pieces together span no more than the line), not two side by side.
    func testTurnsWithTheLineCutInTwoInAFewFramesAreOneTrack() {
        var s = scene([(200, { $0 % 2 == 0 }), (200, { $0 % 2 == 1 })])
        let cut = [11, 31, 51]
        for f in cut {
            let whole = line(x: 200, frame: f)
            s.curves[f] = [Array(whole[..<20]), Array(whole[21...])]
        }
        // The first track takes the upper piece there, the second (seen in odd frames) the lower.
        s.tracks[0].frames = (s.tracks[0].frames + cut).sorted()
        s.tracks[0].curveIndices = [Int](repeating: 0, count: s.tracks[0].frames.count)
        s.tracks[1].curveIndices = s.tracks[1].frames.map { cut.contains($0) ? 1 : 0 }
        let joined = TEMAlternatingTracks.joinTurns(s.tracks, curves: s.curves, config: TEMTrackerConfig())
        // The line's track, and the three lower pieces left over as one-frame tracks (every
        // curve stays in some track).
        XCTAssertEqual(joined.count, 4)
        XCTAssertEqual(joined.first?.frames, Array(0..<60))
        XCTAssertEqual(joined.dropFirst().map(\.frames), cut.map { [$0] })
        XCTAssertEqual(joined.dropFirst().map(\.curveIndices), [[1], [1], [1]])
        XCTAssertEqual(joined.map(\.id), [0, 1, 2, 3])
    }

    /// Through the frame tracker: a faint line whose detected centre line flips by 1.2 px from
    /// frame to frame, first seen as both (two tracks start, one frame side by side), is given to
    /// the closer of the two tracks each frame, so both live throughout; re-identification cannot
    /// join tracks alive at once, the join by turns does.
    func testTheFrameTrackerTakingTurnsOnAFlickeringLineGivesOneTrackWithTheJoin() {
        var curves = (0..<60).map { f in [line(x: f % 2 == 0 ? 200 : 201.2, frame: f)] }
        curves[0].append(line(x: 201.2, frame: 0))
        var config = TEMTrackerConfig()
        config.joinTurns = false
        let without = TEMTracker.track(curves, config: config)
        XCTAssertEqual(without.count, 2, "the tracker alone takes turns")
        config.joinTurns = true
        let with = TEMTracker.track(curves, config: config)
        XCTAssertEqual(with.count, 1)
        XCTAssertEqual(Set(with.first?.frames ?? []), Set(0..<60))
    }

    func testNeighbouringLinesSeenByTurnsStayTwo() {
        let config = TEMTrackerConfig()
        for gap in [6.0, 12, 40] {
            // Each missed in alternate frames: the two take turns in time, not in place.
            let s = scene([(200, { $0 % 2 == 0 }), (200 + gap, { $0 % 2 == 1 })])
            XCTAssertEqual(TEMAlternatingTracks.joinTurns(s.tracks, curves: s.curves, config: config).count, 2, "\(gap) px")
            // In runs of three.
            let r = scene([(200, { ($0 / 3) % 2 == 0 }), (200 + gap, { ($0 / 3) % 2 == 1 })])
            XCTAssertEqual(TEMAlternatingTracks.joinTurns(r.tracks, curves: r.curves, config: config).count, 2, "\(gap) px")
        }
        // Side by side in every frame.
        let both = scene([(200, { _ in true }), (206, { _ in true })])
        XCTAssertEqual(TEMAlternatingTracks.joinTurns(both.tracks, curves: both.curves, config: config).count, 2)
        // Two lines end to end (another pile-up's line), seen together in every frame: not one
        // line cut in two, however close their ends.
        let ends = scene([(200, { _ in true }), (200, { _ in true })])
        var far = ends.curves
        for f in far.indices { far[f][1] = far[f][1].map { TEMPoint($0.x, $0.y + 95) } }
        XCTAssertEqual(TEMAlternatingTracks.joinTurns(ends.tracks, curves: far, config: config).count, 2)
        // One line held by turns beside a neighbour seen throughout: the turns join, the
        // neighbour stays apart.
        let three = scene([(200, { $0 % 2 == 0 }), (200, { $0 % 2 == 1 }), (210, { _ in true })])
        let joined = TEMAlternatingTracks.joinTurns(three.tracks, curves: three.curves, config: config)
        XCTAssertEqual(joined.map(\.frames.count).sorted(), [60, 60])
    }

    func testTooManyMissesIsABinomialTestAtOnePercent() {
        XCTAssertFalse(TEMAlternatingTracks.tooManyMisses(0, of: 5))
        // P(X ≥ 1 | 10, 1 %) = 9.6 %: one in ten is chance; two in ten is not (0.43 %).
        XCTAssertFalse(TEMAlternatingTracks.tooManyMisses(1, of: 10))
        XCTAssertTrue(TEMAlternatingTracks.tooManyMisses(2, of: 10))
        XCTAssertTrue(TEMAlternatingTracks.tooManyMisses(5, of: 100))
        XCTAssertFalse(TEMAlternatingTracks.tooManyMisses(4, of: 100))
    }
}
