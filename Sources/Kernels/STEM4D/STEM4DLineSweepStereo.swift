import Foundation
/// 3D dislocation lines from any number of views of one scan (the two views of each stereo
/// pair), with no row matching: ridges are found in all views at once by a depth sweep
/// (`STEM4DRidgeSweep`), followed into curves (`STEM4DRidgeTracer`), and each curve's depth
/// is fitted from the shifts of its cross-section between the views along its normal
/// (`STEM4DLineDepthFit`). Points are `[x, y, z]` in scan px, z positive downstream.
public struct STEM4DLineSweepStereo: Sendable, Hashable {
    /// Largest |z|, scan px.
    public var zRange: Double
    /// Shortest line kept, px; nil: two full widths at half maximum of the line's scale
    /// (4.7 σ, at least 4 px) — shorter, a dark mark is a blob, not a line.
    public var minLength: Double?
    /// The sweep's scales, px.
    public var scales: [Double] = [1.0, 1.6, 2.5]
    /// Passes of the depth fit after the first.
    public var refinements = 2
    /// Depth smoothing along each line at the scale the data allow (LPA-ICI,
    /// `STEM4DLineDepthSmoothing`); false: over a fixed ±6 points (the method of 4 December).
    public var adaptiveDepthSmoothing = false
    /// Half-length (points) of the fixed depth smoothing along a line
    /// (`STEM4DLineDepthFit.smoothing`; the job's `line_depth_window`).
    public var depthSmoothingHalf = STEM4DLineDepthFit.defaultSmoothing
    /// After the per-point fit, fit each line's depth again as one smooth curve against every
    /// view's cross-sections at once (`STEM4DLineDepthSpline`: a penalised spline in arc length,
    /// smoothness by REML, views weighted by their measured disparity noise); false: the
    /// per-point depths smoothed along the line (the method of 5 December).
    public var splineDepth = false
    /// Keep a line only if every view shows it where no stronger line already explains that
    /// view (`ownEvidence`): a branch leaving a strong line's end, or bridging two lines' ends,
    /// lives on the other lines' flanks in some view. false: the method of 5 December.
    public var ownEvidence = false
    /// Cut traces where their depth jumps (`STEM4DTraceDepthBreaks`): a trace that ran from one
    /// line into another meeting it in projection at another depth. false: the method of
    /// 5 December.
    public var depthBreaks = false
    /// Whether each view's displacement is measured with its own background level and slope
    /// across the line as nuisance terms (`STEM4DLineDepthFit.backgroundSlope`).
    public enum DepthBackground: String, Sendable, Hashable, CaseIterable {
        /// Against the mean profile's derivative alone (the method of 4 December).
        case off
        /// With the terms on every line (6 December).
        case on
        /// Both fits; the terms kept on a line only where the bias they remove outweighs the
        /// variance they add, both measured on the line (`STEM4DLineDepthBackgroundTest`).
        case auto
    }
    /// See `DepthBackground`.
    public var depthBackground = DepthBackground.off
    /// Weigh each point's cross-sections by the mean profile's derivative pooled over the
    /// depth fit's window (`STEM4DLineDepthFit.pooledWeights`); false: each point's own (the
    /// method of 4 December).
    public var pooledDepthWeights = false
    /// Whether a line's depth is fitted a second time with the other lines found near it (in a
    /// first pass) modelled in each view instead of left under its cross-sections.
    public enum NeighbourModel: String, Sendable, Hashable, CaseIterable {
        /// Each line on the views as they are (the method of 4 December).
        case off
        /// Every other line drawn at its own depth with its own profile and taken out of the
        /// views (`STEM4DLineNeighbours`).
        case subtract
        /// Each view's displacement measured jointly with the neighbours' own
        /// (`STEM4DLineDepthFit.neighbours`).
        case joint
    }
    /// See `NeighbourModel`.
    public var modelNeighbours = NeighbourModel.off

    /// Lines within ±`zRange` px of the focal plane, at least `minLength` px long.
    public init(zRange: Double, minLength: Double?) { self.zRange = zRange; self.minLength = minLength }

    /// The shortest line kept at scale index `k`, px.
    public func minimumLength(scale k: Int) -> Double { minLength ?? max(4, 2 * 2.3548 * scales[k]) }

