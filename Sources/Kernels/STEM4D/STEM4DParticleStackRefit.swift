#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stack of spheres overlapping in every view, refitted as a whole with as many spheres as
/// the views pay for (`STEM4DParticleModelFit.splitMerge`): the split/merge move along depth.
///
/// Where large spheres overlap in projection far apart in depth, the fit can settle with the
/// wrong number of them at the wrong depths: one sphere fitted as two bracketing it in depth,
/// two as three, two nearly coaxial ones as one between them at a small stereo angle — each
/// with small spheres along the rims the compromise leaves. Every sphere of such a set is
/// needed while the others stay, so the one-at-a-time tests (merge, satellites, depth choice)
/// keep it. This move takes the whole stack out and builds it again by forward selection:
/// each step adds the sphere, started from any of the stack's old positions and moved by the
/// coarse depth scan, that lowers the weighted χ² most, then refits all placed ones with depth
/// scans; it stops when a sphere no longer pays its five parameters (5 ln n over the n pixels,
/// the merge test's information criterion). The rebuilt stack, of one sphere up to one more
/// than before (a sphere alone is tried as two), replaces the old one when its criterion is
/// lower over the pixels of both (the old model's weights on each side), else everything is
/// restored. No depth gap or threshold is set by hand.
extension STEM4DParticleModelState {
    /// Sphere `k` and every sphere overlapping it in every view, `k` first.
    func stack(of k: Int) -> [Int] { [k] + overlappingInEveryView(k) }

    /// Refits the stack `group` (indices into `spheres`) by forward selection; keeps the result
    /// when its information criterion is lower. Returns the spheres that replaced the stack
    /// (appended at the end, the stack removed), or nil when it was restored.
    func refitStack(_ group: [Int]) -> [Sphere]? {
        let saved = group.map { spheres[$0] }
        let model0 = model
        let working = weightedPixels(of: saved)
        guard !working.isEmpty else { return nil }
        let penalty = 5 * log(Double(working.count))
        // Distinct starts: the stack's old positions.
        var starts: [Sphere] = []
        for s in saved where !starts.contains(where: { abs($0.x - s.x) < 1 && abs($0.y - s.y) < 1 && abs($0.z - s.z) < 1 }) {
            starts.append(s)
        }
        let chi2Before = weightedChi2(working) + amplitudePenalty(saved)
        for j in group { render(spheres[j], sign: -1); spheres[j].c = 0 }
        if fit.stackResidualStarts && group.count > 1 {
            // Where the views put the stack's absorption, not only where the old fit left it: a
            // sphere the old fit replaced by weaker ones around it has no old position to start from.
            for s in residualStarts(around: saved, count: group.count)
            where !starts.contains(where: { abs($0.x - s.x) < 1 && abs($0.y - s.y) < 1 && abs($0.z - s.z) < 1 }) {
                starts.append(s)
            }
        }
        let base = spheres.count
        var best: (criterion: Double, spheres: [Sphere]) = (.infinity, [])
        if group.count == 1 {
            // A sphere alone is its own best one-sphere fit; two along its line of sight start
            // from the best pair of depths (`pairAlongDepth`), not from it: a second sphere added
            // to the compromise explains nothing until the compromise moves.
            best = (chi2Before + penalty, saved)
            if let (a, b) = pairAlongDepth(saved[0]) {
                add(a); add(b)
                for _ in 0..<2 { for j in base..<spheres.count { refine(j, scanDepth: false) } }
                let criterion = weightedChi2(working) + amplitudePenalty(Array(spheres[base...])) + 2 * penalty
                if criterion < best.criterion && spheres[base...].allSatisfy({ $0.c > 0 }) { best = (criterion, Array(spheres[base...])) }
            }
        } else {
            for m in 1...(group.count + 1) {
                // The start that, refitted with the placed ones held, lowers χ² most.
                var pick: (Sphere, Double)? = nil
                for s in starts {
                    spheres.append(Sphere(x: s.x, y: s.y, z: s.z, r: s.r, c: 0))
                    let k = spheres.count - 1
                    refine(k)
                    let c = weightedChi2(working) + amplitudePenalty(Array(spheres[base...]))
                    if spheres[k].c > 0 && c < (pick?.1 ?? .infinity) { pick = (spheres[k], c) }
                    render(spheres[k], sign: -1)
                    spheres.removeLast()
                }
                guard let (s, _) = pick else { break }
                add(s)
                for j in base..<spheres.count { refine(j) }
                for j in base..<spheres.count { refine(j, scanDepth: false) }
                let criterion = weightedChi2(working) + amplitudePenalty(Array(spheres[base...])) + penalty * Double(m)
                guard criterion < best.criterion else { break }
                best = (criterion, Array(spheres[base...]))
            }
        }
        for j in (base..<spheres.count).reversed() { render(spheres[j], sign: -1); spheres.removeLast() }
        // Scored on the pixels of the old and the new stack, each side with the old model's weights.
        for s in best.spheres { add(s) }
        let rebuilt = model
        model = model0
        let pixels = weightedPixels(of: saved + best.spheres)
        let before = weightedChi2(pixels) + amplitudePenalty(saved) + 5 * log(Double(pixels.count)) * Double(saved.count)
        model = rebuilt
        let after = weightedChi2(pixels) + amplitudePenalty(best.spheres) + 5 * log(Double(pixels.count)) * Double(best.spheres.count)
        if !best.spheres.isEmpty && after < before - 1e-9 * abs(before) {
            for j in group.sorted(by: >) { spheres.remove(at: j) }
            return best.spheres
        }
        for _ in best.spheres { render(spheres[spheres.count - 1], sign: -1); spheres.removeLast() }
        for (j, s) in zip(group, saved) { spheres[j] = s; render(s, sign: 1) }
        return nil
    }

