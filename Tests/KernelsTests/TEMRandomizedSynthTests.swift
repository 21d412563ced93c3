import XCTest
#if canImport(Foundation)
import Foundation
#endif
@testable import Kernels

/// `ctl synth tem --randomize`: nuisances drawn per video, truth kept in image coordinates.
final class TEMRandomizedSynthTests: XCTestCase {
    func testDeterministicAndRoundTripsThroughJSON() throws {
        let p1 = TEMSynthParams.randomized(.hard, seed: 9, frames: 6), p2 = TEMSynthParams.randomized(.hard, seed: 9, frames: 6)
        XCTAssertEqual(p1, p2)
        XCTAssertNotNil(p1.nuisance)
        XCTAssertEqual(try JSONDecoder().decode(TEMSynthParams.self, from: try JSONEncoder().encode(p1)), p1)
        let a = TEMSynthesizer(params: p1), b = TEMSynthesizer(params: p2)
        XCTAssertEqual(a.truth, b.truth)
        XCTAssertEqual(a.frame8(5), b.frame8(5))
        XCTAssertNotEqual(TEMSynthParams.randomized(.hard, seed: 10, frames: 6), p1)
        // The presets are untouched by the randomisation: no nuisance in their parameters.
        XCTAssertNil(TEMSynthParams.preset(.hard, seed: 9, frames: 6).nuisance)
    }

    func testNuisancesCoverTheirRangesOverDraws() {
        var styles = Set<TEMNuisance.LineStyle>()
        var widths: [Double] = [], pairGaps: [Double] = [], fed = 0, drifting = 0, noisy = 0
        for seed in 1...200 as ClosedRange<UInt64> {
            let p = TEMSynthParams.randomized(.hard, seed: seed, frames: 10)
            let n = p.nuisance!
            styles.insert(n.lineStyle)
            for pile in p.pileups {
                widths += pile.dislocations.map(\.width)
                pairGaps += pile.dislocations.filter(\.pairedWithPrevious).map(\.minGap)
                if pile.motion.exit != nil { fed += 1 }
            }
            if (n.driftVelocity * n.driftVelocity).sum() > 0.25 || n.jitter > 0.5 { drifting += 1 }
            if n.dose > 0 { noisy += 1 }
            XCTAssertEqual(Set(p.pileups.map { Int($0.angleDegrees.rounded()) }).count, 2, "two slip systems cross")
        }
        XCTAssertEqual(styles, Set(TEMNuisance.LineStyle.allCases))
        XCTAssertGreaterThanOrEqual(widths.min()!, 1)
        XCTAssertLessThanOrEqual(widths.max()!, 5)
        XCTAssertGreaterThan(widths.max()!, 4.5)
        XCTAssertLessThan(widths.min()!, 1.5)
        XCTAssertGreaterThanOrEqual(pairGaps.min()!, 3)
        XCTAssertLessThanOrEqual(pairGaps.max()!, 6)
        XCTAssertGreaterThan(pairGaps.count, 100, "most hard draws hold a close pair")
        XCTAssertTrue((40...160).contains(fed), "about half the draws have a source: \(fed)")
        XCTAssertTrue((80...180).contains(drifting), "\(drifting)")
        XCTAssertTrue((80...160).contains(noisy), "\(noisy)")
    }

