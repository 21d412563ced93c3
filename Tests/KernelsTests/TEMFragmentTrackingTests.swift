import XCTest
@testable import Kernels

/// Pieces of one line joined before linking, the glide-velocity prediction, and the
/// degraded-truth model the tracker is measured with.
final class TEMFragmentTrackingTests: XCTestCase {
    /// A gently bowed line from (100, 50) to (100, 170), x offset `dx`.
    private func line(_ dx: Double, bow: Double = 4) -> [TEMPoint] {
        (0...120).map { i in
            let v = Double(i) / 120
            return TEMPoint(100 + dx + bow * 4 * v * (1 - v), 50 + 120 * v)
        }
    }

    /// Cuts `c` (1 px spacing) at the given point indices, leaving `gap` points out at each cut.
    private func cut(_ c: [TEMPoint], at: [Int], gap: Int) -> [[TEMPoint]] {
        var out: [[TEMPoint]] = [], start = 0
        for a in at + [c.count + gap / 2] {
            out.append(Array(c[start..<min(c.count, a - gap / 2)]))
            start = a + (gap + 1) / 2
        }
        return out
    }

    func testPiecesOfALineJoinButACloseParallelNeighbourDoesNot() {
        let pieces = cut(line(0), at: [35, 80], gap: 6)
        XCTAssertEqual(pieces.count, 3)
        // The neighbour 4 px away overlaps the line's whole span; a crossing line is at 60°.
        let neighbour = line(4)
        let crossing = (0...60).map { TEMPoint(70 + Double($0) * 0.5, 100 + Double($0) * 0.866) }
        let frame = [pieces[2], neighbour, pieces[0], crossing, pieces[1].reversed()]
        let obs = TEMFragmentGrouping.observations(frame)
        XCTAssertEqual(obs.curves.count, 3, "\(obs.members)")
        let joined = obs.members.first { $0.count > 1 }
        XCTAssertEqual(Set(joined ?? []), [0, 2, 4])
        XCTAssertTrue(joined == [0, 4, 2] || joined == [2, 4, 0], "pieces in order along the line: \(joined ?? [])")
        let curve = obs.curves[obs.members.firstIndex { $0.count > 1 }!]
        // One line end to end: consecutive points never jump back.
        let ys = curve.map(\.y)
        XCTAssertTrue(zip(ys, ys.dropFirst()).allSatisfy { $0 < $1 } || zip(ys, ys.dropFirst()).allSatisfy { $0 > $1 })
    }

    func testDetectorOutputJoinsThePiecesOfALineIntoOneCurve() {
        let pieces = cut(line(0), at: [60], gap: 8)
        func curve(_ p: [TEMPoint], response: Double) -> TEMCurve {
            TEMCurve(points: p, lengthPx: TEMPolyline.length(p), meanCurvature: 0.01, maxCurvature: 0.02, meanResponse: response)
        }
        let neighbour = curve(line(5), response: 9)
        let joined = TEMFragmentGrouping.joinedCurves([curve(pieces[0], response: 2), neighbour, curve(pieces[1], response: 4)], samples: 50)
        XCTAssertEqual(joined.count, 2, "the two pieces make one curve; the parallel neighbour stays apart")
        XCTAssertTrue(joined.contains(neighbour), "a curve that continues no other is unchanged")
        let line = joined.first { $0 != neighbour }!
        XCTAssertEqual(line.points.count, 50)
        // The joined line spans the whole drawn line, gap bridged: 120 px long and more.
        XCTAssertEqual(line.lengthPx, TEMPolyline.length(line.points), accuracy: 1)
        XCTAssertGreaterThan(line.lengthPx, 119)
        XCTAssertEqual(line.meanResponse, 3, accuracy: 0.2, "response weighted by the pieces' lengths")
        // Equally spaced along the line.
        let steps = zip(line.points, line.points.dropFirst()).map { TEMPolyline.dist($0, $1) }
        XCTAssertLessThan((steps.max() ?? 0) - (steps.min() ?? 0), 0.2)
    }

    func testAlignedButOverlappingCurvesDoNotJoin() {
        // Two pieces that share 20 px of span (a line and its shadow) are not end to end.
        let a = Array(line(0, bow: 0)[0..<70]), b = Array(line(0.8, bow: 0)[50..<121])
        XCTAssertEqual(TEMFragmentGrouping.observations([a, b]).curves.count, 2)
    }

