@testable import Kernels
import XCTest

/// A line cut in every frame of one 20-frame piece joined by the piece linker on the next
/// piece's whole view of it (`TEMTrackerConfig.collinearAcrossPieces`, `TEMCutAcrossPieces`),
/// while two lines end to end stay two.
final class TEMCutAcrossPiecesTests: XCTestCase {
    /// A vertical curve at x from y0 to y1 (one point per 2 px), jittered across by ±0.2 px.
    func segment(x: Double, _ y0: Double, _ y1: Double, frame: Int) -> [TEMPoint] {
        let n = Int(((y1 - y0) / 2).rounded()) + 1
        return (0..<n).map { i in TEMPoint(x + 0.2 * sin(Double(frame * 7 + i * 3)), y0 + Double(i) * (y1 - y0) / Double(n - 1)) }
    }

    /// The line's position: 3 px further every fifth frame (jerky glide), never at a boundary.
    func x(_ f: Int) -> Double { 200 + 3 * Double((f + 2) / 5) }

    func config(_ across: Bool) -> TEMTrackerConfig {
        var c = TEMTrackerConfig()
        c.collinearAcrossPieces = across
        return c
    }

    /// Tracks over 40 frames in pieces of 20, and the frames of each.
    func track(_ curves: [[[TEMPoint]]], across: Bool) -> [TEMTrack] {
        TEMPiecewiseTracking.track(curves, framesPerPiece: 20, config: config(across))
    }

    /// One line, y 10–114, cut 20 px apart (pieces y 10–52 and 72–114) in every frame of one piece
    /// and seen whole in every frame of the other: two tracks without the field (the second
    /// piece an identity of its own), one with it, holding both pieces of each cut frame. Either
    /// way round (cut then whole, whole then cut).
    func testALineCutInEveryFrameOfOnePieceAndWholeInTheNextIsOneTrack() {
        for cutFirst in [true, false] {
            let curves: [[[TEMPoint]]] = (0..<40).map { f in
                (f < 20) == cutFirst
                    ? [segment(x: x(f), 10, 52, frame: f), segment(x: x(f), 72, 114, frame: f + 50)]
                    : [segment(x: x(f), 10, 114, frame: f)]
            }
            let plain = track(curves, across: false)
            XCTAssertEqual(plain.count, 2, "cut first: \(cutFirst)")
            let joined = track(curves, across: true)
            XCTAssertEqual(joined.count, 1, "cut first: \(cutFirst)")
            XCTAssertEqual(joined.first?.frames.count, 60, "20 cut frames of two curves, 20 whole frames")
        }
    }

    /// Two lines of two pile-ups end to end across a 20-px band gap (y 10–52 and 72–114), gliding
    /// together: seen in every frame of both pieces they stay two; and when the second line goes
    /// unseen in the second piece (its chain ends at the boundary while the first goes on, 42 px
    /// long), nothing there spans both, so they stay two as well.
    func testTwoLinesEndToEndStayTwo() {
        let both: [[[TEMPoint]]] = (0..<40).map { f in
            [segment(x: x(f), 10, 52, frame: f), segment(x: x(f), 72, 114, frame: f + 50)]
        }
        XCTAssertEqual(track(both, across: true).count, 2)
        let oneGoes: [[[TEMPoint]]] = (0..<40).map { f in
            f < 20 ? [segment(x: x(f), 10, 52, frame: f), segment(x: x(f), 72, 114, frame: f + 50)]
                   : [segment(x: x(f), 10, 52, frame: f)]
        }
        XCTAssertEqual(track(oneGoes, across: false).count, 2)
        XCTAssertEqual(track(oneGoes, across: true).count, 2)
    }