    /// The two spheres at `s`'s (x, y, r) and two depths that explain what the model without
    /// `s` leaves best: every pair of depths on the coarse grid (a quarter pixel of view shift a
    /// step), the two amplitudes by weighted least squares (both > 0), from templates computed
    /// once per depth. Nil when no pair has both amplitudes positive. `s` must not be rendered.
    func pairAlongDepth(_ s: Sphere) -> (Sphere, Sphere)? {
        let zs = Array(stride(from: fit.zMin, through: fit.zMax, by: 0.25 / tMax))
        guard zs.count >= 2 else { return nil }
        let mid = Sphere(x: s.x, y: s.y, z: 0.5 * (fit.zMin + fit.zMax), r: s.r, c: 0)
        let patch = self.patch(around: mid, reach: 2.5 + 0.5 * (fit.zMax - fit.zMin) * tMax)
        let n = patch.f.count
        // Per depth: the template's weighted products with the data and with every other template.
        var templates: [[Double]] = []
        var b: [Double] = []
        for z in zs {
            var g = [Double](repeating: 0, count: n), fg = 0.0
            for i in 0..<n {
                let v = patch.v[i]
                let c = patch.level[i] * chord(v, patch.x[i], patch.y[i], s.x - z * t[v].0, s.y - z * t[v].1, s.r, z)
                g[i] = c
                fg += patch.f[i] * c * patch.iv[i]
            }
            templates.append(g); b.append(fg)
        }
        var gram = [[Double]](repeating: [Double](repeating: 0, count: zs.count), count: zs.count)
        for p in zs.indices {
            for q in p..<zs.count {
                var d = 0.0
                for i in 0..<n where templates[p][i] != 0 && templates[q][i] != 0 { d += templates[p][i] * templates[q][i] * patch.iv[i] }
                gram[p][q] = d; gram[q][p] = d
            }
        }
        var best: (gain: Double, p: Int, q: Int, cp: Double, cq: Double)? = nil
        for p in zs.indices {
            for q in (p + 1)..<zs.count {
                let a = gram[p][p], c = gram[q][q], o = gram[p][q], det = a * c - o * o
                guard a > 0, c > 0, det > 1e-12 * a * c else { continue }
                let cp = (c * b[p] - o * b[q]) / det, cq = (a * b[q] - o * b[p]) / det
                guard cp > 0, cq > 0 else { continue }
                let gain = cp * b[p] + cq * b[q]
                if gain > (best?.gain ?? 0) { best = (gain, p, q, cp, cq) }
            }
        }
        guard let best else { return nil }
        return (Sphere(x: s.x, y: s.y, z: zs[best.p], r: s.r, c: best.cp), Sphere(x: s.x, y: s.y, z: zs[best.q], r: s.r, c: best.cq))
    }

