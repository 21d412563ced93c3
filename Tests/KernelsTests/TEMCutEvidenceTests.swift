@testable import Kernels
import XCTest

/// One line cut in two told from two lines lying end to end on one trace
/// (`TEMTrackerConfig.collinearSeenWhole`, `collinearEndsWander`, `TEMCutEvidence`), and the
/// glide veto of `joinCollinearPieces` on its own.
final class TEMCutEvidenceTests: XCTestCase {
    /// A vertical curve at x from y0 to y1 (20 points), jittered across by ±0.2 px.
    func segment(x: Double, _ y0: Double, _ y1: Double, frame: Int) -> [TEMPoint] {
        (0..<20).map { i in TEMPoint(x + 0.2 * sin(Double(frame * 7 + i * 3)), y0 + Double(i) * (y1 - y0) / 19) }
    }

    /// A deterministic value in [−1, 1] per (frame, slot).
    func jitter(_ f: Int, _ slot: Int) -> Double { sin(Double(f * 12_345 + slot * 6_789) * 0.731) }

    /// Frames of curves and the tracks holding them: `frames[f]` lists (track, curve) per frame.
    func tracks(_ frames: [[(track: Int, curve: [TEMPoint])]]) -> (curves: [[[TEMPoint]]], tracks: [TEMTrack]) {
        var out: [TEMTrack] = [], curves: [[[TEMPoint]]] = []
        for (f, list) in frames.enumerated() {
            curves.append(list.map(\.curve))
            for (c, x) in list.enumerated() {
                while out.count <= x.track {
                    out.append(TEMTrack(id: out.count, frames: [], curveIndices: [], centroids: [], velocities: [], neighbourDistances: []))
                }
                out[x.track].frames.append(f); out[x.track].curveIndices.append(c)
            }
        }
        return (curves, out)
    }

    /// Tracks left by `joinTurnsLeavingPieces` from a config with no collinear join (and the
    /// seen-whole test's chord gate, not the arc), edited.
    func count(_ s: (curves: [[[TEMPoint]]], tracks: [TEMTrack]), _ edit: (inout TEMTrackerConfig) -> Void) -> Int {
        var config = TEMTrackerConfig()
        config.joinCollinearPieces = false
        config.collinearSeenWhole = false
        config.collinearSeenWholeLocal = false
        config.collinearArcScatter = false
        edit(&config)
        return TEMAlternatingTracks.joinTurnsLeavingPieces(s.tracks, curves: s.curves, config: config).tracks.count
    }

    /// Two 42-px lines 10 px apart on one trace (y 10–52 and 62–104), each on its own track over
    /// 40 frames and jumping 6 px together every fifth frame, are joined by their geometry alone
    /// (the hard draws' loss) and stay two when the line must have been seen whole; one line
    /// seen whole in frames 0–9 (one track, y 10–104) and cut at the same place in frames 10–39
    /// (a second track on the lower piece) becomes one track.
    func testTwoLinesEndToEndStayTwoWhileACutLineSeenWholeIsOne() {
        func x(_ f: Int) -> Double { 200 + 6 * Double(f / 5) }
        let two = tracks((0..<40).map { f in [(0, segment(x: x(f), 10, 52, frame: f)), (1, segment(x: x(f), 62, 104, frame: f + 50))] })
        XCTAssertEqual(count(two) { _ in }, 2)
        XCTAssertEqual(count(two) { $0.joinCollinearPieces = true }, 1, "the geometry alone joins two lines end to end")
        XCTAssertEqual(count(two) { $0.joinCollinearPieces = true; $0.collinearSeenWhole = true }, 2)
        let cut = tracks((0..<40).map { f in
            f < 10 ? [(0, segment(x: x(f), 10, 104, frame: f))]
                   : [(0, segment(x: x(f), 10, 52, frame: f)), (1, segment(x: x(f), 62, 104, frame: f + 50))]
        })
        XCTAssertEqual(count(cut) { _ in }, 2)
        XCTAssertEqual(TEMCutEvidence.seenWhole(cut.tracks[0], cut.tracks[1], curves: cut.curves).whole, 10)
        XCTAssertEqual(count(cut) { $0.joinCollinearPieces = true; $0.collinearSeenWhole = true }, 1)
    }