    func testStageMotionStaysBoundedAndSkipsOrRepeatsFrames() {
        var rng = SeededRandom(seed: 3)
        var n = TEMNuisance.draw(width: 512, height: 512, rng: &rng)
        n.driftVelocity = TEMPoint(2.5, -1.5)
        n.jitter = 2
        n.pDrop = 0.1
        n.pRepeat = 0.1
        var srng = SeededRandom(seed: 4)
        let s = TEMStageMotion(frames: 500, nuisance: n, rng: &srng)
        XCTAssertEqual(s.drift[0], .zero)
        XCTAssertEqual(s.time[0], 0)
        var repeats = 0, drops = 0
        for f in 1..<500 {
            let step = s.time[f] - s.time[f - 1]
            XCTAssertTrue((0...4).contains(step))
            if step == 0 {
                repeats += 1
                XCTAssertEqual(s.source[f], s.source[f - 1])
                XCTAssertEqual(s.drift[f], s.drift[f - 1])
            } else {
                XCTAssertEqual(s.source[f], f)
                XCTAssertLessThanOrEqual(TEMPolyline.norm(s.drift[f] - s.drift[f - 1]), 5 * Double(step) + 1e-9)
            }
            if step > 1 { drops += 1 }
            XCTAssertLessThanOrEqual(max(abs(s.drift[f].x), abs(s.drift[f].y)), n.driftBound + 1e-9)
        }
        XCTAssertGreaterThan(repeats, 20)
        XCTAssertGreaterThan(drops, 20)
    }

