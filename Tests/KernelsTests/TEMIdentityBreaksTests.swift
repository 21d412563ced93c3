@testable import Kernels
import XCTest

/// Where identities break (`TEMIdentityBreaks`, `ctl bench tem --draws N --diagnose`), on a
/// small hand-built video: one true line whose detection passes from one track to another.
final class TEMIdentityBreaksTests: XCTestCase {
    /// A vertical segment at x from y0 to y1 (1 px between points).
    func segment(x: Double, _ y0: Double, _ y1: Double) -> [TEMPoint] {
        stride(from: y0, through: y1, by: 1).map { TEMPoint(x, $0) }
    }

    /// Ten frames of one true line (x = 100, y 50–150). Frames 0–5: detected whole, track 0.
    /// Frames 6–9: the detection `later` gives, the first curve on track 1, the second (if any)
    /// on track 0.
    func scene(_ later: [[TEMPoint]]) -> (truth: [[TEMTruthDislocation]], detected: [[[TEMPoint]]], tracks: [TEMTrack]) {
        let truth = (0..<10).map { _ in [TEMTruthDislocation(id: 0, pileup: 0, points: segment(x: 100, 50, 150))] }
        var detected: [[[TEMPoint]]] = [], a = TEMTrack(id: 0, frames: [], curveIndices: [], centroids: [], velocities: [], neighbourDistances: [])
        var b = a
        b.id = 1
        for f in 0..<10 {
            if f < 6 {
                detected.append([segment(x: 100.3, 50, 150)])
                a.frames.append(f); a.curveIndices.append(0)
            } else {
                detected.append(later)
                b.frames.append(f); b.curveIndices.append(0)
                if later.count > 1 { a.frames.append(f); a.curveIndices.append(1) }
            }
        }
        return (truth, detected, [a, b])
    }

    func testALineCutInTwoIsChargedToPiecesEndToEnd() {
        let s = scene([segment(x: 100.3, 50, 130), segment(x: 100.3, 134, 150)])
        let r = TEMIdentityBreaks.summary(truth: s.truth, detected: s.detected, tracks: s.tracks, time: nil, pieceFrames: 0,
                                          config: TEMTrackerConfig())
        XCTAssertEqual(r.breaks, ["pieces end to end": 1])
        XCTAssertEqual(r.frames, ["pieces end to end": 4], "the four frames on track 1, off the line's track 0")
        XCTAssertEqual(r.untracked, 0)
        XCTAssertEqual(r.falseHypotheses, 4)
        XCTAssertEqual(r.secondOnLine, 4, "the short piece lies on the line another hypothesis holds")
    }

    func testADoubleTraceIsChargedToPiecesSideBySide() {
        let s = scene([segment(x: 99.2, 50, 150), segment(x: 101.6, 50, 150)])
        let r = TEMIdentityBreaks.summary(truth: s.truth, detected: s.detected, tracks: s.tracks, time: nil, pieceFrames: 0,
                                          config: TEMTrackerConfig())
        XCTAssertEqual(r.frames, ["pieces side by side": 4])
    }

    func testOneCurveHandedOverIsADroppedFrameOrAHandOver() {
        let s = scene([segment(x: 100.3, 50, 150)])
        let plain = TEMIdentityBreaks.summary(truth: s.truth, detected: s.detected, tracks: s.tracks, time: nil,
                                              pieceFrames: 0, config: TEMTrackerConfig())
        XCTAssertEqual(plain.frames, ["hand-over": 4])
        // The clock skipped a step between frames 5 and 6.
        let time = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10]
        let dropped = TEMIdentityBreaks.summary(truth: s.truth, detected: s.detected, tracks: s.tracks, time: time,
                                                pieceFrames: 0, config: TEMTrackerConfig())
        XCTAssertEqual(dropped.frames, ["dropped frame": 4])
        // Tracked in pieces of 6 frames: the break lies on a piece boundary.
        let pieces = TEMIdentityBreaks.summary(truth: s.truth, detected: s.detected, tracks: s.tracks, time: nil,
                                               pieceFrames: 6, config: TEMTrackerConfig())
        XCTAssertEqual(pieces.frames, ["piece boundary": 4])
    }
}
