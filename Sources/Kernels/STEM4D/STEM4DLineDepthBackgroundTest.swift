/// Whether a line's depth is better measured with each view's background level and slope
/// across the line as nuisance terms (`STEM4DLineDepthFit.backgroundSlope`), decided on the
/// line itself.
///
/// The terms remove a bias — a background slope differing between views is odd across the line
/// like the profile's derivative G′, and moves every point of the line alike — but cost variance,
/// since the slope is correlated with G′ (the more so the fewer samples a window holds). Both are
/// measured from d = z_with − z_without at each point, the two fits' own depths before smoothing.
/// With no slope in the data both fits are unbiased and the one without the terms is efficient,
/// so Var(d) = Var(z_with) − Var(z_without) (Hausman): the variance the terms add. The bias they
/// remove is d's mean along the line. The terms are kept when they lower the mean squared error
/// of a smoothed depth: the squared mean less its own sampling variance exceeds the variance they
/// add after smoothing,
///
///     d̄² − s²/N > s²/n,
///
/// with s² the variance of d (its scatter about the mean), N the independent samples along the
/// line and n those in one smoothing span; points within one pooled window (`block`) share their
/// cross-sections, so a block is one sample. No level is chosen: it is the comparison of the two
/// errors.
public enum STEM4DLineDepthBackgroundTest {
    /// Whether the fit with the terms (`with`, per-point depths) should replace the one without
    /// (`without`) on a line whose points `posed` were fitted; `block` points form one
    /// independent sample, `span` points are averaged by the smoothing along the line. A line of
    /// fewer than two blocks keeps the fit without the terms (d's scatter is not measured).
    public static func keepsTerms(without: [Double], with: [Double], posed: [Bool], block: Int, span: Int) -> Bool {
        let d = without.indices.filter { posed[$0] && $0 < with.count }.map { with[$0] - without[$0] }
        let b = Double(max(1, block))
        let samples = Double(d.count) / b
        guard samples >= 2 else { return false }
        let mean = d.reduce(0, +) / Double(d.count)
        let scatter = d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
        // E[Σ(d − d̄)²] = N_points·Var(d)·(1 − 1/samples) when blocks of b points are correlated.
        let variance = scatter / (Double(d.count) * (1 - 1 / samples))
        let perSpan = max(1, Double(span) / b)
        return mean * mean - variance / samples > variance / perSpan
    }
}