    /// The 3D lines and, for the report, the sweep map.
    public func reconstruct(_ views: [STEM4DLineView]) -> (lines: [STEM4DLine3D], map: STEM4DRidgeSweep.Map?) {
        guard views.count >= 2, views[0].image.rows >= 3, views[0].image.cols >= 3 else { return ([], nil) }
        let normalised = views.map { $0.normalised() }
        let sweep = STEM4DRidgeSweep(zRange: zRange, scales: scales)
        let map = sweep.run(normalised)
        var tracer = STEM4DRidgeTracer(minLength: scales.indices.map { minimumLength(scale: $0) }.min() ?? 4)
        tracer.minLengthAtScale = scales.indices.map { minimumLength(scale: $0) }
        tracer.scales = scales
        if depthBreaks { tracer.depthBreaks = STEM4DTraceDepthBreaks() }
        var curves = tracer.trace(map)
        if ownEvidence {
            // The test asks each line for evidence the lines before it do not explain: the lines
            // with the most evidence (summed response along them) go first, so a long line is
            // not refused for a short branch traced from a brighter seed.
            curves = curves.map { ($0, $0.points.map(\.score).reduce(0, +)) }.sorted { $0.1 > $1.1 }.map(\.0)
        }
        var out: [STEM4DLine3D] = []
        let debugDepth = ProcessInfo.processInfo.environment["SLIPLINE_STEM4D_LINE_DEBUG"] != nil
        // Cross-sections read from views smoothed at each curve's own scale.
        var smoothedViews: [Int: [STEM4DLineView]] = [:]
        // The curves kept so far (the tracer returns them strongest first), with their depths.
        var kept: [(curve: [SIMD2<Double>], z: [Double], sigma: Double)] = []
        // The depth of one traced curve from `views` (normalised; smoothed here at its scale
        // unless given smoothed).
        func fitDepth(_ traced: (points: [STEM4DRidgeTracer.Point], scale: Int), _ curve: [SIMD2<Double>], smoothed given: [STEM4DLineView]?,
                      neighbours: [STEM4DLineDepthFit.Neighbour] = [], ownWidth: Double = 1)
            -> (z: [Double], posed: [Bool], rms: Double, raw: [Double]) {
            let sigma = scales[traced.scale]
            if smoothedViews[traced.scale] == nil {
                smoothedViews[traced.scale] = normalised.map {
                    STEM4DLineView(image: $0.image.gaussianBlurred(sigma: sigma / 2), tx: $0.tx, ty: $0.ty)
                }
            }
            let views = given ?? smoothedViews[traced.scale]!
            // The fit pools each point's neighbours at depths along the start's slope; the sweep's
            // path is in whole depth steps and flattens a short inclined line, so the fit is
            // repeated from its own result until the slope it pools along is its own.
            var fitter = STEM4DLineDepthFit(halfWidth: (3 * sigma + 1).rounded(), zRange: zRange)
            fitter.adaptiveSmoothing = adaptiveDepthSmoothing
            fitter.smoothing = depthSmoothingHalf
            fitter.pooledWeights = pooledDepthWeights
            fitter.neighbours = neighbours
            fitter.ownWidth = ownWidth
            let path = STEM4DLineDepthFit.smoothed(Self.depthPath(curve, field: map.field, scale: traced.scale), half: 6)
            func depthFit(background: Bool) -> (z: [Double], posed: [Bool], rms: Double, raw: [Double]) {
                fitter.backgroundSlope = background
                var fit = fitter.fit(curve: curve, start: path, views: views, maxChange: map.depthStep)
                for _ in 0..<refinements {
                    fit = fitter.fit(curve: curve, start: fit.z, views: views, maxChange: map.depthStep / 2)
                }
                return fit
            }
            var fit = depthFit(background: depthBackground == .on)
            if depthBackground == .auto {
                let with = depthFit(background: true)
                if STEM4DLineDepthBackgroundTest.keepsTerms(without: fit.raw, with: with.raw, posed: fit.posed,
                                                            block: 2 * fitter.window + 1, span: 2 * fitter.smoothing + 1) {
                    fit = with
                }
            }
            if splineDepth {
                var spline = STEM4DLineDepthSpline(halfWidth: fitter.halfWidth, zRange: zRange)
                spline.window = fitter.window
                spline.block = max(1, Int((4 * sigma / 2).rounded()))
                let refined = spline.fit(curve: curve, start: fit.z, views: views, maxChange: map.depthStep / 2)
                if debugDepth {
                    print("LINEDBG spline", String(format: "log10λ %.2f edf %.1f n %d passes %d move %.3f σ_v", refined.logLambda, refined.edf, curve.count, refined.passes, refined.lastMove),
                          refined.viewSigma.map { String(format: "%.2f", $0) }.joined(separator: " "))
                }
                fit = (refined.z, fit.posed, refined.rms, refined.z)
            }
            return fit
        }
        // With `modelNeighbours`, a first pass: every curve's depth and, for those every view
        // shows there, its profile.
        var neighbours: [(index: Int, curve: [SIMD2<Double>], z: [Double], profile: STEM4DLineNeighbours.Profile)] = []
        if modelNeighbours != .off {
            for (index, traced) in curves.enumerated() {
                let curve = traced.points.map { SIMD2($0.x, $0.y) }
                let sigma = scales[traced.scale]
                let fit = fitDepth(traced, curve, smoothed: nil)
                guard Self.consistent(curve, z: fit.z, field: map.field, scale: traced.scale, sigma: sigma),
                      let profile = STEM4DLineNeighbours.profile(curve: curve, z: fit.z, views: normalised, reach: max(3, 4 * sigma))
                else { continue }
                neighbours.append((index, curve, fit.z, profile))
            }
        }
        for (index, traced) in curves.enumerated() {
            let curve = traced.points.map { SIMD2($0.x, $0.y) }
            let sigma = scales[traced.scale]
            var cleaned: [STEM4DLineView]?
            var joint: [STEM4DLineDepthFit.Neighbour] = [], ownWidth = 1.0
            if modelNeighbours != .off {
                // The other lines whose model reaches this line's cross-sections in some view,
                // taken out of every view before this line's depth is fitted again.
                let own = neighbours.first { $0.index == index }?.z
                    ?? STEM4DLineDepthFit.smoothed(Self.depthPath(curve, field: map.field, scale: traced.scale), half: 6)
                let reach = (3 * sigma + 1).rounded()
                let others = neighbours.filter {
                    $0.index != index && STEM4DLineNeighbours.near(curve, own, $0.curve, $0.z, views: normalised, distance: reach + 3 * $0.profile.width)
                }
                if debugDepth {
                    print("LINEDBG neighbours of \(index) (scale \(traced.scale), \(curve.count) points, z̄ \(String(format: "%.2f", own.reduce(0, +) / Double(own.count)))):",
                          others.map { "\($0.index) A \(String(format: "%.3f", $0.profile.amplitude)) w \(String(format: "%.2f", $0.profile.width)) z̄ \(String(format: "%.2f", $0.z.reduce(0, +) / Double($0.z.count)))" })
                }
                // The fit reads views smoothed at σ/2: the dips' widths there.
                func widened(_ w: Double) -> Double { (w * w + sigma * sigma / 4).squareRoot() }
                ownWidth = widened(neighbours.first { $0.index == index }?.profile.width ?? sigma)
                if modelNeighbours == .joint {
                    joint = others.map { STEM4DLineDepthFit.Neighbour(points: $0.curve, z: $0.z, width: widened($0.profile.width)) }
                } else if !others.isEmpty {
                    cleaned = normalised.map { view in
                        var pixels = view.image.pixels
                        for o in others {
                            let m = STEM4DLineNeighbours.render(curve: o.curve, z: o.z, profile: o.profile, view: view)
                            for i in pixels.indices { pixels[i] += m[i] }
                        }
                        let image = STEM4DImage(rows: view.image.rows, cols: view.image.cols, pixels: pixels)
                        return STEM4DLineView(image: image.gaussianBlurred(sigma: sigma / 2), tx: view.tx, ty: view.ty)
                    }
                }
            }
            let fit = fitDepth(traced, curve, smoothed: cleaned, neighbours: joint, ownWidth: ownWidth)
            if debugDepth {
                let dp = Self.depthPath(curve, field: map.field, scale: traced.scale)
                print("LINEDBG", curve.indices.map { String(format: "(%.1f,%.1f,%.1f,%.1f,%.1f)", curve[$0].x, curve[$0].y, dp[$0], traced.points[$0].z, fit.z[$0]) }.joined(separator: " "))
            }
            // A ghost — one view's copy of a line seen at a wrong depth — is missing in the others.
            guard Self.consistent(curve, z: fit.z, field: map.field, scale: traced.scale, sigma: sigma) else { continue }
            if ownEvidence {
                guard Self.ownEvidence(curve, z: fit.z, field: map.field, scale: traced.scale, sigma: sigma, stronger: kept) else { continue }
                kept.append((curve, fit.z, sigma))
            }
            // Stretches whose depth no pair poses (one pair, line along its baseline) are left out.
            var run: [[Double]] = []
            func flush() {
                if Self.length(run) >= minimumLength(scale: traced.scale) { out.append(STEM4DLine3D(points: run, reprojectionRMS: fit.rms)) }
                run = []
            }
            for (k, p) in curve.enumerated() {
                if fit.posed[k] { run.append([p.x, p.y, fit.z[k]]) } else { flush() }
            }
            flush()
        }
        return (out, map)
    }

