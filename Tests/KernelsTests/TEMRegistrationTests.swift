import XCTest
@testable import Kernels

/// `TEMRegistration` and its robust refinement: the refined shift is the minimum of the plain
/// Tukey loss, a still stage stores exactly 0 while dislocations move, and a drifting or
/// jittering stage is followed.
final class TEMRegistrationTests: XCTestCase {
    /// A textured frame (Perlin mottling) moved by `shift`, with dark lines at `lines` (x of a
    /// vertical line, px) that move on their own, on a frame of awkward size.
    static func frame(width w: Int, height h: Int, shift: TEMPoint, lines: [Double], seed: UInt64, noise: Double = 0.02) -> [Float] {
        var rng = SeededRandom(seed: seed)
        let margin = 24, bw = w + 2 * margin
        let field = PerlinNoise.field(width: bw, height: h + 2 * margin, wavelength: 18, rng: &rng)
        var noiseRNG = SeededRandom(seed: seed &+ UInt64(1000 * abs(shift.x) + 10 * abs(shift.y)) &+ UInt64(lines.count * 7919))
        return (0..<(w * h)).map { i in
            let x = Double(i % w) + Double(margin) - shift.x, y = Double(i / w) + Double(margin) - shift.y
            let ix = Int(x.rounded(.down)), iy = Int(y.rounded(.down))
            let fx = Float(x - Double(ix)), fy = Float(y - Double(iy))
            let a = field[iy * bw + ix], b = field[iy * bw + ix + 1], c = field[(iy + 1) * bw + ix], e = field[(iy + 1) * bw + ix + 1]
            var v = (a + (b - a) * fx) * (1 - fy) + (c + (e - c) * fx) * fy
            for l in lines { v -= Float(0.8 * exp(-pow(Double(i % w) - l, 2) / 4)) }
            return v + Float(noise * noiseRNG.gaussian())
        }
    }

    /// On odd shapes the Gauss–Newton fit (gradients of the reference, not of the moved frame)
    /// lands within 0.1 bin of the plain loss's minimum, with lines moved between the frames.
    func testRefinementIsTheMinimumOfThePlainLoss() throws {
        for (w, h, shift) in [(203, 157, TEMPoint(3.4, -2.2)), (130, 97, TEMPoint(-1.3, 0.6)), (257, 64, TEMPoint(0.2, 1.7))] {
            let a = Self.frame(width: w, height: h, shift: .zero, lines: [Double(w) * 0.3], seed: UInt64(w))
            let b = Self.frame(width: w, height: h, shift: shift, lines: [Double(w) * 0.6], seed: UInt64(w))
            let ga = a.withUnsafeBufferPointer { TEMDriftRefinement.grid($0, width: w, height: h) }
            let gb = b.withUnsafeBufferPointer { TEMDriftRefinement.grid($0, width: w, height: h) }
            let fit = try XCTUnwrap(TEMDriftRefinement.refine(reference: ga, frame: gb, start: shift.rounded(.toNearestOrEven) / Double(ga.bin)))
            XCTAssertLessThan(TEMPolyline.norm(fit.shift * Double(ga.bin) - shift), 0.25, "\(w)×\(h): \(fit.shift) bins vs \(shift) px")
            let r = try XCTUnwrap(TEMDriftRefinement.residuals(reference: ga, frame: gb, shift: fit.shift + TEMPoint(0.25, 0.25)))
            let bins = (x0: r.x0, x1: r.x1, y0: r.y0, y1: r.y1)
            // The plain loss's minimum on a 0.05-bin grid within ±0.2 bins of the fit.
            var best = (loss: Double.infinity, at: TEMPoint.zero)
            for i in -4...4 {
                for j in -4...4 {
                    let at = fit.shift + TEMPoint(Double(i), Double(j)) * 0.05
                    let loss = TEMDriftRefinement.referenceLoss(reference: ga, frame: gb, shift: at, scale: fit.scale, bins: bins)
                    if loss < best.loss { best = (loss, at) }
                }
            }
            XCTAssertLessThan(TEMPolyline.norm(best.at - fit.shift), 0.11, "\(w)×\(h): fit \(fit.shift), plain loss minimum \(best.at)")
        }
    }

    /// A flat frame constrains no shift: no fit, drift 0.
    func testFlatFrameHasNoFitAndNoDrift() {
        let flat = [Float](repeating: 0.4, count: 96 * 80)
        let g = flat.withUnsafeBufferPointer { TEMDriftRefinement.grid($0, width: 96, height: 80) }
        XCTAssertNil(TEMDriftRefinement.refine(reference: g, frame: g, start: .zero))
        var reg = flat.withUnsafeBufferPointer { TEMRegistration(reference: $0, width: 96, height: 80) }
        XCTAssertEqual(flat.withUnsafeBufferPointer { reg.drift($0) }, .zero)
        let tiny = [Float](repeating: 0.5, count: 20 * 20)
        var small = tiny.withUnsafeBufferPointer { TEMRegistration(reference: $0, width: 20, height: 20) }
        XCTAssertEqual(tiny.withUnsafeBufferPointer { small.drift($0) }, .zero)
    }

