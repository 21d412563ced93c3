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
    /// The largest stack refitted: a crowd chained by overlaps is left to the local fits.
    static let stackMax = 10

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
        let chi2Before = weightedChi2(working)
        for j in group { render(spheres[j], sign: -1); spheres[j].c = 0 }
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
                let criterion = weightedChi2(working) + 2 * penalty
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
                    let c = weightedChi2(working)
                    if spheres[k].c > 0 && c < (pick?.1 ?? .infinity) { pick = (spheres[k], c) }
                    render(spheres[k], sign: -1)
                    spheres.removeLast()
                }
                guard let (s, _) = pick else { break }
                add(s)
                for j in base..<spheres.count { refine(j) }
                for j in base..<spheres.count { refine(j, scanDepth: false) }
                let criterion = weightedChi2(working) + penalty * Double(m)
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
        let before = weightedChi2(pixels) + 5 * log(Double(pixels.count)) * Double(saved.count)
        model = rebuilt
        let after = weightedChi2(pixels) + 5 * log(Double(pixels.count)) * Double(best.spheres.count)
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
            guard group.count <= Self.stackMax, let rebuilt = refitStack(group) else { continue }
            changed += 1
            for j in group.sorted(by: >) { serial.remove(at: j) }
            for _ in rebuilt { serial.append(next); tried.insert(next); next += 1 }
        }
        return changed
    }
}