    /// The depth along a curve that maximises the summed ridge response over the swept depths,
    /// moving at most one depth step per point (dynamic programming: the best smooth path,
    /// not each point's own best, so noise at low dose does not pull single points away).
    static func depthPath(_ curve: [SIMD2<Double>], field: STEM4DRidgeField, scale k: Int) -> [Double] {
        let zs = field.depths, m = zs.count
        guard !curve.isEmpty, m > 1 else { return curve.map { _ in zs.first ?? 0 } }
        var total = [Double](repeating: 0, count: m)
        var from = [[Int]]()
        for (i, p) in curve.enumerated() {
            let score = zs.map { field.response(p.x, p.y, scale: k, z: $0).score }
            if i == 0 { total = score; continue }
            var next = [Double](repeating: 0, count: m), back = [Int](repeating: 0, count: m)
            for j in 0..<m {
                var b = j
                if j > 0 && total[j - 1] > total[b] { b = j - 1 }
                if j < m - 1 && total[j + 1] > total[b] { b = j + 1 }
                next[j] = total[b] + score[j]; back[j] = b
            }
            total = next; from.append(back)
        }
        var j = total.indices.max { total[$0] < total[$1] }!
        var path = [j]
        for back in from.reversed() { j = back[j]; path.append(j) }
        return path.reversed().map { zs[$0] }
    }

