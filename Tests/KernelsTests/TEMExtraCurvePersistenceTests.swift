import XCTest
@testable import Kernels

/// The extra seeds' curves kept only where a curve lay in the previous frame
/// (`TEMDetectorConfig.extraCurvePersistence`, `ExtraCurvePersistence`).
final class TEMExtraCurvePersistenceTests: XCTestCase {
    /// The first 12 frames of medium draw 30 (`TEMSynthParams.randomized`: dark lines, slip
    /// traces; docs/tem.md, "Extra curves that persist"): `video13`'s extra seeds add true points
    /// of its faint lines and false curves, pieces of its slip traces and clutter traced in one
    /// frame and not the one before (measured when written: false curves `video5` / `video13` /
    /// `video20` 16 / 20 / 17, true points within 2 px 12345 / 12419 / 12419). `video20` drops most
    /// of the added false curves and keeps the added true points.
    func testTheFalseCurvesTheExtraSeedsAddAreDroppedTheirTruePointsKept() {
        let frames = 12
        let params = TEMSynthParams.randomized(.medium, seed: 30, frames: frames)
        let synth = TEMSynthesizer(params: params)
        let w = params.width, h = params.height
        var detectors = [TEMDetector(config: .video5), TEMDetector(config: .video13), TEMDetector(config: .video20)]
        var falseCurves = [0, 0, 0], truePoints = [0, 0, 0]
        for f in 0..<frames {
            let img = synth.frame8(f).map { Float($0) / 255 }
            let truth = synth.truth[f].flatMap { TEMPolyline.resample($0.points, spacing: 1) }
            let truthGrid = PointGrid(synth.truth[f].flatMap { TEMPolyline.resample($0.points, spacing: 0.25) }, cell: 2)
            for k in detectors.indices {
                let curves = detectors[k].detect(img, width: w, height: h)
                // False: most of its points more than 2 px from every true line (the evaluator's tolerance).
                for c in curves {
                    let pts = TEMPolyline.resample(c.points, spacing: 1)
                    if 2 * pts.filter({ !truthGrid.hasPoint(within: 2, of: $0) }).count >= pts.count { falseCurves[k] += 1 }
                }
                let grid = PointGrid(curves.flatMap { TEMPolyline.resample($0.points, spacing: 0.5) }, cell: 2)
                truePoints[k] += truth.filter { grid.hasPoint(within: 2, of: $0) }.count
            }
        }
        print("medium draw 30, \(frames) frames: false curves video5 / video13 / video20 \(falseCurves), true points found \(truePoints)")
        XCTAssertGreaterThan(falseCurves[1], falseCurves[0] + 1, "video13 must add false curves (else this test shows nothing)")
        XCTAssertGreaterThan(truePoints[1], truePoints[0] + 30, "video13's extra seeds must add true points (else this test shows nothing)")
        XCTAssertLessThanOrEqual(falseCurves[2], falseCurves[0] + (falseCurves[1] - falseCurves[0]) / 2,
                                 "video20 kept most of the false curves the extra seeds add")
        XCTAssertGreaterThanOrEqual(truePoints[2] - truePoints[0], 9 * (truePoints[1] - truePoints[0]) / 10,
                                    "video20 lost the true points the extra seeds add")
    }

    /// Hand-built curves on an awkward 61 × 47 frame: the previous frame's curve, moved by the
    /// shift, persists; one lying beside it beyond the reach, or only partly on it, does not;
    /// nothing persists without a previous frame, after a polarity change or a reset.
    func testACurvePersistsWhereMostOfItLayAfterTheShift() {
        let w = 61, h = 47
        var p = ExtraCurvePersistence()
        let before = (0...40).map { TEMPoint(8 + Double($0), 10 + 0.5 * Double($0)) }
        let moved = before.map { $0 + TEMPoint(3, -2) }
        XCTAssertFalse(p.persists(moved, shift: (3, -2), reach: 1, width: w, height: h, bright: false), "no previous frame")
        p.remember([before], width: w, height: h, bright: false)
        XCTAssertTrue(p.persists(moved, shift: (3, -2), reach: 1, width: w, height: h, bright: false))
        XCTAssertFalse(p.persists(moved, shift: (0, 0), reach: 1, width: w, height: h, bright: false), "the shift must be applied")
        XCTAssertTrue(p.persists(moved, shift: (0, 0), reach: 3, width: w, height: h, bright: false), "within a wider reach")
        // 6 px below along a slope of 1/2: ≥ 4 px (Chebyshev) from it everywhere.
        let beside = moved.map { $0 + TEMPoint(0, 6) }
        XCTAssertFalse(p.persists(beside, shift: (3, -2), reach: 2, width: w, height: h, bright: false))
        // 21 px along the moved curve, then 31 px straight away from it: less than half on it.
        let partly = Array(moved.prefix(20)) + (1...21).map { moved[19] + TEMPoint(0, 1.5 * Double($0)) }
        XCTAssertFalse(p.persists(partly, shift: (3, -2), reach: 1, width: w, height: h, bright: false), "half is not most")
        XCTAssertFalse(p.persists(moved, shift: (3, -2), reach: 1, width: w, height: h, bright: true), "polarity changed")
        XCTAssertFalse(p.persists(moved, shift: (3, -2), reach: 1, width: 60, height: h, bright: false), "frame size changed")
        p.reset()
        XCTAssertFalse(p.persists(moved, shift: (3, -2), reach: 1, width: w, height: h, bright: false), "after a reset")
        // A new previous frame replaces the old one wholly.
        p.remember([beside], width: w, height: h, bright: false)
        XCTAssertTrue(p.persists(beside.map { $0 + TEMPoint(3, -2) }, shift: (3, -2), reach: 1, width: w, height: h, bright: false))
        XCTAssertFalse(p.persists(moved, shift: (0, 0), reach: 1, width: w, height: h, bright: false))
    }
}
