@testable import Kernels
import XCTest

/// Tracks that hold one line by turns joined into one identity (`TEMAlternatingTracks`,
/// `TEMTrackerConfig.joinAlternating`), on tracklet summaries made by `TEMTracklet.summarise`
/// from real curves: neighbouring lines stay apart.
final class TEMAlternatingTracksTests: XCTestCase {
    /// A slightly bowed vertical line of 90 px at x = `x` (40 points), jittered by ±0.2 px.
    func line(x: Double, frame: Int) -> [TEMPoint] {
        (0..<40).map { i in
            let t = Double(i) / 39 - 0.5
            return TEMPoint(x + 3 * (1 - 4 * t * t) + 0.2 * sin(Double(frame * 7 + i)), 100 + 90 * t)
        }
    }

    /// Curves of 60 frames: each of `lines` (x positions) seen in the frames its `seen` says;
    /// and the tracklet of each, its frames the ones it is seen in (one curve per frame each).
    func tracklets(_ lines: [(x: Double, seen: (Int) -> Bool)]) -> [TEMTracklet] {
        var curves = [[[TEMPoint]]](repeating: [], count: 60), tracks: [TEMTrack] = []
        for (k, l) in lines.enumerated() {
            var t = TEMTrack(id: k, frames: [], curveIndices: [], centroids: [], velocities: [], neighbourDistances: [])
            for f in 0..<60 where l.seen(f) {
                t.frames.append(f)
                t.curveIndices.append(curves[f].count)
                curves[f].append(line(x: l.x, frame: f))
            }
            tracks.append(t)
        }
        return tracks.enumerated().map { TEMTracklet.summarise($1, id: Int64($0), curves: curves) }
    }

    /// Runs of 10 frames, by turns: even runs for `first`, odd for the other.
    func turns(_ first: Bool) -> (Int) -> Bool { { ($0 / 10) % 2 == (first ? 0 : 1) } }

    func testTwoTracksTakingTurnsOnOneLineAreOneIdentity() {
        let t = tracklets([(200, turns(true)), (200, turns(false))])
        XCTAssertEqual(t[0].seen.map { TEMTracklet.bit($0, 10) }, false)
        XCTAssertEqual(t[0].seen.map { TEMTracklet.bit($0, 20) }, true)
        var config = TEMTrackerConfig()
        // Alive at once, so gap closing (ends to later starts) cannot join them.
        XCTAssertEqual(TEMPiecewiseTracking.assignTracks(t, config: config, videoFrames: 60).chains.count, 2)
        config.joinAlternating = true
        let (trackOf, chains) = TEMPiecewiseTracking.assignTracks(t, config: config, videoFrames: 60)
        XCTAssertEqual(chains, [[0, 1]])
        XCTAssertEqual(trackOf, [0, 0])
    }

    func testNeighbouringLinesFortyPixelsApartStayTwo() {
        var config = TEMTrackerConfig()
        config.joinAlternating = true
        // Taking turns in time, but 40 px apart: a different glide position.
        let turnsApart = tracklets([(200, turns(true)), (240, turns(false))])
        XCTAssertEqual(TEMPiecewiseTracking.assignTracks(turnsApart, config: config, videoFrames: 60).chains.count, 2)
        // Seen side by side in every frame: frames shared.
        let sideBySide = tracklets([(200, { _ in true }), (240, { _ in true })])
        XCTAssertEqual(TEMPiecewiseTracking.assignTracks(sideBySide, config: config, videoFrames: 60).chains.count, 2)
        // One line by turns beside a neighbour seen throughout: the turns join, the neighbour
        // (40 px off at the same times) does not.
        let three = tracklets([(200, turns(true)), (200, turns(false)), (240, { _ in true })])
        XCTAssertEqual(TEMPiecewiseTracking.assignTracks(three, config: config, videoFrames: 60).chains, [[0, 1], [2]])
    }
}
