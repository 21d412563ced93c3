import XCTest
@testable import Kernels

/// The line-stereo kernels on small generated cubes: the Hessian against its plain reference
/// on awkward shapes, and the sweep, tracer and depth fit on lines chosen to be hard (along a
/// baseline, crossing, inclined, on odd scan shapes).
final class STEM4DLineSweepTests: XCTestCase {
    func testHessianMatchesReferenceOnAwkwardShapes() {
        var rng = SeededRandom(seed: 3)
        for (rows, cols) in [(1, 1), (7, 13), (13, 7), (9, 17), (2, 30)] {
            for sigma in [0.8, 1.6, 2.5] {
                let image = STEM4DImage(rows: rows, cols: cols, pixels: (0..<(rows * cols)).map { _ in Float(rng.uniform(0...1)) })
                let fast = STEM4DHessian.compute(image, sigma: sigma), slow = STEM4DHessian.reference(image, sigma: sigma)
                for (a, b) in [(fast.xx, slow.xx), (fast.xy, slow.xy), (fast.yy, slow.yy)] {
                    for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-4, "\(rows)×\(cols) σ \(sigma)") }
                }
            }
        }
    }

    func testHessianOfRampIsZeroAndParabolaIsExact() {
        let rows = 21, cols = 23
        let ramp = STEM4DImage(rows: rows, cols: cols, pixels: (0..<(rows * cols)).map { Float(3 + 0.5 * Double($0 % cols) - 0.25 * Double($0 / cols)) })
        let h = STEM4DHessian.compute(ramp, sigma: 1.5)
        let centre = 10 * cols + 11
        XCTAssertEqual(h.xx[centre], 0, accuracy: 1e-4); XCTAssertEqual(h.yy[centre], 0, accuracy: 1e-4)
        XCTAssertEqual(h.xy[centre], 0, accuracy: 1e-4)
        // A valley x²/2 along x: Lxx = 1, and the ridge normal is x.
        let valley = STEM4DImage(rows: rows, cols: cols, pixels: (0..<(rows * cols)).map { Float(pow(Double($0 % cols) - 11, 2) / 2) })
        let v = STEM4DHessian.compute(valley, sigma: 1.5)
        XCTAssertEqual(v.xx[centre], 1, accuracy: 1e-3)
        let r = STEM4DHessian.ridge(v.xx[centre], v.xy[centre], v.yy[centre])
        XCTAssertEqual(abs(r.nx), 1, accuracy: 1e-4)
    }

    /// Four views of `lines` (two pairs across each other, φ = 8°) from a cube of `rows` × `cols`.
    static func views(_ lines: [[[Double]]], rows: Int, cols: Int, counts: Double = 30, contrast: Double = 0.4,
               pairs: Int = 2, seed: UInt64 = 1) throws -> [STEM4DLineView] {
        var p = STEM4DSynthParams()
        p.content = .lines; p.scanRows = rows; p.scanCols = cols; p.bfCounts = counts; p.lineContrast = contrast
        p.lineSigma = 1.0; p.seed = seed
        let syn = STEM4DSynthesizer.make(p, lines: lines)
        let bf = syn.truth.brightField
        var views: [STEM4DLineView] = []
        for k in 0..<pairs {
            let pair = try STEM4DStereoGeometry.pair(brightField: bf, convergenceMrad: p.convergenceMrad, azimuthDeg: 90 * Double(k),
                                                     detectorRadius: 3, stereoAngleDeg: 8)
            let v = syn.cube.withUnsafeBufferPointer {
                STEM4DVirtualDetectorPlan(detectors: [pair.minus, pair.plus], detector: syn.detector).run(.uint16($0))
            }
            let mean = v.meanPattern
            for (m, det) in [pair.minus, pair.plus].enumerated() {
                let t = STEM4DStereoGeometry.viewShift(of: det, brightField: bf, convergenceMrad: p.convergenceMrad,
                                                       shape: syn.detector, meanPattern: mean, scanRotationDeg: 0)
                views.append(STEM4DLineView(image: STEM4DImage(rows: rows, cols: cols, pixels: Array(v.image(m))), tx: t.tx, ty: t.ty))
            }
        }
        return views
    }

    func straight(_ a: [Double], _ b: [Double], n: Int = 20) -> [[Double]] {
        (0...n).map { k in let t = Double(k) / Double(n); return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2])] }
    }

    func testInclinedLineOnOddScanHasRightDepthAndScale() throws {
        let truth = [straight([6, 5, -20], [30, 33, 20])]
        let v = try Self.views(truth, rows: 37, cols: 35)
        let found = STEM4DLineSweepStereo(zRange: 40, minLength: 8).reconstruct(v).lines
        let s = STEM4DLineEvaluation.score(truth: truth, found: found)
        XCTAssertGreaterThan(s.coverage, 0.9, "\(s)")
        XCTAssertLessThan(s.medianDepthError, 1, "\(s)")
        XCTAssertEqual(s.depthScale, 1, accuracy: 0.08, "depth scale \(s)")
        XCTAssertGreaterThanOrEqual(Double(s.matchedPoints), 0.9 * Double(s.totalPoints), "\(s)")
    }

    func testLineAlongFirstBaselineTakesDepthFromSecondPair() throws {
        let truth = [straight([4, 14, 15], [28, 15, 15])]
        let four = STEM4DLineSweepStereo(zRange: 40, minLength: 8).reconstruct(try Self.views(truth, rows: 31, cols: 33)).lines
        let s = STEM4DLineEvaluation.score(truth: truth, found: four)
        XCTAssertGreaterThan(s.coverage, 0.9, "\(s)")
        XCTAssertLessThan(s.medianDepthError, 1, "\(s)")
        // With only the pair along the line, its depth is not posed: no points rather than wrong ones.
        let two = STEM4DLineSweepStereo(zRange: 40, minLength: 8).reconstruct(try Self.views(truth, rows: 31, cols: 33, pairs: 1)).lines
        XCTAssertTrue(two.isEmpty, "\(two.map(\.points))")
    }

    func testCrossingLinesAtDifferentDepthsAreBothFound() throws {
        let truth = [straight([4, 20, -15], [44, 22, -15]), straight([22, 3, 20], [25, 40, 20])]
        let found = STEM4DLineSweepStereo(zRange: 40, minLength: 8).reconstruct(try Self.views(truth, rows: 45, cols: 48)).lines
        let s = STEM4DLineEvaluation.score(truth: truth, found: found)
        for (k, c) in s.lineCoverage.enumerated() { XCTAssertGreaterThan(c, 0.85, "line \(k): \(s)") }
        XCTAssertLessThan(s.medianDepthError, 1, "\(s)")
    }

    /// LPA-ICI depth smoothing along a line (`STEM4DLineDepthSmoothing`) against the fixed
    /// ±6-point local-linear smoothing, on depths with errors correlated over 7 points (as the
    /// depth fit's pooled windows make them), 40 noise draws each: on a line bowing by 18 px
    /// over 60 points with small errors it follows the bow (the fixed window flattens its
    /// crest), and on a straight line with large errors it averages over longer windows.
    func testAdaptiveDepthSmoothingFollowsBowsAndAveragesNoise() {
        func rms(_ a: [Double], _ b: [Double]) -> Double { (zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(a.count)).squareRoot() }
        func errors(_ truth: [Double], noise: Double, seed: UInt64) -> (fixed: Double, ici: Double) {
            var rng = SeededRandom(seed: seed)
            let white = (0..<(truth.count + 6)).map { _ in rng.gaussian() * noise * 7.0.squareRoot() }
            let z = truth.indices.map { i in truth[i] + (i..<(i + 7)).map { white[$0] }.reduce(0, +) / 7 }
            return (rms(STEM4DLineDepthFit.smoothed(z, half: 6), truth),
                    rms(STEM4DLineDepthSmoothing.smoothed(z, pooled: 3, sigma: noise, fallbackHalf: 6), truth))
        }
        let bow = (0..<60).map { 18 * sin(Double.pi * Double($0) / 59) }
        let straight = (0..<60).map { -10 + 0.3 * Double($0) }
        for (name, truth, noise) in [("bow, small errors", bow, 0.05), ("straight, large errors", straight, 2.0)] {
            var fixed: [Double] = [], ici: [Double] = []
            for seed in 1...40 { let e = errors(truth, noise: noise, seed: UInt64(seed)); fixed.append(e.fixed); ici.append(e.ici) }
            let f = fixed.sorted()[20], a = ici.sorted()[20]
            print("\(name): median rms error fixed \(f), ICI \(a)")
            XCTAssertLessThan(a, 0.8 * f, "\(name): fixed \(f), ICI \(a)")
        }
        // No measured noise: the fixed smoothing, unchanged.
        let short = [1.0, 2, 4, 3, 5, 6, 5, 7]
        XCTAssertEqual(STEM4DLineDepthSmoothing.smoothed(short, pooled: 3, sigma: nil, fallbackHalf: 6), STEM4DLineDepthFit.smoothed(short, half: 6))
    }

    /// A line bowing in depth by 18 px through the whole reconstruction, fixed and adaptive
    /// smoothing: found whole, median depth error under 1.5 px with both, the adaptive one no
    /// worse than the fixed by more than a quarter pixel. Both leave the crest ≈ 1.2 px low at
    /// 60 counts (median 1.05 / 1.11 px): what flattens a bow is upstream of the final
    /// smoothing (the depth fit pools ±3 points at the start's slope, from a sweep path
    /// smoothed over ±6 points) — the next thing for item 2, pinned here.
    func testLineBowedInDepthWithAdaptiveSmoothing() throws {
        let truth = [(0...40).map { k -> [Double] in
            let t = Double(k) / 40
            return [6 + 30 * t, 8 + 26 * t, -15 + 10 * t + 18 * sin(Double.pi * t)]
        }]
        let v = try Self.views(truth, rows: 44, cols: 42, counts: 60)
        var sweep = STEM4DLineSweepStereo(zRange: 40, minLength: 8)
        let fixed = STEM4DLineEvaluation.score(truth: truth, found: sweep.reconstruct(v).lines)
        sweep.adaptiveDepthSmoothing = true
        let ici = STEM4DLineEvaluation.score(truth: truth, found: sweep.reconstruct(v).lines)
        print("bowed line: median |Δz| fixed \(fixed.medianDepthError), ICI \(ici.medianDepthError); coverage \(fixed.coverage), \(ici.coverage)")
        for (what, score) in [("fixed", fixed), ("ICI", ici)] {
            XCTAssertGreaterThan(score.coverage, 0.9, "\(what): \(score)")
            XCTAssertLessThan(score.medianDepthError, 1.5, "\(what): \(score)")
        }
        XCTAssertLessThan(ici.medianDepthError, fixed.medianDepthError + 0.25, "ICI \(ici), fixed \(fixed)")
    }

    /// The signed median depth error of `found` against the single truth line `truth` (points
    /// within 2 px in xy of it, against the nearest of its points).
    static func signedDepthError(_ truth: [[Double]], _ found: [STEM4DLine3D]) -> Double {
        let dense = (1..<truth.count).flatMap { k in (0..<10).map { s -> [Double] in
            let t = Double(s) / 10
            return (0..<3).map { truth[k - 1][$0] + t * (truth[k][$0] - truth[k - 1][$0]) }
        } }
        var errors: [Double] = []
        for p in found.flatMap(\.points) {
            let q = dense.min { hypot($0[0] - p[0], $0[1] - p[1]) < hypot($1[0] - p[0], $1[1] - p[1]) }!
            if hypot(q[0] - p[0], q[1] - p[1]) <= 2 { errors.append(p[2] - q[2]) }
        }
        return errors.isEmpty ? .nan : errors.sorted()[errors.count / 2]
    }

    /// A background sloping differently in each view (by 0.8 % of the level per px, its sign
    /// with the view's tilt) moves the whole line in depth when the displacement is measured
    /// against G′ alone (+0.9 to +1.1 px at 200 counts, three noise draws); with
    /// `depthBackground = .auto` the test finds the shift and keeps the terms (within 0.2 px).
    /// Without the slope it leaves the fit as it was: the depths are those of `.off` exactly.
    func testBackgroundSlopeBetweenViewsIsRemovedWhereItPays() throws {
        let truth = [straight([6, 8, 12], [40, 38, 12], n: 30)]
        for seed: UInt64 in 1...3 {
            for kappa in [0.0, 0.008] {
                var v = try Self.views(truth, rows: 46, cols: 46, counts: 200, seed: seed)
                let tMax = v.map { ($0.tx * $0.tx + $0.ty * $0.ty).squareRoot() }.max()!
                for k in v.indices {
                    let level = Double(v[k].image.pixels.sorted()[v[k].image.pixels.count / 2])
                    let g = kappa * v[k].tx / tMax
                    v[k].image.pixels = v[k].image.pixels.indices.map { v[k].image.pixels[$0] + Float(level * g * (Double($0 % 46) - 23)) }
                }
                var sweep = STEM4DLineSweepStereo(zRange: 40, minLength: 8)
                let off = sweep.reconstruct(v).lines
                sweep.depthBackground = .auto
                let auto = sweep.reconstruct(v).lines
                let eOff = Self.signedDepthError(truth[0], off), eAuto = Self.signedDepthError(truth[0], auto)
                print("seed \(seed) slope \(kappa): signed depth error off \(eOff), auto \(eAuto)")
                if kappa > 0 {
                    XCTAssertGreaterThan(eOff, 0.8, "seed \(seed): the slope should bias the fit without the terms")
                    XCTAssertLessThan(abs(eAuto), 0.2, "seed \(seed)")
                } else {
                    XCTAssertEqual(off.map(\.points), auto.map(\.points), "seed \(seed): no slope, the fit without the terms")
                }
            }
        }
    }

    func testNoiseAloneGivesNoLines() throws {
        let found = STEM4DLineSweepStereo(zRange: 40, minLength: 8).reconstruct(try Self.views([], rows: 40, cols: 40, counts: 5)).lines
        XCTAssertTrue(found.isEmpty, "\(found.count) lines in pure noise")
    }
}