    /// The evidence of one triple, by hand: the cut piece's tails continue each other in all 10
    /// end frames, the next piece's whole line spans both in its 10 head frames (the pieces' own
    /// tail frames are never seen apart, so they read nothing); summaries without end curves say
    /// nothing. The field reads from JSON and is off by default.
    func testTheEvidenceAndTheField() throws {
        let curves: [[[TEMPoint]]] = (0..<40).map { f in
            f < 20 ? [segment(x: x(f), 10, 52, frame: f), segment(x: x(f), 72, 114, frame: f + 50)]
                   : [segment(x: x(f), 10, 114, frame: f)]
        }
        func summary(_ frames: Range<Int>, curve: Int, id: Int64, ends: Bool = true) -> TEMTracklet {
            let t = TEMTrack(id: 0, frames: Array(frames), curveIndices: frames.map { _ in curve }, centroids: [], velocities: [],
                             neighbourDistances: [])
            return TEMTracklet.summarise(t, id: id, curves: curves, ends: ends)
        }
        let a = summary(0..<20, curve: 0, id: 0), b = summary(0..<20, curve: 1, id: 1), c = summary(20..<40, curve: 0, id: 1_000_000)
        let e = try XCTUnwrap(TEMCutAcrossPieces.evidence(a, b, c, atStart: false))
        XCTAssertEqual(e, TEMCutAcrossPieces.Evidence(shared: 10, collinear: 10, sideBySide: 0, whole: 10, read: 10, wholeNext: 10, readNext: 10))
        XCTAssertTrue(e.oneLine)
        XCTAssertNil(TEMCutAcrossPieces.evidence(a, summary(0..<20, curve: 1, id: 1, ends: false), c, atStart: false))
        XCTAssertFalse(TEMTrackerConfig().collinearAcrossPieces)
        XCTAssertTrue(try JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"collinearAcrossPieces":true}"#.utf8)).collinearAcrossPieces)
    }

    /// (`collinearAcrossNextView`) The pooled evidence from one next-piece frame: the cut piece's
    /// tails are cut in frames 10–17 and its line is seen whole (alone) in 18 and 19; the next
    /// piece's tracklet spans both pieces in its first frame only (then the upper piece). Pooled,
    /// 3 of 3 read whole join them; the next piece's own view is 1 of 1, not beyond chance at
    /// 1 %, so with the field they stay apart. With the next piece whole in 3 frames they join.
    func testTheNextPiecesOwnViewMustReadTheLineWhole() throws {
        func curves(nextWhole: Int) -> [[[TEMPoint]]] {
            (0..<40).map { f in
                if f < 18 { return [segment(x: x(f), 10, 52, frame: f), segment(x: x(f), 72, 114, frame: f + 50)] }
                if f < 20 || f < 20 + nextWhole { return [segment(x: x(f), 10, 114, frame: f)] }
                return [segment(x: x(f), 10, 52, frame: f)]
            }
        }
        for (nextWhole, joinsWithView) in [(1, false), (3, true)] {
            let table = curves(nextWhole: nextWhole)
            func summary(_ frames: [Int], curve: Int, id: Int64) -> TEMTracklet {
                let t = TEMTrack(id: 0, frames: frames, curveIndices: frames.map { _ in curve }, centroids: [], velocities: [],
                                 neighbourDistances: [])
                return TEMTracklet.summarise(t, id: id, curves: table, ends: true)
            }
            let a = summary(Array(0..<20), curve: 0, id: 0), b = summary(Array(0..<18), curve: 1, id: 1)
            let c = summary(Array(20..<40), curve: 0, id: 1_000_000)
            let e = try XCTUnwrap(TEMCutAcrossPieces.evidence(a, b, c, atStart: false, alongArc: true, scatter: true))
            XCTAssertEqual(e.whole, 2 + nextWhole, "next piece whole in \(nextWhole)")
            XCTAssertEqual([e.wholeNext, e.readNext], [nextWhole, nextWhole])
            XCTAssertTrue(e.oneLine(nextView: false))
            XCTAssertEqual(e.oneLine(nextView: true), joinsWithView)
        }
        XCTAssertFalse(TEMTrackerConfig().collinearAcrossNextView)
    }
}
