import Foundation

/// How a tilt boundary found by `NanodiffBoundaryFinder` enters the model once found.
///
/// The line search tests half-plane steps (a position is on one side or the other), but the
/// beam has a width: a position whose beam straddles the boundary measures a mixture of both
/// sides, so within about a beam width of the line the measured tilt lies between the two
/// levels. A sharp step column leaves those positions with residuals of up to the whole step —
/// hundreds of times the Poisson error for a strong boundary (docs/nanodiff.md, session 6) —
/// lined up along the boundary: they inflate the residuals' correlation area κ that corrects the
/// line's own F, and once the line is in the model they are what the next search finds, a
/// second line beside the first.
public enum NanodiffBoundaryStep: String, Sendable, CaseIterable, Codable {
    /// Session 3–5: the found line enters the model as the same sharp half-plane step it was
    /// tested as.
    case sharp
    /// The found line enters the model (for κ and for the searches after it) as the blurred step
    /// Φ((s − o)/w) that fits best: s the distance along the line's normal, the offset o and
    /// angle refined within half a grid cell of the line found, the blur w ∈ {0, 0.1, …, 0.5}
    /// steps (w = 0 the sharp step) — a Gaussian beam's profile across a straight edge. The test
    /// statistic is still the sharp line's F, so the scan over lines keeps its calibration;
    /// only what the model leaves after it changes.
    case blurred

    /// What jobs use (session 6: with the local misfit it cut the spurious lines ninefold over
    /// 200 draws in two seed ranges, docs/nanodiff.md).
    public static let standard: NanodiffBoundaryStep = .blurred
}

/// The refinement of a found line into the blurred step that fits best (`NanodiffBoundaryStep`).
enum NanodiffBlurredStep {
    /// Blur widths tried (scan steps): a Gaussian beam's σ of up to half a step (FWHM 1.2 steps).
    static let widths: [Double] = [0, 0.1, 0.2, 0.3, 0.4, 0.5]
    /// Angle offsets tried (degrees): half the line grid's 2° either side, every 0.5°.
    static let angleOffsets: [Double] = [-1, -0.5, 0, 0.5, 1]
    /// Offset shifts tried (steps): half the grid's half step either side, every 0.05.
    static let offsetShifts: [Double] = (0...10).map { Double($0) * 0.05 - 0.25 }

    /// The step column h (one value per fitted position, in [0, 1]) near `line` whose joint F
    /// against the null `fits` is largest; the sharp column of `line` itself when nothing beats it.
    static func column(line: LineGrid.Line, lines: LineGrid, model: NanodiffTiltModel, fits: [NanodiffTiltModel.Fit],
                       width: Int) -> [Double] {
        refine(line: line, lines: lines, model: model, fits: fits, width: width).column
    }

    /// The best step column and, for the grid's leftover error, its derivatives with respect to
    /// the offset, the blur and the angle at the chosen line (φ(u), u·φ(u) and t·φ(u), u = (s − o)/w
    /// with w at least 0.1 step, t the distance along the line): a strong boundary's step misplaced
    /// by a fraction of the offset grid, turned by a fraction of the 0.5° grid or blurred a little
    /// differently leaves residuals that are, to first order, these three columns —
    /// the same reason the dislocation model carries the next multipole order for a core placed
    /// a fraction of a step off. Without them, a step of hundreds of σ leaves a ridge that the
    /// next search reports as a second line beside the first (tested).
    static func columns(line: LineGrid.Line, lines: LineGrid, model: NanodiffTiltModel, fits: [NanodiffTiltModel.Fit],
                        width: Int) -> (step: [Double], derivatives: [[Double]]) {
        let best = refine(line: line, lines: lines, model: model, fits: fits, width: width)
        let w = max(best.blur, 0.1)
        let u = best.distance.map { ($0 - best.offset) / w }
        let bump = u.map { exp(-$0 * $0 / 2) }
        // Along the line (steps from the map centre's foot): a turn moves the step by t·δθ.
        let r = best.angleDeg * .pi / 180, direction = SIMD2(cos(r), sin(r))
        let along = model.positions.map { ((SIMD2(Double($0 % width), Double($0 / width)) - lines.centre) * direction).sum() }
        let scale = max(1, along.map(abs).max() ?? 1)
        return (best.column, [bump, zip(u, bump).map { $0 * $1 }, zip(along, bump).map { $0 / scale * $1 }])
    }

