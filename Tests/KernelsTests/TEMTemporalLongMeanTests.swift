import XCTest
@testable import Kernels

/// The longer mean read only where the K-frame mean sees a part the plain curves lack
/// (`TEMDetectorConfig.temporalLongFrames`), and the mean frames read in the polarity of the
/// best evidenced significant test (`temporalPolarityAlpha`, `TEMDetector.otherPolarityZ`).
final class TEMTemporalLongMeanTests: XCTestCase {
    /// A bowed line (no slip-trace rule) `depth` deep (negative: dark) around row `row`.
    private func bowed(_ x: Int, _ y: Int, row: Double) -> Double {
        let d = Double(y) - row - 0.01 * Double((x - 48) * (x - 48))
        return exp(-d * d / 4)
    }

    /// Frames of 96², noise σ `noise`, a dark line A near row 20 of depth `clearDepth` (`clear`;
    /// 2 σ: the mean of 3 sees it, and B is not below the relative-response rule beside it) and a faint dark
    /// line B near row 60 of depth `faint`, pushed with no plain curves through a window with
    /// `long` (0: off); per frame, whether its curves reach B, and the window's counts.
    private func run(long: Int, clear: Bool, faint: Double, noise: Double = 0.05, frames: Int = 16, seed: UInt64 = 7,
                     undecidedAlpha: Double = 0, plainZ: Int? = nil, clearDepth: Double = 0.1,
                     byShortMean: Bool = true)
        -> (onB: [Bool], longRead: Int, longAdding: Int, read: Int) {
        let w = 96, h = 96
        var rng = SeededRandom(seed: seed)
        var config = TEMDetectorConfig.video5
        config.temporalMeanFrames = 3
        config.temporalProbeInterval = 8
        config.temporalLongFrames = long
        config.temporalLongUndecidedAlpha = undecidedAlpha
        config.temporalLongByShortMean = byShortMean
        // The plain frames' polarity test: plainZ² tiles each leaning bright by 1 (z = plainZ).
        let plain = plainZ.map { z in
            var t = TEMPolarityTest()
            t.add(dark: [Double](repeating: 0, count: max(1, z * z)), bright: [Double](repeating: z == 0 ? 0 : 1, count: max(1, z * z)))
            return t
        }
        var window = TEMTemporalWindow(config: config)
        var onB = [Bool](repeating: false, count: frames)
        func mark(_ done: [TEMTemporalWindow.Output]) {
            for o in done {
                onB[o.index] = o.curves.contains { c in
                    let pts = TEMPolyline.resample(c.points, spacing: 1)
                    let near = pts.filter { p in
                        let d = p.y - 60 - 0.01 * (p.x - 48) * (p.x - 48)
                        return abs(d) < 3
                    }.count
                    return near >= 20
                }
            }
        }
        for _ in 0..<frames {
            var frame = [Float](repeating: 0.5, count: w * h)
            for i in frame.indices {
                let y = i / w, x = i % w
                var v = noise * rng.gaussian() - faint * bowed(x, y, row: 60)
                if clear { v -= clearDepth * bowed(x, y, row: 20) }
                frame[i] += Float(v)
            }
            mark(frame.withUnsafeBufferPointer { window.push($0, width: w, height: h, drift: .zero, curves: [], plainPolarity: plain) })
        }
        mark(window.finish())
        return (onB, window.longMeansRead, window.longMeansAdding, window.meansRead)
    }

