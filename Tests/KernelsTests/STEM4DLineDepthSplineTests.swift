import XCTest
@testable import Kernels

/// The line depth as one smooth curve against all views (`STEM4DLineDepthSpline`) and the
/// lines' own-evidence test (`STEM4DLineSweepStereo.ownEvidence`).
final class STEM4DLineDepthSplineTests: XCTestCase {
    let spline = STEM4DLineDepthSpline(halfWidth: 4, zRange: 40)

    /// The cubic B-spline basis sums to one everywhere (a constant is representable), and the
    /// penalty DᵀD annihilates constants and straight lines (its null space is what REML leaves
    /// unpenalised).
    func testBasisIsAPartitionOfUnityAndPenaltySparesLines() {
        let s = stride(from: 0.0, through: 37.0, by: 0.7).map { $0 }
        for b in STEM4DLineDepthSpline.basis(s, lo: 0, hi: 37, segments: 9) {
            XCTAssertEqual(b.values.sum(), 1, accuracy: 1e-12)
            XCTAssertTrue(b.first >= 0 && b.first + 3 < 12)
        }
        let k = 12, p = STEM4DLineDepthSpline.secondDifferencePenalty(k)
        for beta in [[Double](repeating: 3, count: k), (0..<k).map { 2 - 0.5 * Double($0) }] {
            let pb = (0..<k).map { i in (0..<k).map { p[i * k + $0] * beta[$0] }.reduce(0, +) }
            XCTAssertEqual(pb.map(abs).max()!, 0, accuracy: 1e-12)
        }
    }

    /// REML's smoothing on independent noise, 40 draws each: a straight line is fitted as one
    /// (λ at the top of the range, two degrees of freedom), and a bow of 18 px over 60 points
    /// with σ = 1 px noise is followed with an RMS error under half the noise's, and at least
    /// 25 % under the fixed ±6-point local-linear smoothing's, which flattens its crest.
    func testRemlSmoothsAStraightLineFlatAndFollowsABow() {
        func rms(_ a: [Double], _ b: [Double]) -> Double { (zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(a.count)).squareRoot() }
        let n = 60
        let s = (0..<n).map(Double.init)
        let basis = STEM4DLineDepthSpline.basis(s, lo: 0, hi: Double(n - 1), segments: 20)
        let penalty = STEM4DLineDepthSpline.secondDifferencePenalty(23)
        let bow = (0..<n).map { 18 * sin(Double.pi * Double($0) / Double(n - 1)) }
        let straight = (0..<n).map { -10 + 0.3 * Double($0) }
        var bowSpline: [Double] = [], bowFixed: [Double] = [], straightEdf: [Double] = []
        for seed in 1...40 {
            var rng = SeededRandom(seed: UInt64(seed))
            let noise = (0..<n).map { _ in rng.gaussian() }
            let y = zip(bow, noise).map(+)
            let fit = spline.penalisedFit(y: y, weights: [Double](repeating: 1, count: n), basis: basis, size: 23, penalty: penalty, evaluateAt: basis)!
            bowSpline.append(rms(fit.fitted, bow)); bowFixed.append(rms(STEM4DLineDepthFit.smoothed(y, half: 6), bow))
            let line = spline.penalisedFit(y: zip(straight, noise).map(+), weights: [Double](repeating: 1, count: n), basis: basis, size: 23,
                                           penalty: penalty, evaluateAt: basis)!
            straightEdf.append(line.edf)
        }
        let a = bowSpline.sorted()[20], f = bowFixed.sorted()[20], e = straightEdf.sorted()[20]
        print("bow: median rms spline \(a), fixed \(f); straight line: median edf \(e)")
        XCTAssertLessThan(a, 0.5)
        XCTAssertLessThan(a, 0.75 * f)
        XCTAssertLessThan(e, 2.5)
    }

    /// Each view's noise is measured, not assumed: four 60×50 views of one dark line, the third
    /// with three times the others' pixel noise: σ_3 / σ_others within 10 % of 3, the others
    /// within 10 % of each other.
    func testViewNoiseIsMeasuredPerView() {
        var rng = SeededRandom(seed: 7)
        let rows = 60, cols = 50
        let views = [1.0, 1.0, 3.0, 1.0].map { sd -> STEM4DLineView in
            let pixels = (0..<(rows * cols)).map { j -> Float in
                let x = Double(j % cols), line = 0.3 * exp(-pow(x - 25, 2) / 4)
                return Float(1 - line + 0.02 * sd * rng.gaussian())
            }
            return STEM4DLineView(image: STEM4DImage(rows: rows, cols: cols, pixels: pixels), tx: 0.1, ty: 0)
        }
        let s = STEM4DLineDepthSpline.viewVariances(views).map { $0.squareRoot() }
        let others = (s[0] + s[1] + s[3]) / 3
        print("measured view σ (relative): \(s)")
        XCTAssertEqual(s[2] / others, 3, accuracy: 0.3)
        for v in [0, 1, 3] { XCTAssertEqual(s[v] / others, 1, accuracy: 0.1) }
    }