    /// `columns` under the correlated misfit: the best blurred step by the whitened F
    /// (`NanodiffCorrelatedMisfit.ratios`), searched a whole grid cell either side of the line
    /// (±2°, ±0.5 step): without κ the test no longer hides a line found 2° off, and what such a
    /// line leaves along a strong boundary would be found again next to it.
    static func correlatedColumns(line: LineGrid.Line, lines: LineGrid, model: NanodiffTiltModel, fields: [NanodiffCorrelatedMisfit],
                                  width: Int) -> (columns: [[Double]], distance: [Double]) {
        let n = model.positions.count
        let coordinates = model.positions.map { SIMD2(Double($0 % width), Double($0 / width)) }
        var candidates: [(distance: [Double], offset: Double, blur: Double, angleDeg: Double)] = []
        for da in stride(from: -2.0, through: 2.0, by: 0.5) {
            let r = (lines.angles[line.angle] + da) * .pi / 180
            let normal = SIMD2(-sin(r), cos(r))
            let s = coordinates.map { (($0 - lines.centre) * normal).sum() }
            for shift in stride(from: -0.5, through: 0.5 + 1e-9, by: 0.05) {
                for w in widths { candidates.append((s, lines.offsets[line.offset] + shift, w, lines.angles[line.angle] + da)) }
            }
        }
        let count = candidates.count
        var h = [Double](repeating: 0, count: n * count)
        for (c, candidate) in candidates.enumerated() {
            for i in 0..<n {
                let d = candidate.distance[i] - candidate.offset
                h[i * count + c] = candidate.blur == 0 ? (d > 0 ? 1 : 0) : 0.5 * erfc(-d / (candidate.blur * 2.0.squareRoot()))
            }
        }
        let ratios = fields.map { $0.ratios(h, count: count).f }
        let bestIndex = (0..<count).max { a, b in ratios.reduce(0) { $0 + $1[a] } < ratios.reduce(0) { $0 + $1[b] } } ?? 0
        let best = candidates[bestIndex]
        let column = (0..<n).map { h[$0 * count + bestIndex] }
        let w = max(best.blur, 0.1)
        let u = best.distance.map { ($0 - best.offset) / w }
        let bump = u.map { exp(-$0 * $0 / 2) }
        let r = best.angleDeg * .pi / 180, direction = SIMD2(cos(r), sin(r))
        let along = coordinates.map { (($0 - lines.centre) * direction).sum() }
        let scale = max(1, along.map(abs).max() ?? 1)
        return ([column, bump, zip(u, bump).map { $0 * $1 }, zip(along, bump).map { $0 / scale * $1 }],
                best.distance.map { $0 - best.offset })
    }

    /// The grid search behind `column` and `columns`: the best column, the distances of the
    /// fitted positions along its normal, its offset, its blur and its angle.
    static func refine(line: LineGrid.Line, lines: LineGrid, model: NanodiffTiltModel, fits: [NanodiffTiltModel.Fit],
                       width: Int) -> (column: [Double], distance: [Double], offset: Double, blur: Double, angleDeg: Double) {
        let n = model.positions.count
        let coordinates = model.positions.map { SIMD2(Double($0 % width), Double($0 / width)) }
        let rss = fits.map { fit in (0..<n).reduce(0) { $0 + fit.weights[$1] * fit.residuals[$1] * fit.residuals[$1] } }
        let sharpNormal = lines.normal(line.angle)
        let sharp = model.positions.map { lines.side(line, position: $0, width: width) ? 1.0 : 0 }
        var best = (f: jointF(sharp, model: model, fits: fits, rss: rss), column: sharp,
                    distance: coordinates.map { (($0 - lines.centre) * sharpNormal).sum() }, offset: lines.offsets[line.offset], blur: 0.0,
                    angleDeg: lines.angles[line.angle])
        var h = [Double](repeating: 0, count: n)
        for da in angleOffsets {
            let r = (lines.angles[line.angle] + da) * .pi / 180
            let normal = SIMD2(-sin(r), cos(r))
            let s = coordinates.map { (($0 - lines.centre) * normal).sum() }
            for shift in offsetShifts {
                let o = lines.offsets[line.offset] + shift
                for w in widths {
                    for i in 0..<n {
                        let d = s[i] - o
                        h[i] = w == 0 ? (d > 0 ? 1 : 0) : 0.5 * erfc(-d / (w * 2.0.squareRoot()))
                    }
                    let f = jointF(h, model: model, fits: fits, rss: rss)
                    if f > best.f { best = (f, h, s, o, w, lines.angles[line.angle] + da) }
                }
            }
        }
        return (best.column, best.distance, best.offset, best.blur, best.angleDeg)
    }

    /// The mean over maps of the F ratio of adding column `h` to the null fit: the drop in
    /// weighted RSS, (hᵀWr)² / (hᵀWh − ‖L⁻¹XᵀWh‖²), over the rest per residual degree of freedom.
    static func jointF(_ h: [Double], model: NanodiffTiltModel, fits: [NanodiffTiltModel.Fit], rss: [Double]) -> Double {
        let n = model.positions.count, k = model.columns
        var total = 0.0
        for (m, fit) in fits.enumerated() {
            var c = [Double](repeating: 0, count: k)
            var hWh = 0.0, hWr = 0.0
            model.design.withUnsafeBufferPointer { x in
                for i in 0..<n where fit.weights[i] > 0 && h[i] != 0 {
                    let wh = fit.weights[i] * h[i]
                    hWh += wh * h[i]
                    hWr += wh * fit.residuals[i]
                    for a in 0..<k { c[a] += wh * x[i * k + a] }
                }
            }
            let z = SmallCholesky.forward(fit.gram, size: k, c)
            let q = hWh - z.reduce(0) { $0 + $1 * $1 }
            guard q > 1e-12 * hWh, hWh > 0 else { return 0 }
            let drop = hWr * hWr / q
            total += drop / max(1e-300, rss[m] - drop) * Double(fit.dof)
        }
        return total / Double(fits.count)
    }
}
