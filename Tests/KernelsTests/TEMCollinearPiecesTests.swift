@testable import Kernels
import XCTest

/// Two tracks holding two pieces of one line at once joined by geometry
/// (`TEMTrackerConfig.joinCollinearPieces`, `TEMCollinearPieces`): a cut line's second piece
/// continues the first on its extension; two lines of one pile-up gliding together lie beside
/// each other, and two lines far apart on one trace leave a gap longer than either.
final class TEMCollinearPiecesTests: XCTestCase {
    /// A vertical piece of `length` px (20 points) from y = `top`, at x = `x`, jittered by ±0.2 px.
    func piece(x: Double, top: Double, length: Double = 42, frame: Int) -> [TEMPoint] {
        (0..<20).map { i in TEMPoint(x + 0.2 * sin(Double(frame * 7 + i * 3)), top + Double(i) * length / 19) }
    }

    /// `frames` frames of two pieces (x, top), each jumping 6 px across its chord in the frames
    /// its `jumps` says (jerky glide); a track for each piece over every frame.
    func scene(_ a: (x: Double, top: Double), _ b: (x: Double, top: Double), lengthB: Double = 42,
               jumpsA: (Int) -> Bool, jumpsB: (Int) -> Bool, frames: Int = 40) -> (curves: [[[TEMPoint]]], tracks: [TEMTrack]) {
        var curves: [[[TEMPoint]]] = [], xa = a.x, xb = b.x
        for f in 0..<frames {
            if f > 0, jumpsA(f) { xa += 6 }
            if f > 0, jumpsB(f) { xb += 6 }
            curves.append([piece(x: xa, top: a.top, frame: f), piece(x: xb, top: b.top, length: lengthB, frame: f + 100)])
        }
        let tracks = (0..<2).map { k in
            TEMTrack(id: k, frames: Array(0..<frames), curveIndices: [Int](repeating: k, count: frames),
                     centroids: [], velocities: [], neighbourDistances: [])
        }
        return (curves, tracks)
    }

    /// The geometry alone: from a config with no collinear join (`collinearSeenWhole` off too).
    func geometryOnly() -> TEMTrackerConfig {
        var config = TEMTrackerConfig()
        config.joinCollinearPieces = false
        config.collinearSeenWhole = false
        return config
    }

    func tracks(_ s: (curves: [[[TEMPoint]]], tracks: [TEMTrack]), _ edit: (inout TEMTrackerConfig) -> Void) -> Int {
        var config = geometryOnly()
        edit(&config)
        return TEMAlternatingTracks.joinTurnsLeavingPieces(s.tracks, curves: s.curves, config: config).tracks.count
    }

    /// One line cut 6 px apart (y 55–97 and 103–145), each piece on its own track over 40 frames,
    /// gliding together or standing: one track with the field, the other piece of each frame
    /// handed back to be folded; two without (the pieces' span is twice a piece's length).
    func testOneCutLineInTwoConcurrentPiecesIsOneTrack() {
        for jumps in [{ (f: Int) in f % 5 == 0 }, { (_: Int) in false }] {
            let s = scene((200, 55), (200, 103), jumpsA: jumps, jumpsB: jumps)
            XCTAssertEqual(tracks(s) { _ in }, 2)
            var config = geometryOnly()
            config.joinCollinearPieces = true
            let r = TEMAlternatingTracks.joinTurnsLeavingPieces(s.tracks, curves: s.curves, config: config)
            XCTAssertEqual(r.tracks.count, 1)
            XCTAssertEqual(r.tracks.first?.frames, Array(0..<40))
            XCTAssertEqual(r.leftovers.map(\.frame), Array(0..<40))
            XCTAssertEqual(Set(r.leftovers.map { [$0.curve, $0.keptCurve] }).count, 1)
        }
    }

    /// Two lines of one pile-up, 5–12 px apart across the glide direction and staggered along it
    /// (y 55–97 and 103–145), jumping together every fifth frame: joined by their glide
    /// (`joinConcurrentPieces`, the loss of tem-track15), two by geometry.
    func testTwoParallelPileUpLinesGlidingTogetherStayTwo() {
        for spacing in [5.0, 8, 12] {
            let s = scene((200, 55), (200 + spacing, 103), jumpsA: { $0 % 5 == 0 }, jumpsB: { $0 % 5 == 0 })
            XCTAssertEqual(tracks(s) { $0.joinConcurrentPieces = true }, 1, "spacing \(spacing)")
            XCTAssertEqual(tracks(s) { $0.joinCollinearPieces = true }, 2, "spacing \(spacing)")
        }
    }

    /// Two lines on one trace, 42 and 21 px long, 30 px apart (y 10–52 and 82–103: a gap longer
    /// than the shorter line, within the 42-px line's length so the pair is read at all) stay
    /// two, standing or gliding together; the same at a 6-px gap is one line cut. Two lines
    /// 6 px apart end to end gliding at their own frames stay two.
    func testCollinearLinesWithAWideGapOrGlidingApartStayTwo() {
        for jumps in [{ (f: Int) in f % 5 == 0 }, { (_: Int) in false }] {
            let s = scene((200, 10), (200, 82), lengthB: 21, jumpsA: jumps, jumpsB: jumps)
            XCTAssertEqual(tracks(s) { $0.joinCollinearPieces = true }, 2)
            let cut = scene((200, 10), (200, 58), lengthB: 21, jumpsA: jumps, jumpsB: jumps)
            XCTAssertEqual(tracks(cut) { $0.joinCollinearPieces = true }, 1)
        }
        let apart = scene((200, 55), (200, 103), jumpsA: { $0 % 5 == 0 }, jumpsB: { $0 % 5 == 2 })
        XCTAssertEqual(tracks(apart) { $0.joinCollinearPieces = true }, 2)
    }

