/// The depth of each sphere chosen globally (`STEM4DParticleModelFit.depthChoice`).
///
/// At a small stereo angle a sphere's depth profile (its χ² gain against depth, the others
/// held) is broad, and in a crowded thick slab it can have two minima: the local fit keeps the
/// one its start fell into, and a neighbour fitted around it holds it there. The other minimum
/// is not decided by the profile alone (the neighbours were fitted to the first), so it is
/// tried with the sphere refitted there and its neighbours refitted too, and the two models
/// compared by their weighted χ² over the pixels of all of them in every view (the weights of
/// the model before, as the merge test does). Both have the same parameters, so the lower χ²
/// (the higher likelihood) wins; no distance or threshold is set by hand.
extension STEM4DParticleModelState {
    /// Local minima of sphere `k`'s coarse depth profile (x, y, r held, others held) other than
    /// the one its depth lies in, best first, as depths.
    func otherDepthMinima(_ k: Int) -> [Double] {
        let s = spheres[k]
        render(s, sign: -1)
        defer { render(s, sign: 1) }
        let step = 0.5 / tMax
        let zs = Array(stride(from: fit.zMin, through: fit.zMax, by: step))
        guard zs.count >= 3 else { return [] }
        let mid = Sphere(x: s.x, y: s.y, z: 0.5 * (fit.zMin + fit.zMax), r: s.r, c: 0)
        let patch = self.patch(around: mid, reach: 2.5 + 0.5 * (fit.zMax - fit.zMin) * tMax)
        let cost = zs.map { -score(patch, s.x, s.y, $0, s.r).gain }
        // The minimum the current depth descends to.
        var i = min(zs.count - 1, max(0, Int(((s.z - fit.zMin) / step).rounded())))
        while true {
            let left = i > 0 ? cost[i - 1] : .infinity, right = i + 1 < zs.count ? cost[i + 1] : .infinity
            if left < cost[i] && left <= right { i -= 1 } else if right < cost[i] { i += 1 } else { break }
        }
        var minima: [(Double, Double)] = []
        for j in zs.indices where j != i && cost[j] < 0 {
            let left = j > 0 ? cost[j - 1] : .infinity, right = j + 1 < zs.count ? cost[j + 1] : .infinity
            if cost[j] < left && cost[j] <= right { minima.append((zs[j], cost[j])) }
        }
        return minima.sorted { $0.1 < $1.1 }.map(\.0)
    }

    /// Tries sphere `k` at depth `z` with its neighbours (spheres overlapping it in some view at
    /// either depth) refitted; keeps the move when the weighted χ² over their pixels falls,
    /// else restores everything. Returns whether it moved.
    func tryDepth(_ k: Int, _ z: Double) -> Bool {
        let old = spheres[k]
        var moved = old; moved.z = z
        let neighbours = spheres.indices.filter { j in
            guard j != k, spheres[j].c > 0 else { return false }
            let q = spheres[j]
            return t.indices.contains { v in
                [old, moved].contains { s in
                    let dx = (s.x - s.z * t[v].0) - (q.x - q.z * t[v].0), dy = (s.y - s.z * t[v].1) - (q.y - q.z * t[v].1)
                    return dx * dx + dy * dy < (s.r + q.r + 1) * (s.r + q.r + 1)
                }
            }
        }
        let pixels = weightedPixels(of: [old, moved] + neighbours.map { spheres[$0] })
        func chi2() -> Double { weightedChi2(pixels) }
        let before = chi2()
        let saved = neighbours.map { spheres[$0] }
        render(old, sign: -1)
        spheres[k] = moved
        render(moved, sign: 1)
        refine(k, scanDepth: false)
        for j in neighbours { refine(j) }
        refine(k, scanDepth: false)
        if chi2() < before && spheres[k].c > 0 { return true }
        for (j, s) in zip(neighbours, saved) {
            render(spheres[j], sign: -1)
            spheres[j] = s
            render(s, sign: 1)
        }
        render(spheres[k], sign: -1)
        spheres[k] = old
        render(old, sign: 1)
        return false
    }

    /// Every sphere's best other depth minimum tried in turn; returns how many moved.
    @discardableResult func chooseDepths() -> Int {
        var moved = 0
        for k in spheres.indices where spheres[k].c > 0 {
            guard let z = otherDepthMinima(k).first else { continue }
            if tryDepth(k, z) { moved += 1 }
        }
        return moved
    }
}
