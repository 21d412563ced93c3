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
///
/// The three-against-one arms (`splitLateralRivalMerge`): a true sphere already described as
/// two — a weak one lying on another — is split further into a pair that beats every
/// one-sphere arm over the old sphere alone, for the neighbour lying on it stays in every arm.
/// For each sphere `j` lying on the old one (`overlappingInEveryView` in the state before the
/// split: the projections overlap in every view, centre distance under the sum of the radii)
/// one more arm replaces the old sphere *and* `j` by one sphere, refitted in x, y, z, r and
/// amplitude (with the depth scan) from each of three starts — the old sphere, `j`, and their
/// amplitude-weighted mean — the other neighbours refitted as in every arm. It is scored as the
/// others, charged one sphere less (`j` is gone): against it the pair side pays for three
/// spheres. `.refuse`: the arm only takes part in the minimum the pair must beat; `.merge`:
/// when it is the lowest of every arm, the pair included, the state becomes it (the old sphere
/// and `j` replaced by the one, appended at the end). No constant is added.
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
    /// hold; with `splitLateralRivalMerge == .merge`, replaces `k` and a sphere lying on it by
    /// one (appended at the end) when that arm is the lowest; else restores everything and
    /// returns nil. Returns the indices removed (descending) and the spheres appended.
    func splitLaterallyAgainstRival(_ k: Int) -> (removed: [Int], added: [Sphere])? {
        let saved = spheres[k]
        guard saved.c > 0 else { return nil }
        // `floorHeld == .rival`: every χ² the rival compares against max(floor, prediction).
        let heldBefore = heldAtFloor
        if fit.floorHeld == .rival { heldAtFloor = true }
        defer { heldAtFloor = heldBefore }
        // The spheres lying on the old one, before it is taken out: the three-against-one arms.
        let lying = fit.splitLateralRivalMerge == .off ? [] : overlappingInEveryView(k)
        let held = (spheres: spheres, model: model)
        func reset() { spheres = held.spheres; model = held.model }
        render(saved, sign: -1)
        spheres[k].c = 0
        let traced = STEM4DParticleTrace.near(saved)
        guard let (a, b) = lateralPairStart(saved) else {
            if traced { STEM4DParticleTrace.say("split #\(k) \(STEM4DParticleTrace.text(saved)): no pair start") }
            reset(); return nil
        }
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
                if traced { STEM4DParticleTrace.say("split #\(k): the plain comparison refuses; restored") }
                reset()
                return nil
            }
        }
        // The old spheres near the old one or the pair (not the pair itself).
        let neighbours = lateralNeighbours(of: [saved] + Array(spheres[base...]), excluding: k).filter { $0 < base }
        for j in neighbours { refine(j, scanDepth: false) }
        for j in base..<spheres.count { refine(j, scanDepth: false) }
        refitInTurn(Array(base..<spheres.count), neighbours)
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
            refitInTurn([k], neighbours)
            ones.append((spheres, model))
        }
        // The three-against-one arms: one sphere in place of the old one and `j`, from each of
        // them and their amplitude-weighted mean, the other neighbours refitted as in every arm.
        var merges: [(j: Int, arm: (spheres: [Sphere], model: [[Double]]))] = []
        for j in lying {
            let other = held.spheres[j], weight = saved.c + other.c
            func mean(_ a: Double, _ b: Double) -> Double { (saved.c * a + other.c * b) / weight }
            let middle = Sphere(x: mean(saved.x, other.x), y: mean(saved.y, other.y), z: mean(saved.z, other.z),
                                r: mean(saved.r, other.r), c: saved.c)
            for start in [saved, other, middle] {
                reset()
                render(saved, sign: -1)
                render(other, sign: -1)
                spheres[j].c = 0
                spheres[k] = Sphere(x: start.x, y: start.y, z: start.z, r: start.r, c: saved.c)
                render(spheres[k], sign: 1)
                refine(k); refine(k); refine(k, scanDepth: false)
                for n in neighbours where n != j { refine(n, scanDepth: false) }
                refine(k, scanDepth: false)
                refitInTurn([k], neighbours.filter { $0 != j })
                merges.append((j, (spheres, model)))
            }
        }
        // Scored on the pixels of every sphere involved in any arm, each side with the old model's weights.
        reset()
        var involved = [saved] + pair + neighbours.map { held.spheres[$0] } + neighbours.map { two.spheres[$0] }
        for one in ones { involved += [one.spheres[k]] + neighbours.map { one.spheres[$0] } }
        for m in merges { involved += [m.arm.spheres[k]] + neighbours.filter { $0 != m.j }.map { m.arm.spheres[$0] } }
        let pixels = weightedPixels(of: involved)
        let penalty = 5 * log(Double(max(1, pixels.count)))
        // `count`: the arm's spheres less the neighbours', whose count every arm shares (a
        // three-against-one arm's `j`, gone, has amplitude 0 and no prior term).
        func criterion(_ arm: (spheres: [Sphere], model: [[Double]]), _ own: [Sphere], count: Int) -> Double {
            let current = model
            model = arm.model
            defer { model = current }
            return weightedChi2(pixels) + amplitudePenalty(own + neighbours.map { arm.spheres[$0] }) + Double(count) * penalty
        }
        let one = ones.map { criterion($0, [$0.spheres[k]], count: 1) }.reduce(criterion(held, [saved], count: 1), min)
        let merged = merges.indices.map { (index: $0, value: criterion(merges[$0].arm, [merges[$0].arm.spheres[k]], count: 0)) }
            .filter { merges[$0.index].arm.spheres[k].c > 0 }.min { $0.value < $1.value }
        let before = min(one, merged?.value ?? .infinity)
        let after = criterion(two, pair, count: 2)
        if traced {
            traceArms(k: k, saved: saved, pair: pair, lying: lying, neighbours: neighbours, held: held, two: two, ones: ones,
                      merges: merges, pixels: pixels, penalty: penalty)
        }
        spheres = two.spheres; model = two.model
        let others = spheres[..<base].enumerated().filter { $0.offset != k && $0.element.c > 0 }.map(\.element)
        let duplicate = Self.duplicates(pair[0], pair[1]) || pair.contains { p in others.contains { Self.duplicates(p, $0) } }
        if traced {
            let verdict = duplicate ? "duplicate" : !pair.allSatisfy({ $0.c > 0 }) ? "a half at zero"
                : !(after < before - 1e-9 * abs(before)) ? "an arm of one beats the pair"
                : !pair.allSatisfy({ consistent($0) }) ? "a half not seen in every view" : "the pair kept"
            STEM4DParticleTrace.say(String(format: "split #%d: pair %.2f, best one-sphere arm %.2f, best three-against-one arm %.2f: ",
                                           k, after, one, merged?.value ?? .nan) + verdict)
        }
        if !duplicate && pair.allSatisfy({ $0.c > 0 }) && after < before - 1e-9 * abs(before) && pair.allSatisfy({ consistent($0) }) {
            // With both comparisons the plain split's state is kept, so that the rival only refuses.
            if let plainState { spheres = plainState.spheres; model = plainState.model }
            let kept = Array(spheres[base...])
            spheres.remove(at: k)
            return ([k], kept)
        }
        // The two replaced by one where that arm is the lowest of all.
        if fit.splitLateralRivalMerge == .merge, let merged, merged.value < min(one, after) - 1e-9 * abs(min(one, after)) {
            let m = merges[merged.index]
            if traced { STEM4DParticleTrace.say("split #\(k): merged with #\(m.j)") }
            spheres = m.arm.spheres; model = m.arm.model
            let single = spheres[k]
            for index in [k, m.j].sorted(by: >) { spheres.remove(at: index) }
            spheres.append(single)
            return ([k, m.j].sorted(by: >), [single])
        }
        reset()
        return nil
    }

    /// `SLIPLINE_STEM4D_TRACE`: the spheres near the old one (whether each lies on it in every
    /// view, whether both arms refit it), then each arm's criterion in its parts.
    private func traceArms(k: Int, saved: Sphere, pair: [Sphere], lying: [Int], neighbours: [Int],
                           held: (spheres: [Sphere], model: [[Double]]), two: (spheres: [Sphere], model: [[Double]]),
                           ones: [(spheres: [Sphere], model: [[Double]])],
                           merges: [(j: Int, arm: (spheres: [Sphere], model: [[Double]]))],
                           pixels: [(v: Int, i: Int, iv: Double)], penalty: Double) {
        typealias T = STEM4DParticleTrace
        T.say("split #\(k) \(T.text(saved)) → \(T.text(pair[0])) + \(T.text(pair[1])); \(pixels.count) pixels, 5 ln n = "
              + String(format: "%.2f", penalty))
        let near = held.spheres.indices.filter { j in
            j != k && held.spheres[j].c > 0 && (lying.contains(j) || neighbours.contains(j) || T.near(held.spheres[j]))
        }
        for j in near {
            let s = held.spheres[j]
            let lat = ((s.x - saved.x) * (s.x - saved.x) + (s.y - saved.y) * (s.y - saved.y)).squareRoot()
            T.say("  #\(j) \(T.text(s)): lateral \(String(format: "%.2f", lat)), Δz \(String(format: "%.2f", s.z - saved.z)); "
                  + (lying.contains(j) ? "lies on it in every view" : "not in every view")
                  + (neighbours.contains(j) ? ", refitted in every arm" : ""))
        }
        let current = model
        defer { model = current }
        func parts(_ name: String, _ arm: (spheres: [Sphere], model: [[Double]]), _ own: [Sphere], count: Int, skip: Int? = nil) {
            model = arm.model
            let chi2 = weightedChi2(pixels), prior = amplitudePenalty(own + neighbours.filter { $0 != skip }.map { arm.spheres[$0] })
            let moved = neighbours.filter { $0 != skip }.map { "#\($0) \(T.text(arm.spheres[$0]))" }.joined(separator: ", ")
            T.say(String(format: "  %@: χ² %.2f + prior %.2f + %d × 5 ln n = %.2f", name, chi2, prior, count,
                         chi2 + prior + Double(count) * penalty)
                  + " | " + own.map(T.text).joined(separator: " + ") + (moved.isEmpty ? "" : " | neighbours " + moved))
        }
        parts("held", held, [saved], count: 1)
        for (index, one) in ones.enumerated() {
            parts(["one from the old", "one from pair a", "one from pair b"][min(index, 2)], one, [one.spheres[k]], count: 1)
        }
        for (index, m) in merges.enumerated() {
            parts("one for #\(k) and #\(m.j) from " + ["the old", "#\(m.j)", "their mean"][index % 3], m.arm, [m.arm.spheres[k]],
                  count: 0, skip: m.j)
        }
        parts("pair", two, pair, count: 2)
        // `SLIPLINE_STEM4D_TRACE_TRUTH=x,y,z,r;…`: the true spheres in place of the old one and of the
        // neighbour nearest each (amplitudes only, then refitted without the depth scan).
        let truth = T.truth
        guard !truth.isEmpty else { return }
        var replaced = Set([k])
        for t in truth {
            if let j = ([k] + neighbours).min(by: { hypot(held.spheres[$0].x - t.x, held.spheres[$0].y - t.y)
                < hypot(held.spheres[$1].x - t.x, held.spheres[$1].y - t.y) }) { replaced.insert(j) }
        }
        let others = neighbours.filter { !replaced.contains($0) }
        for refit in [false, true] {
            spheres = held.spheres; model = held.model
            for j in replaced { render(spheres[j], sign: -1); spheres[j].c = 0 }
            let base = spheres.count
            for t in truth { add(t) }
            for _ in 0..<3 {
                for j in base..<spheres.count {
                    if refit { refine(j, scanDepth: false); continue }
                    let q = spheres[j]
                    render(q, sign: -1)
                    spheres[j].c = max(0, score(patch(around: q, reach: 2.5), q.x, q.y, q.z, q.r).c)
                    render(spheres[j], sign: 1)
                }
                if refit { for j in others { refine(j, scanDepth: false) } }
            }
            let own = Array(spheres[base...])
            let chi2 = weightedChi2(pixels), prior = amplitudePenalty(own + others.map { spheres[$0] })
            let count = truth.count - (replaced.count - 1)
            T.say(String(format: "  truth for %@ (%@): χ² %.2f + prior %.2f + %d × 5 ln n = %.2f",
                         replaced.sorted().map { "#\($0)" }.joined(separator: ", "), refit ? "refitted" : "amplitudes only",
                         chi2, prior, count, chi2 + prior + Double(count) * penalty)
                  + " | " + own.map(T.text).joined(separator: " + ")
                  + " | neighbours " + others.map { "#\($0) \(T.text(spheres[$0]))" }.joined(separator: ", "))
            if refit { STEM4DParticleTrace.writePixels(self, pixels, arms: [("pair", two.model), ("truth", model)]) }
            for _ in own { render(spheres[spheres.count - 1], sign: -1); spheres.removeLast() }
        }
        spheres = held.spheres
    }
}