    /// Whether every view shows the line where its depth puts it: each view's mean second
    /// derivative across the line (at the line's scale and fitted depth) is at least half the
    /// views' mean and two standard errors above zero (a view's noise is the sweep's noise of
    /// the averaged views × √views; a line of length L holds about L / 2σ independent samples).
    /// A line seen at a wrong depth through one view alone — a ghost of a strong line — fails.
    static func consistent(_ curve: [SIMD2<Double>], z: [Double], field: STEM4DRidgeField, scale k: Int, sigma: Double) -> Bool {
        let normals = STEM4DLineDepthFit.normals(curve)
        guard !curve.isEmpty else { return false }
        let perView: [Double] = zip(field.hessians[k], field.views).map { h, v in
            let values = curve.indices.map { i -> Double in
                let x = curve[i].x - z[i] * v.tx, y = curve[i].y - z[i] * v.ty
                let ix = min(max(Int(x.rounded()), 0), h.cols - 1), iy = min(max(Int(y.rounded()), 0), h.rows - 1)
                let n = normals[i], j = iy * h.cols + ix
                return n.x * n.x * Double(h.xx[j]) + 2 * n.x * n.y * Double(h.xy[j]) + n.y * n.y * Double(h.yy[j])
            }
            return values.reduce(0, +) / Double(values.count)
        }
        let mean = perView.reduce(0, +) / Double(max(1, perView.count))
        let zMid = z[z.count / 2]
        let step = field.depths.count > 1 ? field.depths[1] - field.depths[0] : 1
        let j = min(max(Int(((zMid - field.depths[0]) / step).rounded()), 0), field.depths.count - 1)
        let viewNoise = Double(field.statistics[k][j].noise) * Double(field.views.count).squareRoot()
        let samples = max(1, length(curve.map { [$0.x, $0.y] }) / (2 * sigma))
        let standardError = viewNoise / samples.squareRoot()
        return mean > 0 && perView.allSatisfy { $0 >= 0.5 * mean && $0 >= 2 * standardError }
    }