    /// Still stage, randomised videos (every nuisance drawn, dislocations gliding, bend contours
    /// creeping): against frame 0 the drift is exactly 0 on nearly every frame and never more
    /// than a pixel (2 of 24 frames move, by ≤ 0.75 px). The correlation peak alone wanders here.
    func testStillStageStoresZeroDrift() {
        var nonzero = 0, total = 0, worst = 0.0, seen: [String] = []
        for seed: UInt64 in [2, 7, 11] {
            var p = TEMSynthParams.randomized(.medium, seed: seed, frames: 30)
            p.nuisance!.driftVelocity = .zero
            p.nuisance!.jitter = 0
            let s = TEMSynthesizer(params: p)
            var reg = s.frame(0).withUnsafeBufferPointer { TEMRegistration(reference: $0, width: p.width, height: p.height) }
            for f in stride(from: 1, to: 30, by: 4) {
                let d = s.frame(f).withUnsafeBufferPointer { reg.drift($0) }
                XCTAssertEqual(TEMPolyline.norm(s.stage.drift[f]), 0, accuracy: 1e-9)
                if d != .zero { nonzero += 1 }
                worst = max(worst, TEMPolyline.norm(d))
                if d != .zero { seen.append("seed \(seed) frame \(f): \(d)") }
                total += 1
            }
        }
        XCTAssertLessThanOrEqual(nonzero, total / 5, "\(nonzero) of \(total) frames moved: \(seen)")
        XCTAssertLessThan(worst, 1.0, "\(seen)")
    }

    /// The easy preset: one pile-up gliding over a nearly featureless background, the stage
    /// still. Unmasked, every block that holds a line is pulled the same way and the estimator
    /// stores a drift on most frames (48 of 60 on 3 December); with the detected curves' bins
    /// left out it must do no worse (the aim, 0 on nearly every frame, is not reached yet).
    func testGlidingLinesOnAFeaturelessBackgroundAreNotAStageMove() {
        let p = TEMSynthParams.preset(.easy, seed: 1, frames: 24)
        let s = TEMSynthesizer(params: p)
        var detector = TEMDetector(config: .video)
        let frames = (0..<24).map { s.frame8($0).map { Float($0) / 255 } }
        let lines = frames.map { detector.detect($0, width: p.width, height: p.height).map(\.points) }
        func moved(_ config: TEMRegistration.Config) -> (count: Int, worst: Double) {
            var reg = frames[0].withUnsafeBufferPointer {
                TEMRegistration(reference: $0, width: p.width, height: p.height, lines: lines[0], config: config)
            }
            let d = (1..<24).map { f in frames[f].withUnsafeBufferPointer { reg.drift($0, lines: lines[f]) } }
            return (d.filter { $0 != .zero }.count, d.map(TEMPolyline.norm).max() ?? 0)
        }
        let masked = moved(TEMRegistration.Config()), plain = moved(.v4)
        print("easy seed 1, frames moved of 23 (max |d| px): masked \(masked), v4 \(plain)")
        // Not solved: on 4 December the masked estimator still moved 16 of 23 frames (≤ 1.57 px),
        // as it does with the true curves masked: the fit follows per-frame noise on this
        // background (docs/tem.md). It must not get worse than v4.
        XCTAssertLessThanOrEqual(masked.count, plain.count, "masked: \(masked), v4: \(plain)")
        XCTAssertLessThan(masked.worst, plain.worst, "masked: \(masked), v4: \(plain)")
        // Without the mask the gliding lines are taken for a stage move.
        XCTAssertGreaterThan(plain.count, 8, "unmasked (v4): \(plain)")
    }

    /// With the curves masked, a drifting randomised video is still followed (the specimen's
    /// texture, not the lines, carries the drift).
    func testMaskedRegistrationFollowsADriftingStage() {
        var p = TEMSynthParams.randomized(.medium, seed: 3, frames: 12)
        p.nuisance!.driftVelocity = TEMPoint(2.2, -1.3)
        p.nuisance!.jitter = 1
        p.nuisance!.driftBound = 30
        let s = TEMSynthesizer(params: p)
        var detector = TEMDetector(config: .video)
        let frames = (0..<12).map { s.frame($0) }
        let lines = frames.map { detector.detect($0, width: p.width, height: p.height).map(\.points) }
        XCTAssertGreaterThan(lines.map(\.count).reduce(0, +), 12, "lines to mask")
        var reg = frames[0].withUnsafeBufferPointer { TEMRegistration(reference: $0, width: p.width, height: p.height, lines: lines[0]) }
        let errors = (1..<12).map { f in TEMPolyline.norm(frames[f].withUnsafeBufferPointer { reg.drift($0, lines: lines[f]) } - s.stage.drift[f]) }
        XCTAssertLessThan(errors.sorted()[errors.count / 2], 1.0, "\(errors)")
        XCTAssertLessThan(errors.max()!, 3, "\(errors)")
    }

    /// The grid's line mask: bins within the radius of a line are 0, others 1; the halved grid
    /// masks a bin when any of its four is masked.
    func testLineMaskCoversTheLineAndHalves() throws {
        let w = 256, h = 192
        let img = Self.frame(width: w, height: h, shift: .zero, lines: [], seed: 9)
        var g = img.withUnsafeBufferPointer { TEMDriftRefinement.grid($0, width: w, height: h) }
        g.maskLines([[TEMPoint(40, 20), TEMPoint(40, 150)]])
        // bin 1 at this size (128 bins over the shorter side): the band is bins 38…42.
        XCTAssertEqual(g.bin, 1)
        for y in 22..<148 {
            for x in 0..<g.width { XCTAssertEqual(g.mask[y * g.width + x], abs(x - 40) <= 2 ? 0 : 1, "bin (\(x), \(y))") }
        }
        let half = try XCTUnwrap(g.halved())
        XCTAssertEqual(half.bin, 2)
        XCTAssertEqual(half.mask[40 * half.width + 19], 0)
        XCTAssertEqual(half.mask[40 * half.width + 21], 0)
        XCTAssertEqual(half.mask[40 * half.width + 23], 1)
    }
}