    /// The per-frame test on awkward shapes: a bowed line (radius 150 px) cut anywhere, its
    /// points listed either way round, continues; the same pieces meeting at a 30° corner, a
    /// piece shifted 4 px across, and pieces overlapping along the line do not.
    func testContinuesOnAwkwardShapes() {
        func arc(_ from: Double, _ to: Double, count: Int = 20) -> [TEMPoint] {
            (0..<count).map { i in
                let t = from + (to - from) * Double(i) / Double(count - 1)
                return TEMPoint(300 - 150 * cos(t), 100 + 150 * sin(t))
            }
        }
        let cut = 0.05
        for (a, b) in [(arc(-0.3, 0), arc(cut, 0.3)), (arc(-0.3, -0.1), arc(-0.1 + cut, 0.3, count: 31))] {
            XCTAssertTrue(TEMCollinearPieces.continues(a, b, scatterA: 0, scatterB: 0))
            XCTAssertTrue(TEMCollinearPieces.continues(Array(b.reversed()), a, scatterA: 0, scatterB: 0))
            XCTAssertTrue(TEMCollinearPieces.continues(Array(a.reversed()), Array(b.reversed()), scatterA: 0, scatterB: 0))
        }
        let a = arc(-0.3, 0), b = arc(cut, 0.3)
        // Turned 30° about the cut.
        let pivot = b[0], r = 30 * Double.pi / 180
        let corner = b.map { p in
            let d = p - pivot
            return pivot + TEMPoint(d.x * cos(r) - d.y * sin(r), d.x * sin(r) + d.y * cos(r))
        }
        XCTAssertFalse(TEMCollinearPieces.continues(a, corner, scatterA: 0, scatterB: 0))
        XCTAssertFalse(TEMCollinearPieces.continues(a, b.map { $0 + TEMPoint(4, 0) }, scatterA: 0, scatterB: 0))
        XCTAssertFalse(TEMCollinearPieces.continues(a, arc(-0.1, 0.2), scatterA: 0, scatterB: 0))
        // A measured scatter widens the tolerance: the 4 px shift passes at 0.2 rad.
        XCTAssertTrue(TEMCollinearPieces.continues(a, b.map { $0 + TEMPoint(4, 0) }, scatterA: 0.2, scatterB: 0.2))
    }

    /// The tangent scatter of a track's own curves: still curves give ~0, curves whose end turns
    /// by ±0.05 rad give about that, curves listed either way round the same.
    func testTangentScatterIsTheTracksOwn() {
        let still = (0..<20).map { piece(x: 200, top: 55, frame: $0 % 1) }
        XCTAssertEqual(TEMCollinearPieces.tangentScatter(still), 0, accuracy: 1e-9)
        let turning = (0..<40).map { f -> [TEMPoint] in
            let r = f % 2 == 0 ? 0.05 : -0.05
            let c = (0..<20).map { i in TEMPoint(200 + sin(r) * Double(i) * 2, 55 + cos(r) * Double(i) * 2) }
            return f % 3 == 0 ? c.reversed() : c
        }
        // Turns of 0.1 rad between sightings: 1.4826 · 0.1 / √2.
        XCTAssertEqual(TEMCollinearPieces.tangentScatter(turning), 1.4826 * 0.1 / 2.0.squareRoot(), accuracy: 1e-6)
    }

    /// The binomial tail against a naive sum at n = 10, 40 and 1,000.
    func testSignificantAgainstTheBinomialTail() {
        func tail(_ k: Int, _ n: Int, _ p: Double) -> Double {
            var s = 0.0
            for i in k...n {
                var c = 1.0
                for j in 0..<i { c *= Double(n - j) / Double(i - j) }
                s += c * pow(p, Double(i)) * pow(1 - p, Double(n - i))
            }
            return s
        }
        for (n, p) in [(10, 0.01), (40, 0.05), (40, 0.3), (1000, 0.05)] {
            for k in [1, 2, 3, 5, 8, 10, 20, 40, 70, 90] where k <= n {
                XCTAssertEqual(TEMCollinearPieces.significant(k, of: n, rate: p), tail(k, n, p) < 0.01, "k \(k) n \(n) p \(p)")
            }
        }
        XCTAssertFalse(TEMCollinearPieces.significant(0, of: 10, rate: 0.01))
        XCTAssertFalse(TEMCollinearPieces.significant(10, of: 10, rate: 1))
    }

    func testTheFieldReadsAndIsOnByDefault() throws {
        XCTAssertTrue(TEMTrackerConfig().joinCollinearPieces)
        XCTAssertFalse(try JSONDecoder().decode(TEMTrackerConfig.self, from: Data(#"{"joinCollinearPieces":false}"#.utf8))
            .joinCollinearPieces)
    }
}