    /// Where the K = 3 mean adds a part (line A, missing from the plain curves), the mean of 7 is
    /// read too, and finds line B, too faint for the mean of 3, on most frames; without it B is
    /// found on few. Flat frames (and B alone, which the mean of 3 does not see): the K = 3 mean
    /// adds nothing and the mean of 7 is never read — the longer integration only where the
    /// frame's own yield says there is a line below the plain detector's reach.
    func testTheLongerMeanIsReadWhereTheShortOneSeesAndFindsFainterLines() {
        let faint = 0.035
        let off = run(long: 0, clear: true, faint: faint)
        let on = run(long: 7, clear: true, faint: faint)
        let offB = off.onB.filter { $0 }.count, onB = on.onB.filter { $0 }.count
        print("line B (depth \(faint), noise 0.05) found on \(offB) of 16 frames with the mean of 3, \(onB) with the mean of 7 read on \(on.longRead) (adding on \(on.longAdding))")
        XCTAssertEqual(off.longRead, 0)
        XCTAssertEqual(on.longRead, on.read, "A keeps the mean of 3 adding: the mean of 7 is read on every frame the mean of 3 is")
        XCTAssertLessThanOrEqual(offB, 2, "B must be below the mean of 3's reach (else this test shows nothing)")
        XCTAssertGreaterThanOrEqual(onB, 12, "the mean of 7 finds B")
        let flat = run(long: 7, clear: false, faint: 0)
        XCTAssertEqual(flat.longRead, 0, "flat frames: the mean of 3 adds nothing, the mean of 7 is not read")
        XCTAssertEqual(flat.read, 2, "the probes alone (frames 0 and 8)")
        let faintOnly = run(long: 7, clear: false, faint: faint)
        XCTAssertLessThanOrEqual(faintOnly.longRead, 1, "B alone: the mean of 3 sees a part of it on at most one of its probes")
    }

    /// `temporalLongUndecidedAlpha`: B alone (the mean of 3 sees at most a part, once) with a plain polarity
    /// test that cannot decide (no evidence either way): the mean of 7 is read on its own probes,
    /// finds B, and is then read on every frame; with a significant plain test (z 8), or the
    /// option off, only where the mean of 3 saw a part (at most one frame).
    func testTheLongerMeanIsProbedWhileThePlainPolarityCannotDecide() {
        let faint = 0.035
        let undecided = run(long: 7, clear: false, faint: faint, undecidedAlpha: 0.01, plainZ: 0)
        print("B alone, plain test undecided: the mean of 7 read on \(undecided.longRead) frames (adding on \(undecided.longAdding)), B found on \(undecided.onB.filter { $0 }.count) of 16")
        XCTAssertGreaterThanOrEqual(undecided.longRead, 12)
        XCTAssertGreaterThanOrEqual(undecided.onB.filter { $0 }.count, 12)
        XCTAssertLessThanOrEqual(run(long: 7, clear: false, faint: faint, undecidedAlpha: 0.01, plainZ: 8).longRead, 1, "the plain test decides")
        XCTAssertLessThanOrEqual(run(long: 7, clear: false, faint: faint, undecidedAlpha: 0, plainZ: 0).longRead, 1, "off")
        let flat = run(long: 7, clear: false, faint: 0, undecidedAlpha: 0.01, plainZ: 0)
        XCTAssertEqual(flat.longAdding, 0)
        XCTAssertEqual(flat.longRead, 2, "flat frames: its probes alone (frames 0 and 8)")
    }

    /// `temporalLongByShortMean` false: the K₂ mean opened by the undecided polarity gate alone.
    /// Line A keeps the mean of 3 adding; with the plain test decided (z 8) the mean of 7 is then
    /// never read (with both gates it is read wherever the mean of 3 is); with the plain test
    /// undecided it is read beyond its own probes and finds B (9 and 8 of 16 frames here).
    func testTheUndecidedGateAloneIgnoresTheShortMeansYield() {
        let faint = 0.035
        let both = run(long: 7, clear: true, faint: faint, undecidedAlpha: 0.01, plainZ: 8)
        let decided = run(long: 7, clear: true, faint: faint, undecidedAlpha: 0.01, plainZ: 8, byShortMean: false)
        let undecided = run(long: 7, clear: true, faint: faint, undecidedAlpha: 0.01, plainZ: 0, byShortMean: false)
        print("A and B: the mean of 7 read on \(both.longRead) frames with both gates, \(decided.longRead) with the undecided gate alone and the plain test decided, \(undecided.longRead) undecided (B on \(undecided.onB.filter { $0 }.count) of 16)")
        XCTAssertEqual(both.longRead, both.read, "both gates: A opens the mean of 7 wherever the mean of 3 is read")
        XCTAssertGreaterThan(both.longRead, 0)
        XCTAssertEqual(decided.longRead, 0, "the K = 3 gate closed and the plain test decided: no mean of 7")
        XCTAssertGreaterThan(undecided.longRead, 2, "the undecided gate still opens it beyond its probes")
        XCTAssertLessThanOrEqual(decided.onB.filter { $0 }.count, 2, "B is beyond the mean of 3")
        XCTAssertGreaterThanOrEqual(undecided.onB.filter { $0 }.count, 6, "the mean of 7 finds B where the gate opens")
    }

