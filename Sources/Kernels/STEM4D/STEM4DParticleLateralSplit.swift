#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Each sphere tried as two side by side in projection (`STEM4DParticleModelFit.splitLateral`):
/// the split move across the line of sight, as `pairAlongDepth` is along it.
///
/// Many small spheres at low dose, two of them overlapping in projection, are fitted as one
/// sphere grown or shifted between them, and the residual search then finds nothing: the one
/// sphere explains most of both, and a second sphere added beside the compromise explains
/// little until the compromise moves. So the second is not added; the pair is started whole.
/// For sphere `s` (taken out of the model), the pair start is the best of a grid of symmetric
/// pairs about its centre — 16 directions, half-separations of a quarter to one radius, radii
/// of 0.6 to 1 times its own — each pair's two amplitudes solved by weighted least squares
/// against what the model without `s` leaves in every view (both > 0), the pair with the
/// largest χ² gain kept. The two are then refitted in all their parameters with the others
/// held (each with the depth scan: two overlapping spheres at different depths shift apart
/// between the views, and every view is in the fit), and the pair replaces `s` when the
/// information criterion prefers two — a sphere pays its five parameters, 5 ln n over the n
/// pixels of the old and the new spheres, the same criterion and scoring as the stack refit
/// (`refitStack`: the old model's weights on both sides) — unless either of the two is a
/// duplicate, by the prune's rule, of the other or of a sphere already there (a half slid onto
/// a neighbour explains its misfit, and the prune would then drop one of the two) or is not
/// seen in every view on its own (`consistent`, as for a sphere the residual search adds). The grid
/// sets only where the search starts; no threshold is chosen from draws.
extension STEM4DParticleModelState {
    /// The symmetric side-by-side pair about `s` (at `s`'s depth) that explains best what the
    /// model without `s` leaves; nil when no pair has both amplitudes positive. `s` must not be
    /// rendered.
    func lateralPairStart(_ s: Sphere) -> (Sphere, Sphere)? {
        let directions = 16, halfSeparations = [0.25, 0.5, 0.75, 1.0], radiusFactors = [0.6, 0.8, 1.0]
        let patch = self.patch(around: s, reach: s.r + 2.5)
        let n = patch.f.count
        guard n > 0 else { return nil }
        // One template per candidate centre and radius: its weighted product with the data and
        // its weighted square; the cross product per pair.
        struct Template { var x: Double; var y: Double; var r: Double; var g: [Double]; var fg: Double; var gg: Double }
        func template(_ x: Double, _ y: Double, _ r: Double) -> Template {
            var g = [Double](repeating: 0, count: n), fg = 0.0, gg = 0.0
            for i in 0..<n {
                let v = patch.v[i]
                let cx = x - s.z * t[v].0, cy = y - s.z * t[v].1
                let dx = Double(patch.x[i]) - cx, dy = Double(patch.y[i]) - cy
                guard abs(dx) <= r + 1 + abs(s.z) * spreadMax[v], abs(dy) <= r + 1 + abs(s.z) * spreadMax[v] else { continue }
                let c = patch.level[i] * chord(v, patch.x[i], patch.y[i], cx, cy, r, s.z)
                g[i] = c
                fg += patch.f[i] * c * patch.iv[i]; gg += c * c * patch.iv[i]
            }
            return Template(x: x, y: y, r: r, g: g, fg: fg, gg: gg)
        }
        var best: (gain: Double, a: Sphere, b: Sphere)? = nil
        for factor in radiusFactors {
            let r = max(fit.radiusMin, min(fit.radiusMax, factor * s.r))
            for half in halfSeparations {
                let d = half * s.r
                for k in 0..<(directions / 2) {
                    let angle = Double.pi * Double(k) / Double(directions / 2)
                    let ux = cos(angle), uy = sin(angle)
                    let p = template(s.x + d * ux, s.y + d * uy, r), q = template(s.x - d * ux, s.y - d * uy, r)
                    var o = 0.0
                    for i in 0..<n where p.g[i] != 0 && q.g[i] != 0 { o += p.g[i] * q.g[i] * patch.iv[i] }
                    let det = p.gg * q.gg - o * o
                    guard p.gg > 0, q.gg > 0, det > 1e-12 * p.gg * q.gg else { continue }
                    let cp = (q.gg * p.fg - o * q.fg) / det, cq = (p.gg * q.fg - o * p.fg) / det
                    guard cp > 0, cq > 0 else { continue }
                    let gain = cp * p.fg + cq * q.fg
                    if gain > (best?.gain ?? 0) {
                        best = (gain, Sphere(x: p.x, y: p.y, z: s.z, r: r, c: cp), Sphere(x: q.x, y: q.y, z: s.z, r: r, c: cq))
                    }
                }
            }
        }
        guard let best else { return nil }
        return (best.a, best.b)
    }

