import XCTest
@testable import Kernels

/// The undecided gate asking the plain polarity test pooled over every frame seen
/// (`TEMDetectorConfig.temporalLongPooledGate`, `TEMDetector.gatePolarityTest`).
final class TEMTemporalLongPooledGateTests: XCTestCase {
    /// Static dark lines across a 192² frame (one through each row of 32-px tiles), `depth` deep,
    /// noise σ 0.05, `frames` frames through the plain detector and the window (K = 3, K₂ = 7,
    /// the undecided gate alone at 1 %): the plain curves per frame, the two tests after each
    /// frame, and the K₂ reads.
    private func run(depth: Double, pooled: Bool, frames: Int = 16, seed: UInt64 = 11)
        -> (curves: [[TEMCurve]], checkZ: [Double], gateZ: [Double?], gateSignificant: [Bool], longRead: Int) {
        let w = 192, h = 192
        var rng = SeededRandom(seed: seed)
        var config = TEMDetectorConfig.video22
        config.temporalLongFrames = 7
        config.temporalLongUndecidedAlpha = 0.01
        config.temporalLongByShortMean = false
        config.temporalLongPooledGate = pooled
        var detector = TEMDetector(config: config)
        var window = TEMTemporalWindow(config: config)
        var curves: [[TEMCurve]] = [], checkZ: [Double] = [], gateZ: [Double?] = [], gateSignificant: [Bool] = []
        for _ in 0..<frames {
            var frame = [Float](repeating: 0.5, count: w * h)
            for i in frame.indices {
                let x = Double(i % w), y = Double(i / w)
                // Row 16 + 32 j, bowed by 3 px over the frame.
                let r = (y - 16).truncatingRemainder(dividingBy: 32)
                let d = min(abs(r), abs(32 - r)) - 3 * sin(Double.pi * x / Double(w))
                frame[i] += Float(0.05 * rng.gaussian() - depth * exp(-d * d / 4))
            }
            let found = frame.withUnsafeBufferPointer { detector.detect($0, width: w, height: h) }
            curves.append(found)
            checkZ.append(detector.polarityTest.z)
            gateZ.append(detector.gatePolarityTest?.z)
            var g = detector.gatePolarityTest
            g?.alpha = 0.01
            g?.randomisations = 999
            gateSignificant.append(g?.significant ?? false)
            _ = frame.withUnsafeBufferPointer {
                window.push($0, width: w, height: h, drift: .zero, curves: found,
                            plainPolarity: detector.polarityTest, gatePolarity: detector.gatePolarity)
            }
        }
        _ = window.finish()
        return (curves, checkZ, gateZ, gateSignificant, window.longMeansRead)
    }

    /// Lines 0.07 deep (1.4 σ): the first frame's check alone cannot tell their polarity (|z| 2.2),
    /// so the gate on the checks opens the K₂ mean on its probes (frames 0 and 8); pooled over the
    /// frames the test is significant by the fifth frame, before frame 0 is completed (K₂ = 7:
    /// frames 0–6 are in), and the K₂ mean is never read. The plain curves are the same either
    /// way. Flat frames: neither test decides, and both gates open on the probes.
    func testThePooledTestShutsTheGateBeforeAClearVideosFirstRead() {
        let checks = run(depth: 0.07, pooled: false)
        let pooled = run(depth: 0.07, pooled: true)
        print("lines 0.07: check z \(checks.checkZ.last!), pooled z after frames 1–16 \(pooled.gateZ.map { String(format: "%.1f", $0 ?? .nan) }); K₂ read \(checks.longRead) (checks), \(pooled.longRead) (pooled)")
        XCTAssertNil(checks.gateZ.last!, "off: no pooled test kept")
        XCTAssertFalse(pooled.gateSignificant[0], "one frame cannot tell")
        XCTAssertTrue(pooled.gateSignificant[6], "seven frames can")
        XCTAssertGreaterThanOrEqual(checks.longRead, 2, "the checks' test is undecided: the K₂ mean's probes are read")
        XCTAssertEqual(pooled.longRead, 0, "the pooled test is decided before frame 0 is completed")
        XCTAssertEqual(checks.curves, pooled.curves, "the plain detection is the same")
        let flatChecks = run(depth: 0, pooled: false), flatPooled = run(depth: 0, pooled: true)
        XCTAssertFalse(flatPooled.gateSignificant.contains(true), "no lines: the pooled test stays undecided")
        XCTAssertEqual(flatPooled.longRead, flatChecks.longRead, "flat frames: the gate opens on the probes either way")
        XCTAssertGreaterThanOrEqual(flatPooled.longRead, 2)
    }
}

/// `temporalLongPooledGateSide`, on the window alone with given tests: a pooled test significant
/// on the side the plain frames are read in shuts the gate, one significant on the other side
/// does not.
final class TEMTemporalLongPooledGateSideTests: XCTestCase {
    /// Flat 96² frames with a faint dark line (0.035, noise 0.05: beyond the mean of 3, found by
    /// the mean of 7) through a window with the undecided gate alone on the pooled test, given as
    /// `z²` tiles leaning bright by 1 (z 8: significant) with the plain frames read `readBright`.
    private func longReads(side: Bool, readBright: Bool) -> Int {
        let w = 96, h = 96
        var rng = SeededRandom(seed: 7)
        var config = TEMDetectorConfig.video5
        config.temporalMeanFrames = 3
        config.temporalProbeInterval = 8
        config.temporalLongFrames = 7
        config.temporalLongUndecidedAlpha = 0.01
        config.temporalLongByShortMean = false
        config.temporalLongPooledGate = true
        config.temporalLongPooledGateSide = side
        var pooled = TEMPolarityTest()
        pooled.add(dark: [Double](repeating: 0, count: 64), bright: [Double](repeating: 1, count: 64))
        let undecidedPlain = TEMPolarityTest()
        var window = TEMTemporalWindow(config: config)
        for _ in 0..<16 {
            var frame = [Float](repeating: 0.5, count: w * h)
            for i in frame.indices {
                let x = Double(i % w), y = Double(i / w)
                let d = y - 60 - 0.01 * (x - 48) * (x - 48)
                frame[i] += Float(0.05 * rng.gaussian() - 0.035 * exp(-d * d / 4))
            }
            _ = frame.withUnsafeBufferPointer {
                window.push($0, width: w, height: h, drift: .zero, curves: [], plainPolarity: undecidedPlain,
                            gatePolarity: (pooled, readBright))
            }
        }
        _ = window.finish()
        return window.longMeansRead
    }

    func testThePooledTestShutsTheGateOnlyOnTheSideTheFramesAreReadIn() {
        let readRight = longReads(side: true, readBright: true)
        let readWrong = longReads(side: true, readBright: false)
        let either = longReads(side: false, readBright: false)
        print("pooled test z 8 bright: K₂ read on \(readRight) frames (frames read bright), \(readWrong) (read dark), \(either) (either side shuts)")
        XCTAssertEqual(readRight, 0, "significant on the side read: shut")
        XCTAssertEqual(either, 0, "without the side rule: significant shuts")
        XCTAssertGreaterThan(readWrong, 2, "significant against the reading: open, beyond its probes")
    }
}
