#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lateral split judged against the strongest one-sphere alternative
/// (`STEM4DParticleModelFit.splitLateralRival`).
///
/// The plain split (`splitLaterally`) compares the pair, refitted, with the old sphere held
/// where the fit left it, the neighbours held on both sides. A pair that only absorbs what the
/// old sphere and its neighbours left as a compromise — two near-concentric spheres a few
/// pixels apart in depth at a small stereo angle, where the views barely differ — then wins
/// without being two spheres: the neighbours could have moved instead. With the rival, both
/// arms are refitted alike over the same neighbourhood — every sphere whose projection comes
/// within 2 px of the old sphere's or the pair's in some view is refitted (without the depth
/// scan) in both — and the one-sphere arm is the best of the old state held and one sphere
/// refitted in all five parameters (with the depth scan, as each of the pair is) from each of
/// three starts: the old sphere and each sphere of the pair (so that "one of the two, moved,
/// with the neighbours" is among the alternatives). The pair is kept only when its criterion —
/// weighted χ² + amplitude prior + 5 ln n a sphere, over the pixels of every sphere involved in
/// any arm, each side with the old model's weights, as `refitStack` scores — is lower than
/// every one-sphere arm's, and the plain split's guards hold (no duplicate, each of the two
/// seen in every view on its own). No constant is added. With `splitLateralRivalAndHeld` the pair
/// must first pass the plain split's comparison and guards too (old sphere and neighbours held),
/// and a kept pair is kept as the plain split leaves it (the neighbours held), so that the rival
/// can only refuse a pair the plain split keeps in the same state: the
/// neighbours refitted with the pair can also let a pair through that the plain split refuses
/// (64² draws 216, 226, 247: new false spheres with the rival alone).
extension STEM4DParticleModelState {
    /// Spheres (indices, excluding `k` and spheres of zero amplitude) whose projection comes within
    /// 2 px of any of `set`'s in some view: the ones both arms refit.
    func lateralNeighbours(of set: [Sphere], excluding k: Int) -> [Int] {
        spheres.indices.filter { j in
            guard j != k, spheres[j].c > 0 else { return false }
            let q = spheres[j]
            return set.contains { s in
                t.indices.contains { v in
                    let dx = (s.x - s.z * t[v].0) - (q.x - q.z * t[v].0), dy = (s.y - s.z * t[v].1) - (q.y - q.z * t[v].1)
                    return dx * dx + dy * dy < (s.r + q.r + 2) * (s.r + q.r + 2)
                }
            }
        }
    }

    /// `splitLaterally(k)` against the rival: tries sphere `k` as two side by side; keeps the
    /// pair (appended at the end, `k` removed, the neighbours as refitted with the pair) when
    /// its criterion beats the strongest one-sphere alternative and the plain split's guards
    /// hold; else restores everything and returns nil.
    func splitLaterallyAgainstRival(_ k: Int) -> [Sphere]? {
        let saved = spheres[k]
        guard saved.c > 0 else { return nil }
        let held = (spheres: spheres, model: model)
        func reset() { spheres = held.spheres; model = held.model }
        render(saved, sign: -1)
        spheres[k].c = 0
        guard let (a, b) = lateralPairStart(saved) else { reset(); return nil }
        let base = spheres.count
        add(a); add(b)
        for j in base..<spheres.count { refine(j) }
        for j in base..<spheres.count { refine(j) }
        for j in base..<spheres.count { refine(j, scanDepth: false) }
        // With `splitLateralRivalAndHeld`: the plain split's comparison first (the old sphere
        // and the neighbours held; its pixels, the old model's weights), as `splitLaterally` scores.
        var plainState: (spheres: [Sphere], model: [[Double]])? = nil
        if fit.splitLateralRivalAndHeld {
            plainState = (spheres, model)
            // Its guards too, there: a neighbour refitted with the pair can make a half look
            // seen in every view on its own where, the neighbour held, it is not.
            guard plainSplitWins(saved: saved, k: k, base: base, modelBefore: held.model) else {
                reset()
                return nil
            }
        }
        // The old spheres near the old one or the pair (not the pair itself).
        let neighbours = lateralNeighbours(of: [saved] + Array(spheres[base...]), excluding: k).filter { $0 < base }
        for j in neighbours { refine(j, scanDepth: false) }
        for j in base..<spheres.count { refine(j, scanDepth: false) }
        let two = (spheres: spheres, model: model)
        let pair = Array(spheres[base...])
        // The one-sphere arms: one sphere from each start, refitted as each of the pair was,
        // the neighbours refitted as with the pair.
        var ones: [(spheres: [Sphere], model: [[Double]])] = []
        for start in [saved] + pair {
            reset()
            render(saved, sign: -1)
            spheres[k] = Sphere(x: start.x, y: start.y, z: start.z, r: start.r, c: saved.c)
            render(spheres[k], sign: 1)
            refine(k); refine(k); refine(k, scanDepth: false)
            for j in neighbours { refine(j, scanDepth: false) }
            refine(k, scanDepth: false)
            ones.append((spheres, model))
        }
        // Scored on the pixels of every sphere involved in any arm, each side with the old model's weights.
        reset()
        var involved = [saved] + pair + neighbours.map { held.spheres[$0] } + neighbours.map { two.spheres[$0] }
        for one in ones { involved += [one.spheres[k]] + neighbours.map { one.spheres[$0] } }
        let pixels = weightedPixels(of: involved)
        let penalty = 5 * log(Double(max(1, pixels.count)))
        func criterion(_ arm: (spheres: [Sphere], model: [[Double]]), _ own: [Sphere], count: Int) -> Double {
            let current = model
            model = arm.model
            defer { model = current }
            return weightedChi2(pixels) + amplitudePenalty(own + neighbours.map { arm.spheres[$0] }) + Double(count) * penalty
        }
        let before = ones.map { criterion($0, [$0.spheres[k]], count: 1) }.reduce(criterion(held, [saved], count: 1), min)
        let after = criterion(two, pair, count: 2)
        spheres = two.spheres; model = two.model
        let others = spheres[..<base].enumerated().filter { $0.offset != k && $0.element.c > 0 }.map(\.element)
        let duplicate = Self.duplicates(pair[0], pair[1]) || pair.contains { p in others.contains { Self.duplicates(p, $0) } }
        if !duplicate && pair.allSatisfy({ $0.c > 0 }) && after < before - 1e-9 * abs(before) && pair.allSatisfy({ consistent($0) }) {
            // With both comparisons the plain split's state is kept, so that the rival only refuses.
            if let plainState { spheres = plainState.spheres; model = plainState.model }
            let kept = Array(spheres[base...])
            spheres.remove(at: k)
            return kept
        }
        reset()
        return nil
    }
}
