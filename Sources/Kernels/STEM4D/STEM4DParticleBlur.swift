/// The joint particle fit's blur measured from the data (`STEM4DParticleModelFit.measureBlur`).
///
/// Each scan pixel sees a sphere's chord through the probe and the pixel: a point for a probe
/// much smaller than the scan step (as the synthesizer draws), the pixel's box for a probe
/// that fills it, something between otherwise. Which one the data have is a property of the
/// instrument, shared by every sphere of the job: so it is one nuisance parameter, measured on
/// the spheres that say most about it (the strongest ones alone in every view, whole inside the
/// scan) by their profile likelihood — each refitted in x, y, z and r with each width tried,
/// the χ² gains summed — and then held for every sphere. A crowded cube may have fewer than
/// three such spheres: the strongest others are added with every sphere near them refitted
/// under each width too (a neighbour held at one width's fit would favour that width). The
/// weights are the pixel noise alone: the mismatch term is measured under one width and would
/// favour it.
extension STEM4DParticleModelState {
    /// The spheres the blur is measured on, at most this many.
    static let blurSpheres = 8

    /// The width of `widths` with the highest summed χ² gain over the strongest isolated
    /// spheres (topped up to three with the strongest others, each with its neighbours refitted, when a
    /// crowded cube has fewer), each width's gain, and how many spheres; nil when no sphere
    /// lies whole inside the scan.
    func measureBlur(widths: [Double]) -> (width: Double, gains: [Double], spheres: Int)? {
        guard !widths.isEmpty else { return nil }
        let ranked = spheres.indices.filter { wholeInside($0) }
            .map { ($0, significance($0)) }
            .filter { $0.1 >= fit.significance }
            .sorted { $0.1 > $1.1 }
            .map(\.0)
        var chosen = Array(ranked.filter { isolated($0) }.prefix(Self.blurSpheres))
        for k in ranked where chosen.count < 3 && !chosen.contains(k) { chosen.append(k) }
        guard !chosen.isEmpty else { return nil }
        let held = blur
        var gains = [Double](repeating: 0, count: widths.count)
        let zScale = 1 / tMax
        for k in chosen where !isolated(k) {
            // Its neighbours' profiles change with the width too: the whole group refitted
            // under each width, −χ² over its pixels (pixel noise) as the gain.
            let group = [k] + touching(k)
            let saved = group.map { spheres[$0] }
            let pixels = weightedPixels(of: saved).map { (v: $0.v, i: $0.i, iv: 1 / (sigma[$0.v] * sigma[$0.v])) }
            for (j, b) in widths.enumerated() {
                setBlur(b)
                for _ in 0..<2 { for g in group { refine(g, scanDepth: false) } }
                gains[j] -= weightedChi2(pixels)
                for (g, s) in zip(group, saved) { render(spheres[g], sign: -1); spheres[g] = s; render(s, sign: 1) }
            }
            setBlur(held)
        }
        for k in chosen where isolated(k) {
            let s = spheres[k]
            render(s, sign: -1)
            var patch = self.patch(around: s, reach: 2.5)
            for n in patch.iv.indices { patch.iv[n] = 1 / (sigma[patch.v[n]] * sigma[patch.v[n]]) }
            for (j, b) in widths.enumerated() {
                blur = b
                func cost(_ u: [Double]) -> Double {
                    let z = u[2] * zScale
                    guard u[3] >= fit.radiusMin, u[3] <= fit.radiusMax, z >= fit.zMin, z <= fit.zMax else { return .infinity }
                    return -score(patch, u[0], u[1], z, u[3]).gain
                }
                let best = Self.nelderMead(cost, start: [s.x, s.y, s.z / zScale, s.r], steps: [0.3, 0.3, 0.3, 0.3], iterations: 200)
                gains[j] += max(0, -cost(best))
            }
            blur = held
            render(s, sign: 1)
        }
        let j = gains.indices.max { gains[$0] < gains[$1] }!
        return (widths[j], gains, chosen.count)
    }

    /// Spheres whose disk comes within two pixels of sphere `k`'s in some view.
    func touching(_ k: Int) -> [Int] {
        let s = spheres[k]
        return spheres.indices.filter { j in
            guard j != k else { return false }
            let o = spheres[j]
            return images.indices.contains { v in
                let dx = (s.x - o.x) - (s.z - o.z) * t[v].0, dy = (s.y - o.y) - (s.z - o.z) * t[v].1
                let reach = s.r + o.r + 2 + (abs(s.z) + abs(o.z)) * spreadMax[v]
                return dx * dx + dy * dy < reach * reach
            }
        }
    }

    /// Whether sphere `k`'s disk and two pixels around it lie inside the scan in every view.
    func wholeInside(_ k: Int) -> Bool {
        let s = spheres[k]
        return images.indices.allSatisfy { v in
            let cx = s.x - s.z * t[v].0, cy = s.y - s.z * t[v].1, R = s.r + 2 + abs(s.z) * spreadMax[v]
            return cx - R >= 0 && cy - R >= 0 && cx + R <= Double(w - 1) && cy + R <= Double(h - 1)
        }
    }

    /// Whether sphere `k` lies whole inside the scan in every view, with no other sphere's
    /// disk within two pixels of its own there.
    func isolated(_ k: Int) -> Bool {
        guard wholeInside(k) else { return false }
        let s = spheres[k]
        for v in images.indices {
            let cx = s.x - s.z * t[v].0, cy = s.y - s.z * t[v].1, R = s.r + 2 + abs(s.z) * spreadMax[v]
            for j in spheres.indices where j != k {
                let o = spheres[j]
                let ox = o.x - o.z * t[v].0, oy = o.y - o.z * t[v].1, oR = o.r + abs(o.z) * spreadMax[v]
                let d = ((ox - cx) * (ox - cx) + (oy - cy) * (oy - cy)).squareRoot()
                if d < R + oR { return false }
            }
        }
        return true
    }
}