    /// A line cut where its contrast fades, the cut ends moving ±3 px along the line from frame to
    /// frame (far ends still), is one track when the facing ends must wander; two lines 10 px
    /// apart whose four ends all move ±0.5 px alike stay two.
    func testACutWhoseEndsWanderIsOneAndTwoLinesWithSteadyEndsStayTwo() {
        let cut = tracks((0..<40).map { f in
            [(0, segment(x: 200, 10, 52 + 3 * jitter(f, 0), frame: f)), (1, segment(x: 200, 62 + 3 * jitter(f, 1), 104, frame: f + 50))]
        })
        let steps = TEMCutEvidence.endSteps(cut.tracks[0], cut.tracks[1], curves: cut.curves, reach: 4, scatterA: 0.05, scatterB: 0.05)
        XCTAssertGreaterThan(steps.wander, 3 * steps.still)
        XCTAssertEqual(count(cut) { $0.joinCollinearPieces = true; $0.collinearEndsWander = true }, 1)
        let two = tracks((0..<40).map { f in
            [(0, segment(x: 200, 10 + 0.5 * jitter(f, 2), 52 + 0.5 * jitter(f, 0), frame: f)),
             (1, segment(x: 200, 62 + 0.5 * jitter(f, 1), 104 + 0.5 * jitter(f, 3), frame: f + 50))]
        })
        XCTAssertEqual(count(two) { $0.joinCollinearPieces = true }, 1)
        XCTAssertEqual(count(two) { $0.joinCollinearPieces = true; $0.collinearEndsWander = true }, 2)
        // Either evidence: the seen-whole test reads nothing here, the wander test decides.
        XCTAssertEqual(count(two) { $0.joinCollinearPieces = true; $0.collinearEndsWander = true; $0.collinearSeenWhole = true }, 2)
        XCTAssertEqual(count(cut) { $0.joinCollinearPieces = true; $0.collinearEndsWander = true; $0.collinearSeenWhole = true }, 1)
    }

    /// The glide veto alone: two 42-px pieces 20 px apart on one trace (y 10–52 and 72–114),
    /// jumping 3.2 px across at their own frames (every fifth, two frames apart), continue each
    /// other in every frame — 3.2 px across is within the end tangents' own noise at a 20-px gap
    /// — yet glide apart beyond z · √(2v) = 2.6 px, and stay two; jumping together they are one.
    func testTheGlideVetoAloneKeepsPiecesGlidingApartTwo() {
        func scene(_ jumpB: Int) -> (curves: [[[TEMPoint]]], tracks: [TEMTrack]) {
            tracks((0..<40).map { f in
                let xa = 200 + 3.2 * Double(f / 5), xb = 200 + 3.2 * Double((f + 5 - jumpB) / 5 - 1)
                return [(0, segment(x: xa, 10, 52, frame: f)), (1, segment(x: xb, 72, 114, frame: f + 1))]
            })
        }
        let apart = scene(2), together = scene(0)
        for f in 0..<40 {
            XCTAssertTrue(TEMCollinearPieces.continues(apart.curves[f][0], apart.curves[f][1], scatterA: 0, scatterB: 0), "frame \(f)")
        }
        XCTAssertEqual(count(together) { $0.joinCollinearPieces = true }, 1)
        XCTAssertEqual(count(apart) { $0.joinCollinearPieces = true }, 2)
    }

