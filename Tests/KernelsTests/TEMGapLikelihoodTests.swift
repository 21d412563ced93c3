import Kernels
import XCTest

/// Gap closing on one cost scale (`TEMGapLikelihood`, `TEMTrackerConfig.gapLikelihood`): a short
/// gap beats a long one at the same position, the scales are measured on the data, and a faint
/// line whose detections come and go next to a pile-up neighbour stays one track.
final class TEMGapLikelihoodTests: XCTestCase {
    /// A slightly bowed line of `length` px through `centre` along `direction` (unit), 40 points.
    func line(centre: TEMPoint, direction: TEMPoint, length: Double = 120, bow: Double = 3) -> [TEMPoint] {
        let normal = TEMPoint(-direction.y, direction.x)
        return (0..<40).map { i in
            let t = Double(i) / 39 - 0.5
            return centre + direction * (t * length) + normal * (bow * (1 - 4 * t * t))
        }
    }

    func model(speed: Double = 0.5) -> TEMGapLikelihood {
        TEMGapLikelihood(sigmaShape: 0.5, sigma0: 0.5, speed: speed, width: 600, shapeGate: 1.5, span: 1000)
    }

    func testAShortGapIsWorthMoreThanALongOneAtTheSamePosition() {
        let m = model()
        XCTAssertLessThan(m.cost(deviation: 2, residual: 0.3, gap: 2), m.cost(deviation: 2, residual: 0.3, gap: 11))
        XCTAssertLessThan(m.cost(deviation: 0, residual: 0.3, gap: 1), m.cost(deviation: 0, residual: 0.3, gap: 200))
        // A worse shape or position always costs more.
        XCTAssertLessThan(m.cost(deviation: 1, residual: 0.3, gap: 5), m.cost(deviation: 1, residual: 1.0, gap: 5))
        XCTAssertLessThan(m.cost(deviation: 1, residual: 0.3, gap: 5), m.cost(deviation: 4, residual: 0.3, gap: 5))
        // A long gap at a plausible position is still a join (ratio above 1); far off it is not.
        XCTAssertLessThan(m.cost(deviation: 5, residual: 0.4, gap: 60), 0)
        XCTAssertGreaterThan(m.cost(deviation: 4 * m.sigma(gap: 60), residual: 0.4, gap: 60), 0)
    }

    func testScalesAreMeasuredOnTheTracklets() {
        // Lines gliding at 0.8 px/frame along their normals, seen over 20-frame tracklets.
        let curves = (0..<20).map { f in
            (0..<6).map { k in self.line(centre: TEMPoint(100 + 50 * Double(k) + 0.8 * Double(f), 250), direction: TEMPoint(0, 1)) }
        }
        let tracklets = TEMPiecewiseTracking.trackPiece(curves, firstFrame: 0, piece: 0, config: TEMTrackerConfig()).tracklets
        XCTAssertEqual(tracklets.count, 6)
        let m = TEMGapLikelihood.measure(tracklets, shapeGate: 1.5)
        XCTAssertEqual(m.speed, 0.8, accuracy: 0.05)
        XCTAssertEqual(m.sigmaShape, 0.5, accuracy: 1e-9, "exact curves: the floor")
        XCTAssertEqual(m.span, 20)
        XCTAssertGreaterThan(m.width, 250)
    }

    func testAFaintLineWithGapsNextToANeighbourIsOneTrack() {
        // A pile-up of two lines 20 px apart gliding in bursts; the faint one is missed in runs
        // of 3–25 frames and seen as a short fragment now and then, the bright one always seen.
        func glide(_ f: Int) -> Double { (0..<f).reduce(0.0) { s, k in s + ((k / 10) % 3 == 2 ? 0 : 0.6) } }
        var rng: UInt64 = 11
        func next() -> Double { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Double(rng >> 11) / Double(1 << 53) }
        var hidden = Set<Int>(), fragment = Set<Int>()
        var f = 8
        while f < 400 {
            let run = 3 + Int(next() * 23)
            for g in f..<min(400, f + run) { hidden.insert(g) }
            f += run + 15 + Int(next() * 30)
        }
        for f in 0..<400 where !hidden.contains(f) && next() < 0.05 { fragment.insert(f) }
        var curves: [[[TEMPoint]]] = [], truth: [[Int]] = []
        for f in 0..<400 {
            let g = glide(f)
            var frame = [line(centre: TEMPoint(100 + g, 250), direction: TEMPoint(0, 1))]
            var who = [0]
            if !hidden.contains(f) {
                let faint = line(centre: TEMPoint(120 + g, 250), direction: TEMPoint(0, 1))
                frame.append(fragment.contains(f) ? Array(faint[0..<12]) : faint)
                who.append(1)
            }
            if f % 2 == 1 { frame.reverse(); who.reverse() }
            curves.append(frame); truth.append(who)
        }
        // Both linkings keep this video's identities (the default's stitch does too); the test
        // guards the likelihood path against carrying the faint line onto its neighbour.
        var likelihood = TEMTrackerConfig()
        likelihood.gapLikelihood = true
        for config in [TEMTrackerConfig(), likelihood] { for piece in [100, 400] {
            let tracks = TEMPiecewiseTracking.track(curves, framesPerPiece: piece, config: config)
            var idsOf: [Int: Set<Int>] = [:]
            for t in tracks { for (f, c) in zip(t.frames, t.curveIndices) { idsOf[truth[f][c], default: []].insert(t.id) } }
            XCTAssertEqual(idsOf[0]?.count, 1, "piece \(piece): the bright line \(idsOf)")
            XCTAssertEqual(idsOf[1]?.count, 1, "piece \(piece): the faint line \(idsOf)")
            XCTAssertTrue(idsOf[0]!.isDisjoint(with: idsOf[1]!), "piece \(piece)")
        } }
    }
}