    /// Tries sphere `k` as two side by side; keeps the pair (appended at the end, `k` removed)
    /// when the information criterion prefers it, else restores everything. Returns the pair
    /// or nil.
    func splitLaterally(_ k: Int) -> [Sphere]? {
        let saved = spheres[k]
        guard saved.c > 0 else { return nil }
        let model0 = model
        render(saved, sign: -1)
        spheres[k].c = 0
        func restore() {
            spheres[k] = saved
            render(saved, sign: 1)
        }
        guard let (a, b) = lateralPairStart(saved) else { restore(); return nil }
        let base = spheres.count
        add(a); add(b)
        for j in base..<spheres.count { refine(j) }
        for j in base..<spheres.count { refine(j) }
        for j in base..<spheres.count { refine(j, scanDepth: false) }
        let pair = Array(spheres[base...])
        if plainSplitWins(saved: saved, k: k, base: base, modelBefore: model0) {
            spheres.remove(at: k)
            return pair
        }
        for _ in pair { render(spheres[spheres.count - 1], sign: -1); spheres.removeLast() }
        restore()
        return nil
    }

    /// The plain split's test, shared by `splitLaterally` and the rival's `both` mode: the pair
    /// (spheres `base...`, refitted; `model` as they left it) against `saved` in `modelBefore`,
    /// scored on the pixels of the old sphere and the pair, each side with `modelBefore`'s
    /// weights (weighted χ² + amplitude prior + 5 ln n a sphere). Then its guards: neither of the
    /// two a duplicate of the other or of a sphere already there (the prune's rule: a half that
    /// slid onto a neighbour explains the neighbour's misfit, not a sphere of its own), and each
    /// seen in every view on its own, the others held (`consistent`, the residual search's test:
    /// what a neighbour's misfit or one view's noise makes up sits in some views, not in all).
    /// Leaves `model` as it found it.
    func plainSplitWins(saved: Sphere, k: Int, base: Int, modelBefore: [[Double]]) -> Bool {
        let pair = Array(spheres[base...])
        let rebuilt = model
        model = modelBefore
        let pixels = weightedPixels(of: [saved] + pair)
        let penalty = 5 * log(Double(max(1, pixels.count)))
        let before = weightedChi2(pixels) + amplitudePenalty([saved]) + penalty
        model = rebuilt
        let after = weightedChi2(pixels) + amplitudePenalty(pair) + 2 * penalty
        let others = spheres[..<base].enumerated().filter { $0.offset != k && $0.element.c > 0 }.map(\.element)
        let duplicate = Self.duplicates(pair[0], pair[1]) || pair.contains { p in others.contains { Self.duplicates(p, $0) } }
        if STEM4DParticleTrace.near(saved) {
            STEM4DParticleTrace.say(String(format: "split #%d plain: held %.2f, pair %.2f; duplicate %@, seen in every view %@", k, before, after,
                                           "\(duplicate)", "\(pair.map { consistent($0) })"))
        }
        return !duplicate && pair.allSatisfy({ $0.c > 0 }) && after < before - 1e-9 * abs(before) && pair.allSatisfy({ consistent($0) })
    }

    /// Whether two spheres are one counted twice by the prune's rule (`prune`): closer than half
    /// the smaller radius sideways and than half the sum of the radii in depth.
    static func duplicates(_ p: Sphere, _ q: Sphere) -> Bool {
        let lat = ((p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y)).squareRoot()
        return lat < 0.5 * min(p.r, q.r) && abs(p.z - q.z) < 0.5 * (p.r + q.r)
    }

    /// Every sphere tried once as two side by side, the largest first (the spheres of a kept
    /// pair, or of a three-against-one merge, are not tried again); returns how many were split
    /// or merged.
    @discardableResult func splitLaterally() -> Int {
        var split = 0
        // Identities by a serial kept alongside (indices shift when a sphere is replaced).
        var serial = Array(spheres.indices)
        var next = spheres.count
        var tried = Set<Int>()
        while let k = spheres.indices.filter({ !tried.contains(serial[$0]) && spheres[$0].c > 0 }).max(by: { spheres[$0].r < spheres[$1].r }) {
            tried.insert(serial[k])
            guard let move = fit.splitLateralRival ? splitLaterallyAgainstRival(k) : splitLaterally(k).map({ (removed: [k], added: $0) })
            else { continue }
            split += 1
            for index in move.removed { serial.remove(at: index) }
            for _ in move.added { serial.append(next); tried.insert(next); next += 1 }
        }
        return split
    }
}
