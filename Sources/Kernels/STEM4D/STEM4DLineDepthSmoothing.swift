/// Depth along a line smoothed at the scale the data allow (LPA-ICI: local polynomial
/// approximation with the intersection of confidence intervals, SCIENCE.md §4).
///
/// The fixed smoothing of `STEM4DLineDepthFit.smoothed` (a local-linear fit over ±6 points)
/// is too long where a line bows in depth and the dose is high, and too short at low dose,
/// where the per-point depths wander by pixels over tens of points. Here each point takes the
/// local-linear estimate over the longest window whose confidence interval still meets those
/// of all shorter windows: where the depth curves, the longer windows' estimates leave the
/// shorter ones' intervals and the window stops growing; where it is straight or the noise is
/// large, the window grows.
///
/// The noise is measured from the views, not from the line's shape: the depth fit's
/// regression residuals give each converged point's depth variance, and their median along
/// the line is one point's σ. (Second differences of the depths along the line, tried first,
/// read a bow's curvature as noise — 2.5 px at lag 7 on an 18 px bow — and flattened it.)
/// The per-point depths pool the cross-sections of ±`pooled` points, so neighbours within
/// 2·pooled + 1 points share data and their errors are correlated (taken as a moving average
/// of that length: a triangular correlation); each window's standard error follows from its
/// equivalent kernel and that correlation. Γ = 2, as `NanodiffLPAICI` (≈ 95 % per scale).
public enum STEM4DLineDepthSmoothing {
    /// Half-lengths of the windows tried, points.
    public static let scales = [1, 2, 3, 4, 6, 8, 12, 16, 24]
    /// Γ of the ICI rule.
    public static let gamma = 2.0

    /// `v` smoothed point by point at its ICI scale, `sigma` the standard deviation of one
    /// point's depth error; without it (no point converged, or two views: no residual) the
    /// fixed smoothing over ±`fallbackHalf` points.
    public static func smoothed(_ v: [Double], pooled: Int, sigma: Double?, fallbackHalf: Int) -> [Double] {
        guard let sigma, sigma.isFinite, v.count > 2 else { return STEM4DLineDepthFit.smoothed(v, half: fallbackHalf) }
        let lag = 2 * pooled + 1
        return v.indices.map { estimate(v, at: $0, sigma: sigma, lag: lag).value }
    }

    /// The ICI estimate at point `i` and the half-length chosen.
    static func estimate(_ v: [Double], at i: Int, sigma: Double, lag: Int) -> (value: Double, half: Int) {
        var lower = -Double.infinity, upper = Double.infinity
        var chosen = (value: v[i], half: 0)
        for h in scales {
            let lo = max(0, i - h), hi = min(v.count - 1, i + h)
            // Equivalent kernel of the uniform local-linear fit at i: ẑ = Σ l_j v_j.
            var s0 = 0.0, s1 = 0.0, s2 = 0.0
            for j in lo...hi { let t = Double(j - i); s0 += 1; s1 += t; s2 += t * t }
            let det = s0 * s2 - s1 * s1
            let l: [Double] = (lo...hi).map { j in det > 1e-12 ? (s2 - s1 * Double(j - i)) / det : 1 / s0 }
            var value = 0.0
            for (k, j) in (lo...hi).enumerated() { value += l[k] * v[j] }
            // Var = σ² Σ_j Σ_k l_j l_k ρ(|j − k|), ρ(d) = max(0, 1 − d / lag).
            var q = 0.0
            for a in l.indices {
                for b in max(0, a - lag + 1)...min(l.count - 1, a + lag - 1) {
                    q += l[a] * l[b] * (1 - Double(abs(a - b)) / Double(lag))
                }
            }
            let half = gamma * sigma * max(0, q).squareRoot()
            lower = max(lower, value - half); upper = min(upper, value + half)
            if lower > upper { break }
            chosen = (value, h)
            if lo == 0 && hi == v.count - 1 { break }  // the window holds the whole line
        }
        return chosen
    }
}