    func testRepeatedFramesAreIdenticalAndTruthFollowsTheDrift() throws {
        var p = TEMSynthParams.randomized(.easy, seed: 21, frames: 40)
        p.nuisance!.pRepeat = 0.2
        p.nuisance!.driftVelocity = TEMPoint(1.5, 0.5)
        p.nuisance!.jitter = 0.3
        let s = TEMSynthesizer(params: p)
        let f = try XCTUnwrap((1..<40).first { s.stage.source[$0] != $0 })
        XCTAssertEqual(s.frame8(f), s.frame8(f - 1))
        XCTAssertEqual(s.truth[f], s.truth[f - 1])
        for (k, frame) in s.truth.enumerated() {
            for d in frame {
                XCTAssertTrue(d.points.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.x <= 255 && $0.y <= 255 })
                XCTAssertGreaterThanOrEqual(TEMPolyline.length(d.points), 20)
            }
            // A dislocation that did not glide between two frames moved by the drift exactly.
            guard k > 0 else { continue }
            for d in frame {
                guard let prev = s.truth[k - 1].first(where: { $0.id == d.id }), prev.points.count == d.points.count else { continue }
                let shift = d.points[0] - prev.points[0]
                let rigid = zip(d.points, prev.points).allSatisfy { TEMPolyline.norm($0 - $1 - shift) < 1e-6 }
                if rigid && TEMPolyline.norm(shift) > 1e-9 {
                    XCTAssertEqual(shift.x, s.stage.drift[k].x - s.stage.drift[k - 1].x, accuracy: 1e-6)
                }
            }
        }
    }

    func testSourceEmitsDislocationsThatLeaveTheField() throws {
        let seed = try XCTUnwrap((1...100 as ClosedRange<UInt64>).first {
            TEMSynthParams.randomized(.medium, seed: $0, frames: 2).pileups.last!.motion.exit != nil
        })
        var p = TEMSynthParams.randomized(.medium, seed: seed, frames: 400)
        p.pileups[p.pileups.count - 1].motion.pPin = 0.05
        p.pileups[p.pileups.count - 1].motion.pDepin = 0.9
        p.pileups[p.pileups.count - 1].motion.stepMin = 2
        p.pileups[p.pileups.count - 1].motion.stepMax = 4
        let s = TEMSynthesizer(params: p)
        let fedIDs = Set(p.pileups.last!.dislocations.map(\.id))
        let seen = s.truth.map { Set($0.map(\.id)).intersection(fedIDs) }
        let first = Dictionary(seen.enumerated().flatMap { f, ids in ids.map { ($0, f) } }, uniquingKeysWith: min)
        let last = Dictionary(seen.enumerated().flatMap { f, ids in ids.map { ($0, f) } }, uniquingKeysWith: max)
        XCTAssertGreaterThan(first.values.filter { $0 > 0 }.count, 2, "dislocations enter after frame 0")
        XCTAssertGreaterThan(last.values.filter { $0 < 399 }.count, 1, "dislocations leave before the end")
        for id in first.keys {
            // Once gone, gone: each fed dislocation is seen in one contiguous run of frames.
            XCTAssertEqual(seen[first[id]!...last[id]!].filter { $0.contains(id) }.count, last[id]! - first[id]! + 1)
        }
    }

    func testBrightStyleInvertsPolarity() throws {
        for style in [TEMNuisance.LineStyle.dark, .bright] {
            var p = TEMSynthParams.randomized(.easy, seed: 5, frames: 1)
            p.nuisance!.lineStyle = style
            p.nuisance!.dose = 0
            let s = TEMSynthesizer(params: p)
            let img = s.frame(0)
            var on = 0.0, near = 0.0, count = 0.0
            for d in s.truth[0] {
                for (a, b) in zip(d.points, TEMPolyline.offset(d.points, by: 6)) {
                    on += Double(img[Int(a.y.rounded()) * 256 + Int(a.x.rounded())])
                    near += Double(img[min(255, max(0, Int(b.y.rounded()))) * 256 + min(255, max(0, Int(b.x.rounded())))])
                    count += 1
                }
            }
            XCTAssertGreaterThan(count, 0)
            if style == .bright { XCTAssertGreaterThan(on, near) } else { XCTAssertLessThan(on, near) }
        }
    }

    func testQuantilesAndDrawsReport() {
        XCTAssertEqual(TEMDrawsBenchmark.quantile([3, 1, 2], 0.5), 2)
        XCTAssertEqual(TEMDrawsBenchmark.quantile([0, 10], 0.1), 1, accuracy: 1e-12)
        let draws = TEMDrawsBenchmark.run(.easy, count: 2, frames: 3, threads: 2)
        XCTAssertEqual(draws.map(\.seed), [1, 2])
        let text = TEMDrawsBenchmark.report(draws, perDraw: true)
        XCTAssertTrue(text.contains("easy 2 draws median: precision"), text)
        XCTAssertTrue(text.contains("p10:"), text)
    }

    /// The noise is set from the lines' visibility counting the background's mottle as well as
    /// the camera: the visibility measured on the rendered frame follows the drawn one (within
    /// the approximations of line depth and mottle σ), and the draws span faint to clean videos,
    /// not only faint ones (before, the mottle stayed at full amplitude: median 1.7).
    func testMeasuredVisibilityFollowsTheDrawnOneAndSpansFaintToClean() {
        // Medium: two bands, so frame 0 holds lines even when a band's source has not emitted yet.
        let v = TEMDrawsBenchmark.visibility(.medium, count: 16, frames: 2, threads: 2)
        XCTAssertEqual(v.count, 16)
        let drawn = v.map(\.drawn), measured = v.map(\.measured)
        XCTAssertTrue(measured.allSatisfy { $0 > 0 }, "every draw has lines in frame 0: \(measured)")
        XCTAssertTrue(drawn.allSatisfy { (1.5...12).contains($0) }, "\(drawn)")
        let ratios = zip(measured, drawn).map { $0 / $1 }
        let medianRatio = TEMDrawsBenchmark.quantile(ratios, 0.5)
        XCTAssertTrue((0.6...1.5).contains(medianRatio), "measured / drawn visibility: \(ratios)")
        XCTAssertLessThan(measured.min()!, 2.5, "faint draws remain: \(measured)")
        XCTAssertGreaterThan(measured.max()!, 5, "clean draws exist: \(measured)")
        let text = TEMDrawsBenchmark.visibilityReport(.medium, draws: v, frames: 2, presets: [(1, 4.0)], perDraw: true)
        XCTAssertTrue(text.contains("medium 16 draws of 2 frames, visibility on frame 0: median"), text)
        // The amplitude is a scale about the mean, at most the paper's full range.
        for seed in 1...20 as ClosedRange<UInt64> {
            let n = TEMSynthParams.randomized(.medium, seed: seed, frames: 2).nuisance!
            XCTAssertTrue((0.02...1).contains(n.backgroundAmplitude!), "\(n.backgroundAmplitude!)")
            XCTAssertTrue((0.1...0.9).contains(n.backgroundShare!))
        }
    }
}