    /// A line bowing in depth by 18 px through the whole reconstruction at 60 counts (the
    /// same cube as `STEM4DLineSweepTests.testLineBowedInDepthWithAdaptiveSmoothing`): the
    /// per-point depths smoothed over ±6 points leave its crest low (median |Δz| ≈ 1.05 px);
    /// the spline against all views follows it (median under 0.75 px and at least 0.25 px
    /// better), found whole both ways.
    func testBowedLineDepthAsOneCurve() throws {
        let truth = [(0...40).map { k -> [Double] in
            let t = Double(k) / 40
            return [6 + 30 * t, 8 + 26 * t, -15 + 10 * t + 18 * sin(Double.pi * t)]
        }]
        let v = try views(truth, rows: 44, cols: 42, counts: 60)
        var sweep = STEM4DLineSweepStereo(zRange: 40, minLength: 8)
        let points = STEM4DLineEvaluation.score(truth: truth, found: sweep.reconstruct(v).lines)
        sweep.splineDepth = true
        let curve = STEM4DLineEvaluation.score(truth: truth, found: sweep.reconstruct(v).lines)
        print("bowed line: median |Δz| points \(points.medianDepthError), spline \(curve.medianDepthError); coverage \(points.coverage), \(curve.coverage)")
        XCTAssertGreaterThan(curve.coverage, 0.9, "\(curve)")
        XCTAssertLessThan(curve.medianDepthError, 0.75, "\(curve)")
        XCTAssertLessThan(curve.medianDepthError, points.medianDepthError - 0.25, "spline \(curve), points \(points)")
    }

    /// The own-evidence test on a real sweep of two lines at depths −15 and +15: a candidate
    /// lying where a stronger line is in every view (the stronger line itself, shifted 1 px
    /// sideways, at a depth 3 px off — a branch on its flank) has no evidence of its own; the
    /// other true line has, and so does a line crossing the stronger one. With the test on,
    /// the reconstruction still finds both crossing lines.
    func testOwnEvidenceRefusesAFlankAndKeepsACrossingLine() throws {
        let first = straight([4, 20, -15], [44, 22, -15])
        let second = straight([22, 3, 15], [25, 40, 15])
        let v = try views([first, second], rows: 45, cols: 48)
        let normalised = v.map { $0.normalised() }
        let map = STEM4DRidgeSweep(zRange: 40, scales: [1.0, 1.6, 2.5]).run(normalised)
        func curve(_ l: [[Double]], shift: Double = 0) -> [SIMD2<Double>] {
            let dense = (0..<40).map { k -> SIMD2<Double> in
                let t = Double(k) / 39, a = l.first!, b = l.last!
                return SIMD2(a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]) + shift)
            }
            return dense
        }
        let strong = (curve: curve(first), z: [Double](repeating: -15, count: 40), sigma: 1.6)
        let flank = curve(first, shift: 1)
        XCTAssertFalse(STEM4DLineSweepStereo.ownEvidence(flank, z: [Double](repeating: -12, count: 40), field: map.field, scale: 1, sigma: 1.6,
                                                         stronger: [strong]))
        XCTAssertTrue(STEM4DLineSweepStereo.ownEvidence(curve(second), z: [Double](repeating: 15, count: 40), field: map.field, scale: 1, sigma: 1.6,
                                                        stronger: [strong]))
        var sweep = STEM4DLineSweepStereo(zRange: 40, minLength: 8)
        sweep.ownEvidence = true
        let s = STEM4DLineEvaluation.score(truth: [first, second], found: sweep.reconstruct(v).lines)
        for (k, c) in s.lineCoverage.enumerated() { XCTAssertGreaterThan(c, 0.85, "line \(k): \(s)") }
    }

    /// Four views of `lines` (two pairs across each other, φ = 8°), as `STEM4DLineSweepTests` makes them.
    func views(_ lines: [[[Double]]], rows: Int, cols: Int, counts: Double = 30, contrast: Double = 0.4) throws -> [STEM4DLineView] {
        var p = STEM4DSynthParams()
        p.content = .lines; p.scanRows = rows; p.scanCols = cols; p.bfCounts = counts; p.lineContrast = contrast
        p.lineSigma = 1.0; p.seed = 1
        let syn = STEM4DSynthesizer.make(p, lines: lines)
        let bf = syn.truth.brightField
        var views: [STEM4DLineView] = []
        for k in 0..<2 {
            let pair = try STEM4DStereoGeometry.pair(brightField: bf, convergenceMrad: p.convergenceMrad, azimuthDeg: 90 * Double(k),
                                                     detectorRadius: 3, stereoAngleDeg: 8)
            let v = syn.cube.withUnsafeBufferPointer {
                STEM4DVirtualDetectorPlan(detectors: [pair.minus, pair.plus], detector: syn.detector).run(.uint16($0))
            }
            for (m, det) in [pair.minus, pair.plus].enumerated() {
                let t = STEM4DStereoGeometry.viewShift(of: det, brightField: bf, convergenceMrad: p.convergenceMrad,
                                                       shape: syn.detector, meanPattern: v.meanPattern, scanRotationDeg: 0)
                views.append(STEM4DLineView(image: STEM4DImage(rows: rows, cols: cols, pixels: Array(v.image(m))), tx: t.tx, ty: t.ty))
            }
        }
        return views
    }

    func straight(_ a: [Double], _ b: [Double], n: Int = 20) -> [[Double]] {
        (0...n).map { k in let t = Double(k) / Double(n); return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2])] }
    }
}
