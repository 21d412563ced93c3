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

    /// What jobs use.
    public static let standard: NanodiffBoundaryStep = .sharp
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
        let n = model.positions.count
        let coordinates = model.positions.map { SIMD2(Double($0 % width), Double($0 / width)) }
        let rss = fits.map { fit in (0..<n).reduce(0) { $0 + fit.weights[$1] * fit.residuals[$1] * fit.residuals[$1] } }
        let sharp = model.positions.map { lines.side(line, position: $0, width: width) ? 1.0 : 0 }
        var best = (f: jointF(sharp, model: model, fits: fits, rss: rss), column: sharp)
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
                    if f > best.f { best = (f, h) }
                }
            }
        }
        return best.column
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
            let z = NanodiffTiltModel.forward(fit.gram, size: k, c)
            let q = hWh - z.reduce(0) { $0 + $1 * $1 }
            guard q > 1e-12 * hWh, hWh > 0 else { return 0 }
            let drop = hWr * hWr / q
            total += drop / max(1e-300, rss[m] - drop) * Double(fit.dof)
        }
        return total / Double(fits.count)
    }
}
