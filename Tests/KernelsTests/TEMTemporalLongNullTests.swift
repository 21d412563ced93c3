import XCTest
@testable import Kernels

/// `TEMDetectorConfig.temporalLongNullTest`: the K₂ mean's curves must beat every curve its
/// opposite polarity traces on the recent K₂ means (`CurveNullTest`). A static texture, below
/// each frame's noise but cleared of it by the mean of 7, is traced by the K₂ mean as curves
/// of both polarities alike; a faint line is of one polarity only.
final class TEMTemporalLongNullTests: XCTestCase {
    /// A bowed dark line of unit depth around row `row` (no slip-trace rule).
    private func bowed(_ x: Int, _ y: Int, row: Double) -> Double {
        let d = Double(y) - row - 0.01 * Double((x - 48) * (x - 48))
        return exp(-d * d / 4)
    }

    /// 96² frames, noise σ 0.05, a static texture (four short arcs, two dark, two bright,
    /// `texture` deep, in the upper half) and a faint dark line B near row 60 of depth `faint`, pushed with no
    /// plain curves and a plain polarity test that cannot decide (the undecided gate alone,
    /// K = 3, K₂ = 7). Per frame: whether its curves reach B, and whether they hold a part away
    /// from B (the texture's: there is nothing else).
    private func run(nullTest: Bool, faint: Double, texture: Double, frames: Int = 16,
                     seed: UInt64 = 11) -> (onB: Int, elsewhere: Int, longRead: Int) {
        let w = 96, h = 96
        var rng = SeededRandom(seed: seed)
        var config = TEMDetectorConfig.video5
        config.temporalMeanFrames = 3
        config.temporalProbeInterval = 8
        config.temporalLongFrames = 7
        config.temporalLongUndecidedAlpha = 0.01
        config.temporalLongByShortMean = false
        config.temporalLongNullTest = nullTest
        // The texture: short static arcs, two dark and two bright, `texture` deep.
        let arcs: [(row: Double, centre: Double, sign: Double)] = [(12, 30, -1), (22, 66, 1), (32, 30, 1), (42, 66, -1)]
        var field = [Double](repeating: 0, count: w * h)
        for i in field.indices {
            let x = Double(i % w), y = Double(i / w)
            for a in arcs where abs(x - a.centre) <= 24 {
                let d = y - a.row - 0.01 * (x - a.centre) * (x - a.centre)
                field[i] += a.sign * texture * exp(-d * d / 4)
            }
        }
        var plain = TEMPolarityTest()
        plain.add(dark: [0], bright: [0])
        var window = TEMTemporalWindow(config: config)
        var onB = [Bool](repeating: false, count: frames), elsewhere = onB
        func onLine(_ p: TEMPoint) -> Bool { abs(p.y - 60 - 0.01 * (p.x - 48) * (p.x - 48)) < 4 }
        func mark(_ done: [TEMTemporalWindow.Output]) {
            for o in done {
                let pts = o.curves.map { TEMPolyline.resample($0.points, spacing: 1) }
                onB[o.index] = pts.contains { c in c.filter(onLine).count >= 20 }
                elsewhere[o.index] = pts.contains { c in c.filter { !onLine($0) }.count >= 20 }
            }
        }
        for _ in 0..<frames {
            var frame = [Float](repeating: 0.5, count: w * h)
            for i in frame.indices {
                frame[i] += Float(0.05 * rng.gaussian() - faint * bowed(i % w, i / w, row: 60) + field[i])
            }
            mark(frame.withUnsafeBufferPointer { window.push($0, width: w, height: h, drift: .zero, curves: [], plainPolarity: plain) })
        }
        mark(window.finish())
        return (onB.filter { $0 }.count, elsewhere.filter { $0 }.count, window.longMeansRead)
    }

    /// Static arcs of both polarities 0.05 deep (invisible to the K = 3 mean's probes, clear in
    /// the mean of 7) beside line B (0.05): without its null the K₂ mean adds the dark arcs on
    /// every frame; with it (the bright arcs its null), on none, and B is still found on most
    /// frames. The arcs alone: fewer frames with a texture part (the null's rank test, with the
    /// few reads it has: about half of the dark arcs' reads beat the bright arcs).
    func testTheLongerMeansNullDropsTextureAndKeepsALine() {
        let off = run(nullTest: false, faint: 0.05, texture: 0.05)
        let on = run(nullTest: true, faint: 0.05, texture: 0.05)
        let aloneOff = run(nullTest: false, faint: 0, texture: 0.05)
        let aloneOn = run(nullTest: true, faint: 0, texture: 0.05)
        print("arcs 0.05 and B 0.05: texture parts on \(off.elsewhere) of 16 frames without the K₂ null (B on \(off.onB), K₂ read \(off.longRead)), \(on.elsewhere) with it (B on \(on.onB), read \(on.longRead)); arcs alone \(aloneOff.elsewhere) / \(aloneOn.elsewhere)")
        XCTAssertGreaterThanOrEqual(off.elsewhere, 12, "the K₂ mean traces the arcs (else this test shows nothing)")
        XCTAssertLessThanOrEqual(on.elsewhere, off.elsewhere / 4, "its null drops the arcs' curves")
        XCTAssertGreaterThanOrEqual(on.onB, 8, "the line beats the arcs' null")
        XCTAssertLessThan(aloneOn.elsewhere, aloneOff.elsewhere)
    }
}