    /// A detector given other readings' polarity evidence reads frames in the side of the larger
    /// |z| — theirs or its own after the frame's check — and its check still adds its evidence:
    /// a dark line with far stronger bright evidence elsewhere is read bright and yields no curve
    /// on it; with weaker bright evidence (z 0.5) it is read dark.
    func testTheBestEvidencedPolarityIsRead() {
        let w = 96, h = 96
        var rng = SeededRandom(seed: 3)
        var frame = [Float](repeating: 0.5, count: w * h)
        for i in frame.indices { frame[i] += Float(0.05 * rng.gaussian() - 0.4 * bowed(i % w, i / w, row: 40)) }
        func onLine(_ curves: [TEMCurve]) -> Bool {
            curves.contains { c in TEMPolyline.resample(c.points, spacing: 1).filter { abs($0.y - 40 - 0.01 * ($0.x - 48) * ($0.x - 48)) < 3 }.count >= 20 }
        }
        var own = TEMDetector(config: .video5)
        XCTAssertTrue(onLine(frame.withUnsafeBufferPointer { own.detect($0, width: w, height: h) }))
        XCTAssertEqual(own.detectedBright, false)
        var told = TEMDetector(config: .video5)
        told.otherPolarityZ = 100
        XCTAssertFalse(onLine(frame.withUnsafeBufferPointer { told.detect($0, width: w, height: h) }), "read bright")
        XCTAssertEqual(told.detectedBright, false, "its own decision is kept")
        XCTAssertLessThan(told.polarityTest.z, -1, "its check added the dark evidence")
        var weak = TEMDetector(config: .video5)
        weak.otherPolarityZ = 0.5
        XCTAssertTrue(onLine(frame.withUnsafeBufferPointer { weak.detect($0, width: w, height: h) }), "its own evidence leads")
    }

    /// `temporalPolarityAlpha`: the mean frames are read in the polarity of the window's test
    /// with the largest |z| when it is significant at α. A dark line pushed with no plain curves:
    /// with a plain test strongly bright (z 8, significant at 0.01) the mean reads bright and adds
    /// no curve on the line; with a plain test bright but not significant (z 2) the mean keeps its
    /// own rule and the line is added, as without the option.
    func testTheMeanReadsTheBestEvidencedSignificantPolarity() {
        let w = 96, h = 96, frames = 8
        func run(alpha: Double, plainZ: Int) -> Int {
            var rng = SeededRandom(seed: 5)
            var config = TEMDetectorConfig.video5
            config.temporalMeanFrames = 3
            config.temporalPolarityAlpha = alpha
            var window = TEMTemporalWindow(config: config)
            var plain = TEMPolarityTest()
            // plainZ² tiles each leaning bright by 1: z = plainZ.
            plain.add(dark: [Double](repeating: 0, count: plainZ * plainZ), bright: [Double](repeating: 1, count: plainZ * plainZ))
            var onLine = 0
            func mark(_ done: [TEMTemporalWindow.Output]) {
                for o in done where o.curves.contains(where: { c in
                    TEMPolyline.resample(c.points, spacing: 1).filter { abs($0.y - 40 - 0.01 * ($0.x - 48) * ($0.x - 48)) < 3 }.count >= 20
                }) { onLine += 1 }
            }
            for _ in 0..<frames {
                var frame = [Float](repeating: 0.5, count: w * h)
                for i in frame.indices { frame[i] += Float(0.05 * rng.gaussian() - 0.4 * bowed(i % w, i / w, row: 40)) }
                mark(frame.withUnsafeBufferPointer { window.push($0, width: w, height: h, drift: .zero, curves: [], plainPolarity: plain) })
            }
            mark(window.finish())
            return onLine
        }
        XCTAssertEqual(run(alpha: 0, plainZ: 8), frames, "off: the mean's own polarity, the line on every frame")
        XCTAssertEqual(run(alpha: 0.01, plainZ: 8), 0, "a significantly bright plain test: the mean reads bright")
        XCTAssertEqual(run(alpha: 0.01, plainZ: 2), frames, "a bright lead that is not significant decides nothing")
    }
}