    /// A bowed line — an arc of radius 120 px over ±50° (209 px), gliding 6 px every fifth frame —
    /// seen whole in frames 0–9 and cut 8.4 px apart at its middle in frames 10–39: each piece's
    /// chord lies 26° off the whole line's, beyond the 25° gate, so the plain seen-whole test
    /// reads nothing and the pieces stay two; with the gate widened by the line's bow
    /// (`collinearSeenWholeBowed`, 50°) the 10 whole frames read whole and the pieces are one.
    func testABowedLineSeenWholeIsReadWholeWithItsBow() {
        func arc(_ from: Double, _ to: Double, frame: Int, jitter: Int = 0) -> [TEMPoint] {
            let x0 = 100 + 6 * Double(frame / 5)
            return (0..<40).map { i in
                let t = (from + (to - from) * Double(i) / 39) * .pi / 180
                return TEMPoint(x0 + 120 * cos(t) + 0.1 * sin(Double((frame + jitter) * 7 + i * 3)), 200 + 120 * sin(t))
            }
        }
        let bowed = tracks((0..<40).map { f in
            f < 10 ? [(0, arc(-50, 50, frame: f))] : [(0, arc(-50, -2, frame: f)), (1, arc(2, 50, frame: f, jitter: 50))]
        })
        XCTAssertEqual(TEMCutEvidence.bow(arc(-50, 50, frame: 0)), 50, accuracy: 2)
        XCTAssertEqual(TEMCutEvidence.seenWhole(bowed.tracks[0], bowed.tracks[1], curves: bowed.curves).read, 0)
        XCTAssertEqual(TEMCutEvidence.seenWhole(bowed.tracks[0], bowed.tracks[1], curves: bowed.curves, bowed: true).whole, 10)
        XCTAssertEqual(count(bowed) { $0.joinCollinearPieces = true; $0.collinearSeenWhole = true }, 2)
        XCTAssertEqual(count(bowed) { $0.joinCollinearPieces = true; $0.collinearSeenWhole = true; $0.collinearSeenWholeBowed = true }, 1)
    }

    /// The bowed line of `testABowedLineSeenWholeIsReadWholeWithItsBow` read along its own arc
    /// (`collinearSeenWholeLocal`, `TEMArcFit`): its 10 whole frames read whole and the two
    /// pieces are one track. Then in frames 10–39 its lower piece replaced by a straight 30-px
    /// line of another pile-up lying along the arc's lower end tangent (running 9 px past the
    /// arc's end, up to 2.6 px off the arc), which continues the upper piece by the pieces'
    /// geometry: the widened chord gate (`collinearSeenWholeBowed`) reads it as the line's lower
    /// piece and joins the two; along the arc 2 of its 15 points within the line's span leave
    /// the shifted line by more than the detector's noise (beyond the 1 % rate) and the two
    /// stay two.
    func testABowedLineIsReadAlongItsArcAndALineAlongItsEndTangentIsNot() {
        func arc(_ from: Double, _ to: Double, frame: Int, jitter: Int = 0) -> [TEMPoint] {
            let x0 = 100 + 6 * Double(frame / 5)
            return (0..<40).map { i in
                let t = (from + (to - from) * Double(i) / 39) * .pi / 180
                return TEMPoint(x0 + 120 * cos(t) + 0.1 * sin(Double((frame + jitter) * 7 + i * 3)), 200 + 120 * sin(t))
            }
        }
        // Another pile-up's line along the arc's lower end tangent: straight, 30 px, in the
        // direction of the tangent at −52° (the end is at −50°), ending 1 px outside the arc at
        // −40°.
        func tangent(frame: Int) -> [TEMPoint] {
            let x0 = 100 + 6 * Double(frame / 5), t = -52 * Double.pi / 180, a = -40 * Double.pi / 180
            let end = TEMPoint(x0 + 121 * cos(a), 200 + 121 * sin(a)), u = TEMPoint(-sin(t), cos(t))
            return (0..<20).map { i in end - (30 * (1 - Double(i) / 19)) * u + TEMPoint(0.1 * sin(Double(frame * 5 + i * 7)), 0) }
        }
        let cut = tracks((0..<40).map { f in
            f < 10 ? [(0, arc(-50, 50, frame: f))] : [(0, arc(-50, -2, frame: f)), (1, arc(2, 50, frame: f, jitter: 50))]
        })
        XCTAssertEqual(TEMCutEvidence.seenWhole(cut.tracks[0], cut.tracks[1], curves: cut.curves, local: true).whole, 10)
        XCTAssertEqual(count(cut) { $0.joinCollinearPieces = true; $0.collinearSeenWhole = true; $0.collinearSeenWholeLocal = true }, 1)
        let two = tracks((0..<40).map { f in
            f < 10 ? [(0, arc(-50, 50, frame: f))] : [(0, arc(-38, 50, frame: f)), (1, tangent(frame: f))]
        })
        XCTAssertEqual(TEMCutEvidence.seenWhole(two.tracks[0], two.tracks[1], curves: two.curves, bowed: true).whole, 10)
        XCTAssertEqual(TEMCutEvidence.seenWhole(two.tracks[0], two.tracks[1], curves: two.curves, local: true).whole, 0)
        // The tolerance from the arc's own scatter (0.1 px jitter) stays at the floor: still refused.
        XCTAssertEqual(TEMCutEvidence.seenWhole(two.tracks[0], two.tracks[1], curves: two.curves, local: true, scatter: true).whole, 0)
        XCTAssertEqual(count(two) { $0.joinCollinearPieces = true; $0.collinearSeenWhole = true; $0.collinearSeenWholeBowed = true }, 1)
        XCTAssertEqual(count(two) { $0.joinCollinearPieces = true; $0.collinearSeenWhole = true; $0.collinearSeenWholeLocal = true }, 2)
        XCTAssertTrue(TEMTrackerConfig().collinearSeenWholeLocal)
    }

