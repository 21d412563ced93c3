#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Model selection between "two spheres" and "one sphere" where a sphere lies on a neighbour
/// in every view (`STEM4DParticleModelFit.mergeTest`).
///
/// The significance test asks whether sphere k lowers χ² with its neighbours *held where the
/// joint fit left them*. At the rim of a strong sphere whose profile the model does not follow
/// exactly, that is the wrong question: the neighbour was fitted as a compromise with k
/// present, and a small k soaks up the neighbour's misfit. The question here is whether the
/// neighbours, refitted without k, explain every view as well: the weighted χ² over the
/// pixels of k and its neighbours in all views, with and without k (the neighbours refitted),
/// compared by the Bayesian information criterion — k's five parameters (x, y, z, r,
/// amplitude) must lower χ² by more than 5 ln n over those n pixels. The weights (pixel noise
/// plus the measured mismatch) are those of the two-sphere model for both sides, so the
/// comparison is a weighted least-squares one. A real sphere touching or overlapping its
/// neighbour in projection costs its whole signal when dropped; a rim artefact costs little
/// once the neighbour may move back to its own best fit.
extension STEM4DParticleModelState {
    /// Spheres whose projection overlaps sphere `k`'s in every view (centre distance under the
    /// sum of the radii): the only ones that could explain it on their own.
    func overlappingInEveryView(_ k: Int) -> [Int] {
        let s = spheres[k]
        return spheres.indices.filter { j in
            guard j != k, spheres[j].c > 0 else { return false }
            let q = spheres[j]
            return t.indices.allSatisfy { v in
                let dx = (s.x - s.z * t[v].0) - (q.x - q.z * t[v].0), dy = (s.y - s.z * t[v].1) - (q.y - q.z * t[v].1)
                return dx * dx + dy * dy < (s.r + q.r) * (s.r + q.r)
            }
        }
    }

    /// Tests sphere `k` against its neighbours alone; removes it (and keeps the neighbours'
    /// refits) when they explain the views within the information criterion, else restores
    /// everything. Returns whether `k` was removed.
    func mergeIfRedundant(_ k: Int) -> Bool {
        let neighbours = overlappingInEveryView(k)
        guard !neighbours.isEmpty else { return false }
        // The pixels of k and its neighbours in every view, with the two-sphere weights.
        var pixels: [(v: Int, i: Int, iv: Double)] = []
        var seen = Set<Int>()
        for v in images.indices {
            for m in [k] + neighbours {
                guard let b = box(spheres[m], v, pad: 2) else { continue }
                for y in b.2...b.3 {
                    for x in b.0...b.1 {
                        let i = y * w + x
                        if seen.insert(v * w * h + i).inserted { pixels.append((v, i, 1 / variance(v, i))) }
                    }
                }
            }
        }
        guard !pixels.isEmpty else { return false }
        func chi2() -> Double {
            var c = 0.0
            for p in pixels {
                let x = p.i % w, y = p.i / w
                let r = images[p.v][p.i] - (background(p.v, x, y) - plane[p.v].0 * model[p.v][p.i])
                c += r * r * p.iv
            }
            return c
        }
        let both = chi2()
        let saved = neighbours.map { spheres[$0] }
        let removed = spheres[k]
        render(removed, sign: -1)
        spheres[k].c = 0
        for j in neighbours { refine(j) }
        let one = chi2()
        if one - both < 5 * log(Double(pixels.count)) {
            spheres.remove(at: k)
            return true
        }
        for (j, s) in zip(neighbours, saved) {
            render(spheres[j], sign: -1)
            spheres[j] = s
            render(s, sign: 1)
        }
        spheres[k] = removed
        render(removed, sign: 1)
        return false
    }

    /// Runs the test on every sphere that lies on a neighbour in every view, the least
    /// significant first (a rim artefact is weaker than the sphere it hangs on); returns how
    /// many were removed.
    @discardableResult func mergeRedundant() -> Int {
        var pending = spheres.indices.map { ($0, significance($0)) }.sorted { $0.1 < $1.1 }.map(\.0)
        var removed = 0
        while !pending.isEmpty {
            let k = pending.removeFirst()
            guard mergeIfRedundant(k) else { continue }
            removed += 1
            // Indices after k move down by one.
            pending = pending.map { $0 > k ? $0 - 1 : $0 }
        }
        return removed
    }
}