    /// A close pair 5 px apart gliding 3 px/frame together, each line cut into 1–3 pieces at
    /// random places in every frame, pieces shuffled: two tracks, each piece on its own line's.
    func testCutCloseLinesGlidingFastKeepTheirIdentities() {
        var rng = SeededRandom(seed: 11)
        var curves: [[[TEMPoint]]] = [], labels: [[Int]] = []
        for f in 0..<60 {
            var frame: [[TEMPoint]] = [], lab: [Int] = []
            for k in 0..<2 {
                let c = line(3 * Double(f) + 5 * Double(k), bow: 3)
                let n = Int(rng.uniform(0...2.99))
                let at = (0..<n).map { _ in Int(rng.uniform(20...100)) }.sorted()
                let pieces = n == 2 && at[1] - at[0] < 15 ? [c] : cut(c, at: at, gap: 4)
                for p in pieces where p.count >= 5 { frame.append(p); lab.append(k) }
            }
            let order = Array(frame.indices).shuffled(using: &rng)
            curves.append(order.map { frame[$0] })
            labels.append(order.map { lab[$0] })
        }
        let tracks = TEMTracker.track(curves)
        XCTAssertEqual(tracks.count, 2, "one track per line")
        for t in tracks {
            XCTAssertEqual(Set(zip(t.frames, t.curveIndices).map { labels[$0][$1] }).count, 1, "track \(t.id) mixes the lines")
        }
        XCTAssertEqual(tracks.reduce(0) { $0 + $1.frames.count }, curves.reduce(0) { $0 + $1.count }, "every piece tracked")
        // The same in pieces of 25 frames, linked as the hierarchical merge links them.
        let pieced = TEMPiecewiseTracking.track(curves, framesPerPiece: 25, config: TEMTrackerConfig())
        XCTAssertEqual(pieced.count, 2)
        // With pieces absorbed by the track holding their line: no piece goes to the neighbour.
        var absorb = TEMTrackerConfig()
        absorb.absorbPieces = true
        absorb.absorbedEndsStayEnds = true
        for tracks in [TEMTracker.track(curves, config: absorb), TEMPiecewiseTracking.track(curves, framesPerPiece: 25, config: absorb)] {
            XCTAssertEqual(tracks.count, 2, "absorbing: one track per line")
            for t in tracks {
                XCTAssertEqual(Set(zip(t.frames, t.curveIndices).map { labels[$0][$1] }).count, 1, "absorbing: track \(t.id) mixes the lines")
            }
            XCTAssertEqual(tracks.reduce(0) { $0 + $1.frames.count }, curves.reduce(0) { $0 + $1.count }, "absorbing: every piece tracked")
        }
        // Pieces linked one by one make a track per piece.
        var unjoined = TEMTrackerConfig()
        unjoined.joinFragments = false
        XCTAssertGreaterThan(TEMTracker.track(curves, config: unjoined).count, 2)
    }

    func testEvaluationCountsATracksPiecesInAFrameAsOneDetection() {
        let truth = (0..<3).map { f in [TEMTruthDislocation(id: 0, pileup: 0, points: line(Double(f)))] }
        let detected = (0..<3).map { f in cut(line(Double(f)), at: [60], gap: 4) }
        let one = TEMTrack(id: 0, frames: [0, 0, 1, 1, 2, 2], curveIndices: [0, 1, 0, 1, 0, 1], centroids: [], velocities: [],
                           neighbourDistances: [])
        let e = TEMEvaluator.evaluate(truth: truth, detected: detected, tracks: [one])
        XCTAssertEqual(e.idf1, 1, accuracy: 1e-12)
        XCTAssertEqual(e.tracking.mota, 1, accuracy: 1e-12)
        // Each piece its own track: one of the two is a false tracked curve in every frame.
        let split = [0, 1].map { c in
            TEMTrack(id: c, frames: [0, 1, 2], curveIndices: [c, c, c], centroids: [], velocities: [], neighbourDistances: [])
        }
        let s = TEMEvaluator.evaluate(truth: truth, detected: detected, tracks: split)
        XCTAssertLessThan(s.idf1, 0.7)
        XCTAssertEqual(s.tracking.falsePositives, 3)
    }

    func testDegradationIsReproducibleAndDegrades() {
        let params = TEMSynthParams.randomized(.medium, seed: 3, frames: 30)
        let synth = TEMSynthesizer(params: params)
        var model = TEMDetectionDegradation.draw(seed: 3)
        model.pFragment = 1
        let a = model.degrade(synth.truth, stage: synth.stage, width: params.width, height: params.height, seed: 3)
        let b = model.degrade(synth.truth, stage: synth.stage, width: params.width, height: params.height, seed: 3)
        XCTAssertEqual(a.curves, b.curves)
        XCTAssertEqual(a.drift, b.drift)
        let lines = synth.truth.reduce(0) { $0 + $1.count }
        XCTAssertGreaterThan(a.curves.reduce(0) { $0 + $1.count }, lines, "every line cut into pieces")
        for f in a.curves.indices where synth.stage.source[f] != f {
            XCTAssertEqual(a.curves[f], a.curves[synth.stage.source[f]], "a repeated frame repeats its detections")
        }
        let errors = zip(a.drift, synth.stage.drift).map { TEMPolyline.norm($0 - $1) }
        XCTAssertLessThan(errors.max() ?? 0, 8 * model.registrationError + 1e-9)
    }
}