    /// A faint line whose detected curve wanders ±2 px across from frame to frame (a 100-px
    /// vertical line, seen whole in frames 0–9, cut at its middle in 10–39): read along its arc
    /// with the detector's 0.5 px floor its pieces leave the line beyond the 1 % rate and it is
    /// never read whole; with the tolerance from the line's own frame-to-frame scatter
    /// (`collinearArcScatter`, `TEMArcFit.scatterTolerance`) its 10 whole frames read whole.
    /// (The bowed arc's straight impostor along its end tangent is still refused with it:
    /// `testABowedLineIsReadAlongItsArcAndALineAlongItsEndTangentIsNot`.)
    func testAWanderingLineIsReadAlongItsArcWithinItsOwnScatter() {
        func line(_ y0: Double, _ y1: Double, frame: Int) -> [TEMPoint] {
            (0..<20).map { i in
                let y = y0 + Double(i) * (y1 - y0) / 19
                return TEMPoint(100 + 2 * jitter(frame, Int(y)), y)
            }
        }
        let cut = tracks((0..<40).map { f in
            f < 10 ? [(0, line(0, 100, frame: f))] : [(0, line(0, 48, frame: f)), (1, line(52, 100, frame: f))]
        })
        let floor = TEMCutEvidence.seenWhole(cut.tracks[0], cut.tracks[1], curves: cut.curves, local: true)
        let own = TEMCutEvidence.seenWhole(cut.tracks[0], cut.tracks[1], curves: cut.curves, local: true, scatter: true)
        XCTAssertEqual(floor.whole, 0)
        XCTAssertEqual(own.whole, 10)
        XCTAssertGreaterThan(TEMArcFit.scatterTolerance(of: cut.curves[0][0], neighbours: [cut.curves[1][0]]), TEMArcFit.tolerance)
        XCTAssertEqual(TEMArcFit.scatterTolerance(of: cut.curves[0][0], neighbours: []), TEMArcFit.tolerance)
        XCTAssertTrue(TEMTrackerConfig().collinearArcScatter)
    }

    /// `collinearSeenWhole` is on by default (with `joinCollinearPieces`), `collinearEndsWander` off;
    /// the default joins the cut line seen whole and keeps the two lines end to end apart.
    func testTheFieldsReadAndTheDefaultTellsACutFromTwoLines() throws {
        XCTAssertTrue(TEMTrackerConfig().collinearSeenWhole)
        XCTAssertFalse(TEMTrackerConfig().collinearEndsWander)
        let c = try JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"collinearSeenWhole":false,"collinearEndsWander":true}"#.utf8))
        XCTAssertFalse(c.collinearSeenWhole)
        XCTAssertTrue(c.collinearEndsWander)
        func x(_ f: Int) -> Double { 200 + 6 * Double(f / 5) }
        let two = tracks((0..<40).map { f in [(0, segment(x: x(f), 10, 52, frame: f)), (1, segment(x: x(f), 62, 104, frame: f + 50))] })
        let cut = tracks((0..<40).map { f in
            f < 10 ? [(0, segment(x: x(f), 10, 104, frame: f))]
                   : [(0, segment(x: x(f), 10, 52, frame: f)), (1, segment(x: x(f), 62, 104, frame: f + 50))]
        })
        let config = TEMTrackerConfig()
        XCTAssertEqual(TEMAlternatingTracks.joinTurnsLeavingPieces(two.tracks, curves: two.curves, config: config).tracks.count, 2)
        XCTAssertEqual(TEMAlternatingTracks.joinTurnsLeavingPieces(cut.tracks, curves: cut.curves, config: config).tracks.count, 1)
    }
}