    /// Whether every view shows the line by itself: in each view, the points of the line that
    /// lie (as that view sees them) where no `stronger` line's ridge response reaches (farther
    /// than √(σ_o² + σ²) + 0.5 px from it) must hold at least one independent sample (2σ
    /// of length) and their mean second derivative across the line must be two standard errors
    /// above zero (as in `consistent`, with the number of samples those points hold). A true line
    /// crossing a stronger one is covered near the crossing only; a branch that leaves a strong
    /// line's deep end on its flank, or a bridge between two lines' ends, is covered in some view
    /// all along, or shows nothing where it is not: the views explain it without it.
    static func ownEvidence(_ curve: [SIMD2<Double>], z: [Double], field: STEM4DRidgeField, scale k: Int, sigma: Double,
                            stronger: [(curve: [SIMD2<Double>], z: [Double], sigma: Double)]) -> Bool {
        guard !stronger.isEmpty, !curve.isEmpty else { return true }
        let normals = STEM4DLineDepthFit.normals(curve)
        // A dark line found at scale σ_o (≈ its own width, the matched filter) raises the
        // second derivative across it, at this curve's scale σ, only within √(σ_o² + σ²) of its
        // centre (farther out its flank curves the other way); half a pixel for where it lies.
        func reach2(_ o: Double) -> Double { let r = (o * o + sigma * sigma).squareRoot() + 0.5; return r * r }
        let zMid = z[z.count / 2]
        let step = field.depths.count > 1 ? field.depths[1] - field.depths[0] : 1
        let j = min(max(Int(((zMid - field.depths[0]) / step).rounded()), 0), field.depths.count - 1)
        let viewNoise = Double(field.statistics[k][j].noise) * Double(field.views.count).squareRoot()
        for (h, v) in zip(field.hessians[k], field.views) {
            let others: [(p: SIMD2<Double>, r2: Double)] = stronger.flatMap { o in
                o.curve.indices.map { (SIMD2(o.curve[$0].x - o.z[$0] * v.tx, o.curve[$0].y - o.z[$0] * v.ty), reach2(o.sigma)) }
            }
            var own: [Int] = []
            for i in curve.indices {
                let q = SIMD2(curve[i].x - z[i] * v.tx, curve[i].y - z[i] * v.ty)
                if !others.contains(where: { let d = $0.p - q; return (d * d).sum() < $0.r2 }) { own.append(i) }
            }
            guard !own.isEmpty else { return false }
            let ownLength = Double(own.count)  // points are ≈1 px apart along the curve
            guard ownLength >= 2 * sigma else { return false }
            guard own.count < curve.count else { continue }  // nothing near a stronger line: `consistent` has judged it
            var sum = 0.0
            for i in own {
                let x = curve[i].x - z[i] * v.tx, y = curve[i].y - z[i] * v.ty
                let ix = min(max(Int(x.rounded()), 0), h.cols - 1), iy = min(max(Int(y.rounded()), 0), h.rows - 1)
                let n = normals[i], jj = iy * h.cols + ix
                sum += n.x * n.x * Double(h.xx[jj]) + 2 * n.x * n.y * Double(h.xy[jj]) + n.y * n.y * Double(h.yy[jj])
            }
            let mean = sum / ownLength
            let standardError = viewNoise / max(1, ownLength / (2 * sigma)).squareRoot()
            guard mean >= 2 * standardError else { return false }
        }
        return true
    }

    static func length(_ points: [[Double]]) -> Double {
        STEM4DRidgeTracer.length(points.map { SIMD2($0[0], $0[1]) })
    }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s[s.count / 2]
    }
}