    /// Up to `count` starts where what the model leaves over the stack's footprint peaks along
    /// depth: the residual search's LoG depth sweep (`searchResidual`: the views' residuals
    /// filtered at every radius, shifted to each trial depth, averaged with inverse-noise
    /// weights), on a crop around the stack, at the object positions within a pixel of the old
    /// spheres' outlines; the strongest local maxima first, one per neighbourhood, no threshold
    /// (the forward selection decides). The stack must be out of the model.
    func residualStarts(around group: [Sphere], count: Int) -> [Sphere] {
        var lx = w, hx = -1, ly = h, hy = -1
        for v in images.indices {
            for s in group {
                guard let b = box(s, v, pad: fit.radiusMax) else { continue }
                lx = min(lx, b.0); hx = max(hx, b.1); ly = min(ly, b.2); hy = max(hy, b.3)
            }
        }
        let cw = hx - lx + 1, ch = hy - ly + 1
        guard count > 0, cw >= 4, ch >= 4 else { return [] }
        let V = images.count
        var residual: [STEM4DImage] = [], noise: [Double] = []
        for v in 0..<V {
            var px = [Float](repeating: 0, count: cw * ch)
            for y in ly...hy { for x in lx...hx { px[(y - ly) * cw + x - lx] = Float(unexplained(v, x, y)) } }
            residual.append(STEM4DImage(rows: ch, cols: cw, pixels: px))
            noise.append(sigma[v] / plane[v].0)
        }
        // The footprint: object positions (x, y) within a pixel of an old sphere's outline.
        var footprint: [(Int, Int)] = []
        for y in 0..<h {
            for x in 0..<w where group.contains(where: { s in
                let dx = Double(x) - s.x, dy = Double(y) - s.y
                return dx * dx + dy * dy <= (s.r + 1) * (s.r + 1)
            }) { footprint.append((x, y)) }
        }
        guard !footprint.isEmpty else { return [] }
        let radii = stride(from: fit.radiusMin, through: fit.radiusMax + 1e-9, by: 0.5).map { $0 }
        let zs = stride(from: fit.zMin, through: fit.zMax + 1e-9, by: 0.5 / tMax).map { $0 }
        var best = [Double](repeating: 0, count: footprint.count), bestZ = best, bestR = best
        for rad in radii {
            let (responses, weights, norm) = Self.sweepFilters(residual, noise: noise, radius: rad)
            for z in zs {
                for (n, (x, y)) in footprint.enumerated() {
                    var s = 0.0
                    for v in 0..<V {
                        let sx = Double(x) - z * t[v].0 - Double(lx), sy = Double(y) - z * t[v].1 - Double(ly)
                        s += weights[v] * Self.bilinear(responses[v], w: cw, h: ch, sx, sy)
                    }
                    let sig = s / norm
                    if sig > best[n] { best[n] = sig; bestZ[n] = z; bestR[n] = rad }
                }
            }
        }
        var index = [Int: Int]()
        for (n, (x, y)) in footprint.enumerated() { index[y * w + x] = n }
        var peaks: [(Int, Double)] = []
        for (n, (x, y)) in footprint.enumerated() where best[n] > 0 {
            var isMax = true
            for dy in -1...1 { for dx in -1...1 where dx != 0 || dy != 0 {
                guard let m = index[(y + dy) * w + x + dx], x + dx >= 0, x + dx < w else { continue }
                if best[m] > best[n] || (best[m] == best[n] && m < n) { isMax = false }
            } }
            if isMax { peaks.append((n, best[n])) }
        }
        peaks.sort { $0.1 > $1.1 }
        var out: [Sphere] = []
        for (n, _) in peaks where out.count < count {
            let (x, y) = footprint[n]
            let s = Sphere(x: Double(x), y: Double(y), z: bestZ[n], r: bestR[n], c: 0)
            if out.contains(where: { ($0.x - s.x) * ($0.x - s.x) + ($0.y - s.y) * ($0.y - s.y) < ($0.r + s.r) * ($0.r + s.r) / 4 }) { continue }
            out.append(s)
        }
        return out
    }

    /// Every stack of up to `stackMax` spheres refitted once (a sphere alone tried as two),
    /// seeded from the largest sphere not yet in a refitted stack; returns how many changed.
    @discardableResult func refitStacks() -> Int {
        var changed = 0
        // Identities by a serial kept alongside (indices shift when a stack is replaced).
        var serial = Array(spheres.indices)
        var next = spheres.count
        var tried = Set<Int>()
        while let k = spheres.indices.filter({ !tried.contains(serial[$0]) && spheres[$0].c > 0 }).max(by: { spheres[$0].r < spheres[$1].r }) {
            let group = stack(of: k)
            for j in group { tried.insert(serial[j]) }
            guard group.count <= fit.stackMax, let rebuilt = refitStack(group) else { continue }
            changed += 1
            for j in group.sorted(by: >) { serial.remove(at: j) }
            for _ in rebuilt { serial.append(next); tried.insert(next); next += 1 }
        }
        return changed
    }
}
