/// The lateral split's rival with every arm fitted jointly (`STEM4DParticleModelFit.splitLateralRivalJoint`).
///
/// Each arm of the rival (`splitLaterallyAgainstRival`) refits its own spheres — the pair, the one
/// sphere in place of the old one, the one in place of the old one and a sphere lying on it — and
/// then each neighbour once, without the depth scan. Where two spheres lie on each other in every
/// view their amplitudes trade against each other: one pass of each leaves the share about where
/// it was, and an arm that would win once its neighbour took its share loses for its fit, not its
/// model. Traced on 64² draw 47 (`SLIPLINE_STEM4D_TRACE`; docs/stem4d.md, twenty-third session):
/// the true r 3.1 sphere C is split, and the pair's upper half lies on the true r 2.8 sphere D,
/// which the fit holds at amplitude 0.37 (its peers ≈ 0.7) — the half makes up D's missing part.
/// In the one-sphere arms D, refitted once after C, stays at 0.45, and the pair wins by 81; the
/// true C and D, refitted, score 142 below the pair. With this option every arm (the pair too)
/// refits its own spheres and its neighbours in turn while the weighted χ² over their pixels
/// falls. No constant is added: the rounds stop where the χ² stops falling (`rounds` bounds the
/// work, it is not a threshold on the data).
extension STEM4DParticleModelState {
    /// With `splitLateralRivalJoint`: spheres `own` and `neighbours` (indices; those at zero
    /// amplitude skipped) refitted in turn, without the depth scan, while the weighted χ² over
    /// their pixels falls; a round that raises it is undone. Without it, nothing.
    func refitInTurn(_ own: [Int], _ neighbours: [Int], rounds: Int = 8) {
        guard fit.splitLateralRivalJoint else { return }
        let set = (own + neighbours).filter { spheres[$0].c > 0 }
        guard !set.isEmpty else { return }
        let pixels = weightedPixels(of: set.map { spheres[$0] })
        var last = weightedChi2(pixels)
        for _ in 0..<rounds {
            let before = (spheres: spheres, model: model)
            for j in set where spheres[j].c > 0 { refine(j, scanDepth: false) }
            let now = weightedChi2(pixels)
            if now > last { spheres = before.spheres; model = before.model }
            guard now < last - 1e-9 * abs(last) else { return }
            last = now
        }
    }
}
