import XCTest
@testable import Kernels

/// `temporalMeanFrames` on a generated video, registered as the shard registers it.
final class TEMTemporalVideoTests: XCTestCase {
    /// The first 12 frames (8-bit, as the synthesiser writes its PNG frames) of medium draw 21
    /// (`TEMSynthParams.randomized`: nine faint dark lines, visibility 1.0, gliding — none stays
    /// within 1.5 px of a place for half of 40 frames — and four static slip traces; docs/tem.md,
    /// "The video's other frames"). `video5` finds few of its lines' points; with the mean of 5
    /// registered frames far more, and, with `temporalDropStraight`, none of the curves the mean
    /// adds lies along a slip trace (without it, one of 45 does).
    func testFaintMovingLinesFoundAndTheStaticTracesNotAdded() {
        let frames = 12
        let params = TEMSynthParams.randomized(.medium, seed: 21, frames: frames)
        let synth = TEMSynthesizer(params: params)
        let w = params.width, h = params.height
        var temporal = TEMDetectorConfig.video5
        temporal.temporalMeanFrames = 5
        // Without it one added curve lies along a slip trace (measured when written).
        temporal.temporalDropStraight = true
        var detector = TEMDetector(config: .video5)
        var window = TEMTemporalWindow(config: temporal)
        let video = registeredVideo(synth, frames: frames, detector: &detector)
        let plain = video.map(\.curves)
        var withMean = plain
        for v in video {
            for o in v.pixels.withUnsafeBufferPointer({ window.push($0, width: w, height: h, drift: v.drift, curves: v.curves) }) {
                withMean[o.index] = o.curves
            }
        }
        for o in window.finish() { withMean[o.index] = o.curves }
        var truePoints = (plain: 0, withMean: 0), addedOnTraces = 0, added = 0, truth = 0
        for f in 0..<frames {
            let lines = synth.truth[f].flatMap { TEMPolyline.resample($0.points, spacing: 1) }
            truth += lines.count
            func found(_ curves: [TEMCurve]) -> Int {
                let grid = PointGrid(curves.flatMap { TEMPolyline.resample($0.points, spacing: 0.5) }, cell: 2)
                return lines.filter { grid.hasPoint(within: 2, of: $0) }.count
            }
            truePoints.plain += found(plain[f])
            truePoints.withMean += found(withMean[f])
            // Slip traces lie on the specimen: the stage drift moves them with it.
            let traces = PointGrid(synth.slipTraces.flatMap { TEMPolyline.resample($0, spacing: 0.5).map { $0 + synth.stage.drift[f] } }, cell: 3)
            for c in withMean[f] where !plain[f].contains(c) {
                added += 1
                let pts = TEMPolyline.resample(c.points, spacing: 1)
                if 2 * pts.filter({ traces.hasPoint(within: 3, of: $0) }).count >= pts.count { addedOnTraces += 1 }
            }
        }
        print("medium draw 21, \(frames) frames: true points \(truth), found by video5 \(truePoints.plain), with the mean of 5 \(truePoints.withMean); curves changed or added \(added), along a slip trace \(addedOnTraces)")
        XCTAssertLessThan(Double(truePoints.plain), 0.3 * Double(truth), "video5 must miss most of the lines (else this test shows nothing)")
        XCTAssertGreaterThan(Double(truePoints.withMean), 1.5 * Double(truePoints.plain), "the mean of 5 frames must find many more of the lines' points")
        XCTAssertEqual(addedOnTraces, 0, "a curve along a static slip trace was added")
    }
}
