#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small spheres hung together on a large one (`STEM4DParticleModelFit.satellites`).
///
/// Where large spheres overlap in projection far apart in depth, the fit can settle with one of
/// them too small and off centre, and the residual search then fills the rim it leaves with
/// several small faint spheres. Each of them is needed while the others stay (the merge test
/// removes one at a time), so the set is a local minimum no single move leaves. The move here
/// removes them together: the large sphere grown (its radius scanned up to the bound) and
/// refitted with its other neighbours, compared by the Bayesian information criterion over
/// the pixels of all of them — the satellites' 5 parameters each must lower the weighted χ² by
/// more than 5 ln n over those n pixels, as in the merge test.
extension STEM4DParticleModelState {
    /// Spheres smaller than `k` whose projection overlaps `k`'s in every view.
    func satellites(of k: Int) -> [Int] {
        overlappingInEveryView(k).filter { spheres[$0].r < spheres[k].r }
    }

    /// Tests `k`'s satellites (two or more) together against `k` grown and refitted; removes
    /// them when they do not pay for their parameters, else restores everything. Returns how
    /// many were removed.
    func absorbSatellitesIfRedundant(_ k: Int) -> Int {
        let gone = satellites(of: k)
        guard gone.count >= 2 else { return 0 }
        let others = overlappingInEveryView(k).filter { !gone.contains($0) }
        let pixels = weightedPixels(of: ([k] + gone + others).map { spheres[$0] })
        guard !pixels.isEmpty else { return 0 }
        let group = [k] + gone + others
        let before = weightedChi2(pixels) + amplitudePenalty(group.map { spheres[$0] })
        let saved = spheres
        for j in gone { render(spheres[j], sign: -1); spheres[j].c = 0 }
        grow(k)
        refine(k)
        for j in others { refine(j) }
        refine(k, scanDepth: false)
        let after = weightedChi2(pixels) + amplitudePenalty(([k] + others).map { spheres[$0] })
        if after - before < 5 * Double(gone.count) * log(Double(pixels.count)) {
            for j in gone.sorted(by: >) { spheres.remove(at: j) }
            return gone.count
        }
        for j in [k] + others { render(spheres[j], sign: -1) }
        for j in [k] + others + gone { spheres[j] = saved[j]; render(saved[j], sign: 1) }
        return 0
    }

    /// Sphere `k`'s radius scanned from its own up to the bound (its centre held), the best
    /// χ² gain kept: a shrunken sphere's start for the local refit.
    func grow(_ k: Int) {
        var s = spheres[k]
        render(s, sign: -1)
        var wide = s
        wide.r = fit.radiusMax
        let patch = self.patch(around: wide, reach: 2.5)
        var best = score(patch, s.x, s.y, s.z, s.r)
        for r in stride(from: s.r + 0.25, through: fit.radiusMax, by: 0.25) {
            let sc = score(patch, s.x, s.y, s.z, r)
            if sc.gain > best.gain { best = sc; s.r = r }
        }
        if best.c > 0 { s.c = best.c }
        spheres[k] = s
        render(s, sign: 1)
    }

    /// Runs the test on every sphere with two or more satellites, the largest first; returns
    /// how many spheres were removed.
    @discardableResult func absorbSatellites() -> Int {
        var removed = 0
        var tried = Set<Int>()
        // Each sphere tried once; identities by a serial kept alongside (indices shift on removal).
        var serial = Array(spheres.indices)
        while let k = spheres.indices.filter({ !tried.contains(serial[$0]) }).max(by: { spheres[$0].r < spheres[$1].r }) {
            tried.insert(serial[k])
            let gone = satellites(of: k)
            let n = absorbSatellitesIfRedundant(k)
            guard n > 0 else { continue }
            removed += n
            for j in gone.sorted(by: >) { serial.remove(at: j) }
        }
        return removed
    }
}
